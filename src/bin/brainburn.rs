//! The `brainburn` command line: run a network file, benchmark the standard workloads.

use std::path::PathBuf;
use std::process::ExitCode;

use brainburn::backend::{BackendKind, Precision};
use brainburn::cli::{RunOptions, run_file};
use brainburn::error::Error;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "brainburn",
    version,
    about = "Brain dynamics and spiking networks on Burn"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a network file and write spikes.csv, monitors/, summary.json and plots to DIR.
    Run {
        /// The network file (TOML, see docs/network-format.md).
        net: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Backend: flex, ndarray, wgpu or cuda.
        #[arg(long, default_value = "flex")]
        backend: String,
        /// Precision override: f32 or f64.
        #[arg(long)]
        precision: Option<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

/// Exit status 2: the input (file, arguments) is unusable; 1: the run failed.
fn status_of(e: &Error) -> u8 {
    match e {
        Error::Backend(_) => 1,
        _ => 2,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            net,
            out,
            backend,
            precision,
            quiet,
        } => (|| {
            let backend: BackendKind = backend.parse()?;
            let precision = precision.map(|p| p.parse::<Precision>()).transpose()?;
            let opts = RunOptions {
                backend,
                precision,
                quiet,
            };
            let summary = run_file(&net, &out, &opts)?;
            for (g, s) in &summary.groups {
                println!(
                    "{g}: {} neurons, {} spikes, {:.2} Hz",
                    s.num, s.spike_count, s.mean_rate_hz
                );
            }
            println!(
                "{} steps of {} ms on {} ({}) in {:.2} s; outputs in {}",
                summary.steps,
                summary.dt,
                summary.backend,
                summary.precision,
                summary.wall_s,
                out.display()
            );
            Ok(())
        })(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(status_of(&e))
        }
    }
}
