//! Training algorithms that fit readouts without backpropagation: BrainPy 2.4.6's
//! `brainpy.algorithms` (offline regressions, online RLS/LMS) on the host in float64.
//!
//! The records they fit come from any backend (the trainers in [`crate::fit`] read them back
//! once per fit, or once per step online); the solves run in float64 whatever the network's
//! precision, as BrainPy runs them in its x64 mode.

pub mod features;
pub mod linalg;
pub mod offline;
pub mod online;

pub use linalg::Mat;
pub use offline::{
    Descent, ElasticNetRegression, Fit, LassoRegression, LinearRegression, LogisticRegression,
    OfflineAlgorithm, PolynomialRegression, PolynomialRidgeRegression, RidgeRegression, WeightInit,
    offline_method,
};
pub use online::{Lms, OnlineAlgorithm, Rls, online_method};
