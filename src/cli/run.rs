//! `brainburn run NET.toml --out DIR`: simulate a network file and write spikes, monitors,
//! a summary and plots into DIR.
//!
//! Everything is validated and built, and `--out` checked, before the run; outputs are written
//! into a staging directory next to DIR that replaces DIR as a whole once all of them exist
//! ([`Staging`]), so a bad file or a failed run (e.g. a non-finite state) publishes nothing and
//! no file of an earlier run survives beside a new `summary.json`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::output::Staging;
use crate::backend::{BackendKind, Ctx, Precision};
use crate::error::{Error, Result};
use crate::monitor::Events;
use crate::netfile::NetworkSpec;
use crate::run_engine::Engine;

/// Options of `brainburn run`.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Backend to run on.
    pub backend: BackendKind,
    /// Precision override (the file's `precision` otherwise).
    pub precision: Option<Precision>,
    /// Hide the progress bar.
    pub quiet: bool,
    /// Stop at the first NaN or infinite state ([`crate::runner::Runner::check_finite`]); a
    /// stopped run publishes nothing.
    pub check_finite: bool,
    /// Refuse a run whose memory estimate exceeds this many bytes
    /// ([`NetworkSpec::check_memory`]); `None`: [`crate::netfile::default_limit`].
    pub max_memory: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            backend: BackendKind::Flex,
            precision: None,
            quiet: true,
            check_finite: true,
            max_memory: None,
        }
    }
}

/// Per-group results in `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct GroupSummary {
    /// Number of neurons.
    pub num: usize,
    /// Total spikes.
    pub spike_count: u64,
    /// Mean rate over the run (Hz).
    pub mean_rate_hz: f64,
    /// Spikes per neuron.
    pub spike_counts: Vec<u64>,
}

/// `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// Groups with spikes, by name.
    pub groups: BTreeMap<String, GroupSummary>,
    /// Steps simulated.
    pub steps: u64,
    /// Step size (ms).
    pub dt: f64,
    /// Backend name.
    pub backend: String,
    /// Precision name.
    pub precision: String,
    /// Wall time of build + run + outputs (s).
    pub wall_s: f64,
    /// The engine that ran the steps (`"engine": "fused"` or `"composed"`), and on the
    /// composed path why the fused one declined (`"reason"`).
    #[serde(flatten)]
    pub engine: Engine,
}

/// Runs the network file at `path` and writes the outputs into `out`.
pub fn run_file(path: &Path, out: &Path, opts: &RunOptions) -> Result<RunSummary> {
    let t0 = Instant::now();
    let spec = NetworkSpec::from_path(path)?;
    spec.check_memory(
        opts.max_memory
            .unwrap_or_else(crate::netfile::default_limit),
    )?;
    let staging = Staging::create(out)?;
    let precision = opts.precision.unwrap_or(spec.precision);
    let ctx = Ctx::new(opts.backend, precision)?;
    let mut built = spec.build(&ctx)?;
    let spiking: Vec<String> = built
        .group_names
        .iter()
        .filter(|g| built.net.group(g).is_ok_and(|g| g.spike().is_some()))
        .cloned()
        .collect();
    let spike_keys: Vec<String> = spiking.iter().map(|g| format!("{g}.spike")).collect();
    let steps = built.steps;
    let mut runner = built.runner(&[])?;
    for k in &spike_keys {
        runner = runner.record_events(k)?;
    }
    let monitors = runner
        .progress(!opts.quiet)
        .check_finite(opts.check_finite)
        .run_steps(steps)?;

    let mut groups = BTreeMap::new();
    let mut records = Vec::new();
    for g in &spiking {
        let record = monitors.events(&format!("{g}.spike"))?;
        let num = built.net.group(g)?.num();
        let mut counts = vec![0u64; num];
        for e in record.events.iter().filter(|e| e.row == 0) {
            counts[e.index as usize] += 1;
        }
        records.push(record);
        let total: u64 = counts.iter().sum();
        let seconds = steps as f64 * spec.dt / 1000.0;
        let rate = if seconds > 0.0 {
            total as f64 / num as f64 / seconds
        } else {
            0.0
        };
        groups.insert(
            g.clone(),
            GroupSummary {
                num,
                spike_count: total,
                mean_rate_hz: rate,
                spike_counts: counts,
            },
        );
    }
    write_spikes(
        &staging.path().join("spikes.csv"),
        &records,
        &spiking,
        spec.dt,
    )?;
    for m in &built.monitors {
        monitors.write_csv(
            &m.key,
            staging
                .path()
                .join("monitors")
                .join(format!("{}.csv", m.key)),
        )?;
        monitors.plot_trace(&m.key, 10, staging.path().join(format!("{}.png", m.key)))?;
    }
    let raster_keys: Vec<&str> = spike_keys.iter().map(String::as_str).collect();
    if !raster_keys.is_empty() {
        monitors.plot_raster(
            &raster_keys,
            &path.display().to_string(),
            staging.path().join("raster.png"),
        )?;
    }
    let summary = RunSummary {
        groups,
        steps,
        dt: spec.dt,
        backend: opts.backend.name().into(),
        precision: precision.name().into(),
        wall_s: t0.elapsed().as_secs_f64(),
        engine: monitors.engine().clone(),
    };
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::arg("summary", format!("cannot serialise: {e}")))?;
    let summary_path = staging.path().join("summary.json");
    std::fs::write(&summary_path, json).map_err(|e| Error::io(&summary_path, e))?;
    staging.publish()?;
    Ok(summary)
}

/// `spikes.csv`: `step,t_ms,group,index` (batch row 0), ordered by step, then group (file
/// order), then index: the groups' event lists (each ordered by step) merged step by step.
fn write_spikes(path: &Path, records: &[&Events], groups: &[String], dt: f64) -> Result<()> {
    let io = |e| Error::io(path, e);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    writeln!(f, "step,t_ms,group,index").map_err(io)?;
    let mut at: Vec<_> = records.iter().map(|r| r.events.iter().peekable()).collect();
    loop {
        let next = at.iter_mut().filter_map(|r| r.peek().map(|e| e.step)).min();
        let Some(step) = next else { break };
        let t = step as f64 * dt;
        for (g, r) in at.iter_mut().enumerate() {
            while let Some(e) = r.next_if(|e| e.step == step) {
                if e.row == 0 {
                    writeln!(f, "{step},{t},{},{}", groups[g], e.index).map_err(io)?;
                }
            }
        }
    }
    f.flush().map_err(io)
}
