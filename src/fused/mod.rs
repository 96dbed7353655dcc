//! Fused host paths: whole network steps as plain Rust loops over host arrays (SIMD lanes),
//! used on the CPU backends when no gradient is tracked.
//!
//! Burn's CPU backends pay ~0.5 µs and one pass over memory per tensor op; a Wang–Buzsáki step
//! in composed ops is ~60 of them. When a [`Runner`](crate::runner::Runner) runs a network on
//! flex or ndarray outside Training mode and without trainable parameters on an autodiff
//! device, and every member offers a host kernel ([`NeuronGroup::fused_kernel`],
//! [`Synapse::fused_kernel`]), the [`engine`] moves every parameter and state to host arrays
//! once, runs all steps in plain Rust (inputs, event-driven synapses, neurons in SIMD lanes,
//! delay rings, monitors into host buffers) and writes the states and the monitor traces back
//! once at the end. Otherwise the composed-op path runs; it is also the test oracle of every
//! kernel here (`tests/cases/fused.rs`).
//!
//! Kernels are generic over the element type ([`HostFloat`]: `f32` in [`lanes::F32x8`], `f64`
//! in [`lanes::F64x4`]), so the float64 oracle tests run through the same code. Hot loops are
//! compiled twice, for the SSE2 baseline and for AVX2 (chosen at run time, [`simd`]); both
//! give bit-identical results (no FMA contraction).
//!
//! [`NeuronGroup::fused_kernel`]: crate::neuron::NeuronGroup::fused_kernel
//! [`Synapse::fused_kernel`]: crate::synapse::Synapse::fused_kernel

pub mod channel_host;
pub mod cond_host;
pub mod engine;
mod host;
pub mod lanes;
pub mod model_host;
pub mod neurons;
pub mod simd;
pub mod synapses;

pub use host::{
    HParam, HostFloat, HostGroup, HostGroupKernel, HostSlice, HostSynapse, HostSynapseKernel,
    read_float, read_spikes, write_float, write_spikes,
};
