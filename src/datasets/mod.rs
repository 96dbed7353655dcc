//! Small data sets bundled with brainburn for examples and tests.

pub mod digits;

pub use digits::Digits;
