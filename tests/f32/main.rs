//! Oracle parity in float32 (brainburn's and BrainPy's default precision), on every compiled
//! CPU backend. The float64 twin of this binary is `tests/f64/`.

use brainburn::prelude::Precision;

/// The precision every case in this binary runs in.
pub const PRECISION: Precision = Precision::F32;

#[path = "../common/mod.rs"]
mod common;

#[path = "../cases/foundation.rs"]
mod foundation;
