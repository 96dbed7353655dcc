//! The `brainburn` command: `run` a network file, `bench` the standard workloads.

pub mod bench;
mod output;
mod run;

pub use output::Staging;
pub use run::{RunOptions, RunSummary, run_file};
