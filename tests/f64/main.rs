//! Oracle parity in float64 (exact parity with BrainPy's x64 mode). One test binary per
//! precision: Burn fixes a device's default float dtype once per process, and autodiff seeds
//! gradients with it.

use brainburn::prelude::Precision;

/// The precision every case in this binary runs in.
pub const PRECISION: Precision = Precision::F64;

/// The backends every case in this binary runs on: all compiled CPU backends.
pub fn backends() -> Vec<brainburn::prelude::BackendKind> {
    common::cpu_backends()
}

/// Whether this binary runs on wgpu (cases pick shorter variants there).
pub const IS_WGPU: bool = false;

#[path = "../common/mod.rs"]
mod common;

#[path = "../cases/foundation.rs"]
mod foundation;

#[path = "../cases/runner.rs"]
mod runner;

#[path = "../cases/conductance.rs"]
mod conductance;

#[path = "../cases/cli.rs"]
mod cli;

#[path = "../cases/synapses.rs"]
mod synapses;

#[path = "../cases/training.rs"]
mod training;

#[path = "../cases/checkpoint.rs"]
mod checkpoint;

#[path = "../cases/checkpoint_fixture.rs"]
mod checkpoint_fixture;

#[path = "../cases/fused.rs"]
mod fused;

#[path = "../cases/parity_f64.rs"]
mod parity_f64;

#[path = "../cases/zoo.rs"]
mod zoo;

#[path = "../cases/zoo_synapses.rs"]
mod zoo_synapses;

#[path = "../cases/zoo_training.rs"]
mod zoo_training;

#[path = "../cases/reservoir.rs"]
mod reservoir;

#[path = "../cases/inputs.rs"]
mod inputs;

#[path = "../cases/reservoir_backends.rs"]
mod reservoir_backends;
