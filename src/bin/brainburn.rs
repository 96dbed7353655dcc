//! The `brainburn` command line: run a network file, benchmark the standard workloads.

use std::path::PathBuf;
use std::process::ExitCode;

use brainburn::backend::{BackendKind, Precision};
use brainburn::cli::bench::{BenchOpts, bench, run_workload, table};
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
        /// Do not stop at the first NaN or infinite state (by default such a run fails with
        /// exit status 2, naming the step, group, state and neuron, and publishes nothing).
        #[arg(long)]
        no_check_finite: bool,
        /// Refuse runs whose memory estimate exceeds this size (e.g. 8G, 512M; default 80 % of
        /// the machine's memory).
        #[arg(long)]
        max_memory: Option<String>,
    },
    /// Time the standard workloads on the named backends and print one table.
    Bench {
        /// Comma-separated backends (flex, ndarray, wgpu, cuda).
        #[arg(long, default_value = "flex")]
        backend: String,
        /// Comma-separated workloads: wb100, wb1000, wb4000, coba, coba_hh, lif_train.
        #[arg(long, default_value = "wb100,wb1000,wb4000,coba,coba_hh,lif_train")]
        workloads: String,
        /// Simulated time per network workload (ms).
        #[arg(long, default_value_t = 1000.0)]
        ms: f64,
        /// N of the LIF-layer training step.
        #[arg(long, default_value_t = 512)]
        lif_n: usize,
        /// Time steps T of the LIF-layer training step.
        #[arg(long, default_value_t = 100)]
        lif_t: usize,
        /// Batch B of the LIF-layer training step.
        #[arg(long, default_value_t = 16)]
        lif_b: usize,
        /// Untimed steps first, in each worker (GPU backends compile kernels at first launch):
        /// networks run this many steps before the timer starts, lif_train one untimed pass of
        /// min(warmup, T) steps.
        #[arg(long, default_value_t = 0)]
        warmup: u64,
        /// Also write the rows as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// One benchmark workload in this process (used by `bench`); prints one JSON row.
    #[command(hide = true)]
    BenchWorker {
        #[arg(long)]
        workload: String,
        #[arg(long)]
        backend: String,
        #[arg(long)]
        ms: f64,
        #[arg(long)]
        lif_n: usize,
        #[arg(long)]
        lif_t: usize,
        #[arg(long)]
        lif_b: usize,
        #[arg(long)]
        warmup: u64,
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
            no_check_finite,
            max_memory,
        } => (|| {
            let backend: BackendKind = backend.parse()?;
            let precision = precision.map(|p| p.parse::<Precision>()).transpose()?;
            let opts = RunOptions {
                backend,
                precision,
                quiet,
                check_finite: !no_check_finite,
                max_memory: max_memory
                    .as_deref()
                    .map(brainburn::netfile::parse_size)
                    .transpose()?,
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
        Command::Bench {
            backend,
            workloads,
            ms,
            lif_n,
            lif_t,
            lif_b,
            warmup,
            json,
        } => (|| {
            let opts = BenchOpts {
                ms,
                lif_n,
                lif_t,
                lif_b,
                warmup,
            };
            let backends = backend
                .split(',')
                .map(|b| b.parse::<BackendKind>())
                .collect::<Result<Vec<_>, Error>>()?;
            let workloads: Vec<String> =
                workloads.split(',').map(|w| w.trim().to_string()).collect();
            let exe = std::env::current_exe().map_err(|e| Error::io("brainburn", e))?;
            let rows = bench(&exe, &workloads, &backends, opts)?;
            print!("{}", table(&rows));
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&rows)
                    .map_err(|e| Error::arg("json", e.to_string()))?;
                std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
            }
            Ok(())
        })(),
        Command::BenchWorker {
            workload,
            backend,
            ms,
            lif_n,
            lif_t,
            lif_b,
            warmup,
        } => (|| {
            let opts = BenchOpts {
                ms,
                lif_n,
                lif_t,
                lif_b,
                warmup,
            };
            let row = run_workload(&workload, backend.parse()?, opts)?;
            let text = serde_json::to_string(&row).map_err(|e| Error::arg("row", e.to_string()))?;
            println!("{text}");
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
