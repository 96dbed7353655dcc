//! The `brainburn` command: `run` a network file, `bench` the standard workloads.

pub mod bench;
mod run;

pub use run::{RunOptions, RunSummary, run_file};
