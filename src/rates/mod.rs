//! Rate-based nodes for reservoir computing: BrainPy 2.4.6's `brainpy.dyn.Reservoir` and
//! `brainpy.dyn.NVAR`. Both are [`crate::fit::Node`]s: they step a `[batch, features]` input
//! and feed readouts that the trainers of [`crate::fit`] fit.

pub mod nvar;
pub mod reservoir;

pub use nvar::Nvar;
pub use reservoir::{Activation, ActivationType, Reservoir, ReservoirConfig};
