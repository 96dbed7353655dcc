//! Fused host paths: whole model steps as plain Rust loops over host arrays (SIMD lanes),
//! used on the CPU backends when no gradient is tracked.

pub mod lanes;
