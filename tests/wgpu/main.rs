//! The representative cases again on wgpu (Mesa lavapipe in CI), float32: the same numbers
//! within float32 tolerance as on the CPU backends.

#![cfg_attr(brainburn_no_wgpu, allow(dead_code))]

use brainburn::prelude::Precision;

/// wgpu computes in float32.
pub const PRECISION: Precision = Precision::F32;

/// `[Wgpu]`; without an adapter every wgpu case fails (build with `BRAINBURN_NO_WGPU=1` to
/// report them as ignored instead, refused under `CI=true`; see `build.rs`).
pub fn backends() -> Vec<brainburn::prelude::BackendKind> {
    common::wgpu_backends()
}

/// Cases pick shorter variants on wgpu (lavapipe costs ~50 µs per op).
pub const IS_WGPU: bool = true;

#[path = "../common/mod.rs"]
mod common;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/foundation.rs"]
mod foundation;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/runner.rs"]
mod runner;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/conductance.rs"]
mod conductance;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/synapses.rs"]
mod synapses;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/training.rs"]
mod training;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/checkpoint.rs"]
mod checkpoint;

#[cfg(not(brainburn_no_wgpu))]
#[path = "../cases/reservoir_backends.rs"]
mod reservoir_backends;

/// Built with `BRAINBURN_NO_WGPU=1` (not under `CI=true`): the wgpu cases are not compiled,
/// and this one test stands for them in the summary as ignored. Run with `--ignored` it fails.
#[cfg(brainburn_no_wgpu)]
#[test]
#[ignore = "BRAINBURN_NO_WGPU=1 at build time: no wgpu case was compiled or run"]
fn wgpu_cases_skipped() {
    panic!("built with BRAINBURN_NO_WGPU=1: rebuild without it to run the wgpu cases");
}

/// The adapter answers (so a green wgpu run really ran the wgpu cases).
#[cfg(not(brainburn_no_wgpu))]
#[test]
fn wgpu_adapter_available() {
    assert_eq!(backends(), vec![brainburn::prelude::BackendKind::Wgpu]);
}
