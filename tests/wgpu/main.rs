//! The representative cases again on wgpu (Mesa lavapipe in CI), float32: the same numbers
//! within float32 tolerance as on the CPU backends.

use brainburn::prelude::Precision;

/// wgpu computes in float32.
pub const PRECISION: Precision = Precision::F32;

/// `[Wgpu]` when an adapter answers (required under `CI=true`).
pub fn backends() -> Vec<brainburn::prelude::BackendKind> {
    common::wgpu_backends()
}

/// Cases pick shorter variants on wgpu (lavapipe costs ~50 µs per op).
pub const IS_WGPU: bool = true;

#[path = "../common/mod.rs"]
mod common;

#[path = "../cases/foundation.rs"]
mod foundation;

#[path = "../cases/runner.rs"]
mod runner;

#[path = "../cases/conductance.rs"]
mod conductance;

#[path = "../cases/synapses.rs"]
mod synapses;

#[path = "../cases/training.rs"]
mod training;

#[path = "../cases/checkpoint.rs"]
mod checkpoint;

#[path = "../cases/bad_files.rs"]
mod bad_files;
