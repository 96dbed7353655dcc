//! `brainburn bench`: the standard workloads on the backends named, one table.
//!
//! Every (workload, backend) runs in a fresh child process (`brainburn bench-worker ...`), so
//! its peak memory is its own and the whole process is counted (start-up included), as in the
//! BrainPy comparison; ratios are taken between backends of the same run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::backend::{BackendKind, Ctx, Precision};
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::run_engine::Engine;
use crate::runner::{InputValue, Runner};
use crate::workloads;

/// The standard workloads.
pub const WORKLOADS: [&str; 6] = ["wb100", "wb1000", "wb4000", "coba", "coba_hh", "lif_train"];

/// One measured (workload, backend).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchRow {
    /// Workload name.
    pub workload: String,
    /// Backend name.
    pub backend: String,
    /// Simulated steps (for `lif_train`: time steps of the forward pass).
    pub steps: u64,
    /// Neurons (× batch for `lif_train`).
    pub neurons: u64,
    /// Wall time of the run (s), build excluded.
    pub run_s: f64,
    /// Wall time of the whole worker process (s).
    pub process_s: f64,
    /// Peak resident memory of the worker (MiB), when the OS reports it.
    pub peak_mib: Option<f64>,
    /// The engine that ran (`fused` or `composed`, see [`crate::run_engine::Engine`]).
    pub engine: String,
}

impl BenchRow {
    /// Steps per second of the run.
    pub fn steps_per_s(&self) -> f64 {
        self.steps as f64 / self.run_s
    }
    /// Neuron-steps per second of the run.
    pub fn neuron_steps_per_s(&self) -> f64 {
        (self.steps * self.neurons) as f64 / self.run_s
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// What every workload of one `bench` run shares.
#[derive(Clone, Copy, Debug)]
pub struct BenchOpts {
    /// Simulated time per network workload (ms).
    pub ms: f64,
    /// N of the LIF-layer training step.
    pub lif_n: usize,
    /// Time steps T of the LIF-layer training step.
    pub lif_t: usize,
    /// Batch B of the LIF-layer training step.
    pub lif_b: usize,
    /// Untimed steps run first, in the same process, so that the timed part holds no one-time
    /// cost (a GPU backend compiles each kernel at its first launch). Networks run this many
    /// steps of the same run before the timer starts; `lif_train` runs one untimed pass of
    /// `min(warmup, T)` steps (the same kernels) first. 0: nothing untimed.
    pub warmup: u64,
}

impl Default for BenchOpts {
    fn default() -> Self {
        Self {
            ms: 1000.0,
            lif_n: 512,
            lif_t: 100,
            lif_b: 16,
            warmup: 0,
        }
    }
}

fn sync(ctx: &Ctx) -> Result<()> {
    ctx.device
        .sync()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}

/// Runs one workload in this process (the worker's job) and returns its row (without the
/// process time, which the parent measures).
pub fn run_workload(workload: &str, backend: BackendKind, opts: BenchOpts) -> Result<BenchRow> {
    let BenchOpts {
        ms,
        lif_n,
        lif_t,
        lif_b,
        warmup,
    } = opts;
    if lif_n == 0 || lif_t == 0 || lif_b == 0 {
        return Err(Error::arg(
            "lif-n/lif-t/lif-b",
            format!("must be at least 1, got N = {lif_n}, T = {lif_t}, B = {lif_b}"),
        ));
    }
    if !(ms.is_finite() && ms > 0.0) {
        return Err(Error::arg(
            "ms",
            format!("must be a positive number, got {ms}"),
        ));
    }
    let ctx = Ctx::new(backend, Precision::F32)?;
    let mode = Mode::NonBatching;
    let (mut net, dt, inputs, neurons): (_, f64, Vec<(&str, f64)>, u64) = match workload {
        "wb100" | "wb1000" | "wb4000" => {
            let n: usize = workload[2..]
                .parse()
                .map_err(|_| Error::arg("workload", workload))?;
            (
                workloads::wb_gamma(&ctx, mode, n, 0)?,
                workloads::WB_DT,
                vec![("wb", workloads::WB_INPUT)],
                n as u64,
            )
        }
        "coba" => (
            workloads::coba(&ctx, mode, 1)?,
            workloads::COBA_DT,
            vec![("E", workloads::COBA_INPUT), ("I", workloads::COBA_INPUT)],
            (workloads::COBA_SIZES.0 + workloads::COBA_SIZES.1) as u64,
        ),
        "coba_hh" => (
            workloads::coba_hh(&ctx, mode, 1)?,
            workloads::COBA_DT,
            vec![],
            (workloads::COBA_SIZES.0 + workloads::COBA_SIZES.1) as u64,
        ),
        "lif_train" => {
            let (t, b) = (lif_t, lif_b);
            let actx = ctx.autodiff();
            if warmup > 0 {
                let w = (warmup as usize).min(t);
                workloads::lif_layer_training(&actx, lif_n, w, b, 0)?.run()?;
            }
            // The build (weights, LIF, the per-step inputs on the device) is not timed.
            let job = workloads::lif_layer_training(&actx, lif_n, t, b, 0)?;
            sync(&actx)?;
            let t0 = Instant::now();
            job.run()?;
            sync(&actx)?;
            return Ok(BenchRow {
                workload: format!("lif_train (N={lif_n}, T={t}, B={b})"),
                backend: backend.name().into(),
                steps: t as u64,
                neurons: (lif_n * b) as u64,
                run_s: t0.elapsed().as_secs_f64(),
                process_s: 0.0,
                peak_mib: peak_mib(),
                // Burn's autodiff, op by op: no fused Training step exists yet.
                engine: "composed (autodiff)".into(),
            });
        }
        other => {
            return Err(Error::arg(
                "workload",
                format!("`{other}` is not one of {WORKLOADS:?}"),
            ));
        }
    };
    let steps = (ms / dt).round() as u64;
    let mut runner = Runner::new(&mut net, dt)?;
    for (g, x) in inputs {
        runner = runner.input(g, InputValue::Constant(x))?;
    }
    if warmup > 0 {
        runner.run_steps(warmup)?;
        sync(&ctx)?;
    }
    let t0 = Instant::now();
    let monitors = runner.run_steps(steps)?;
    sync(&ctx)?;
    Ok(BenchRow {
        workload: workload.into(),
        backend: backend.name().into(),
        steps,
        neurons,
        run_s: t0.elapsed().as_secs_f64(),
        process_s: 0.0,
        peak_mib: peak_mib(),
        engine: match monitors.engine() {
            Engine::Fused => "fused".into(),
            Engine::Composed { .. } => "composed".into(),
        },
    })
}

/// Runs every (workload, backend) in a child process of `exe` and returns the rows.
pub fn bench(
    exe: &Path,
    workloads: &[String],
    backends: &[BackendKind],
    opts: BenchOpts,
) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    for w in workloads {
        if !WORKLOADS.contains(&w.as_str()) {
            return Err(Error::arg(
                "workloads",
                format!("`{w}` is not one of {WORKLOADS:?}"),
            ));
        }
        for b in backends {
            let t0 = Instant::now();
            let out = Command::new(exe)
                .args([
                    "bench-worker",
                    "--workload",
                    w,
                    "--backend",
                    b.name(),
                    "--ms",
                    &opts.ms.to_string(),
                    "--lif-n",
                    &opts.lif_n.to_string(),
                    "--lif-t",
                    &opts.lif_t.to_string(),
                    "--lif-b",
                    &opts.lif_b.to_string(),
                    "--warmup",
                    &opts.warmup.to_string(),
                ])
                .output()
                .map_err(|e| Error::io(exe, e))?;
            let process_s = t0.elapsed().as_secs_f64();
            if !out.status.success() {
                return Err(Error::Backend(format!(
                    "{w} on {b} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let mut row: BenchRow = serde_json::from_str(text.trim()).map_err(|e| {
                Error::Backend(format!(
                    "{w} on {b}: unreadable worker output ({e}): {text}"
                ))
            })?;
            row.process_s = process_s;
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The table: one line per row, with the ratio of run times to the first backend of the same
/// workload.
pub fn table(rows: &[BenchRow]) -> String {
    let mut s = format!(
        "{:<34} {:<8} {:<20} {:>9} {:>10} {:>10} {:>12} {:>15} {:>9} {:>8}\n",
        "workload",
        "backend",
        "engine",
        "steps",
        "run s",
        "process s",
        "steps/s",
        "neuron-steps/s",
        "peak MiB",
        "ratio"
    );
    for r in rows {
        let first = rows
            .iter()
            .find(|x| x.workload == r.workload)
            .map_or(r.run_s, |x| x.run_s);
        s.push_str(&format!(
            "{:<34} {:<8} {:<20} {:>9} {:>10.3} {:>10.3} {:>12.0} {:>15.3e} {:>9} {:>8.2}\n",
            r.workload,
            r.backend,
            r.engine,
            r.steps,
            r.run_s,
            r.process_s,
            r.steps_per_s(),
            r.neuron_steps_per_s(),
            r.peak_mib.map_or("-".to_string(), |m| format!("{m:.0}")),
            r.run_s / first
        ));
    }
    s
}
