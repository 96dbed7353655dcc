//! Oracle parity in float32 (brainburn's and BrainPy's default precision), on every compiled
//! CPU backend. The float64 twin of this binary is `tests/f64/`.

use brainburn::prelude::Precision;

/// The precision every case in this binary runs in.
pub const PRECISION: Precision = Precision::F32;

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

#[path = "../cases/fused.rs"]
mod fused;

// The zoo models' float32 oracle (tests/cases/zoo.rs) is not claimed yet: on its first run
// ExpIF's V parts from BrainPy's float32 trajectory beyond the bar (4.9e-4 > 3.0e-4 at step
// 365 of expif_params) and Izhikevich's spikes shift (izhikevich_params, where BrainPy's own
// float32 run drifts 1-2 steps from its float64 run). Bounds are to be measured before the
// module joins this binary (issue 15); the float64 binary runs every zoo case.

#[path = "../cases/zoo_synapses.rs"]
mod zoo_synapses;

#[path = "../cases/bad_files.rs"]
mod bad_files;

#[path = "../cases/mutations.rs"]
mod mutations;

#[path = "../cases/reservoir_backends.rs"]
mod reservoir_backends;
