//! The `brainburn` command: `run` a network file, `bench` the standard workloads.

mod run;

pub use run::{RunOptions, RunSummary, run_file};
