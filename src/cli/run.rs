//! `brainburn run NET.toml --out DIR`: simulate a network file and write spikes, monitors,
//! a summary and plots into DIR.
//!
//! Everything is validated and built before the run, and outputs are first written to a
//! temporary directory next to DIR and moved into DIR only when all of them exist, so a bad
//! file or a failed run writes nothing partial into DIR.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::backend::{BackendKind, Ctx, Precision};
use crate::error::{Error, Result};
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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            backend: BackendKind::Flex,
            precision: None,
            quiet: true,
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

/// A sibling temporary directory of `out` that is removed unless kept.
struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs the network file at `path` and writes the outputs into `out`.
pub fn run_file(path: &Path, out: &Path, opts: &RunOptions) -> Result<RunSummary> {
    let t0 = Instant::now();
    let spec = NetworkSpec::from_path(path)?;
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
    let monitors = built
        .runner(&spike_keys)?
        .progress(!opts.quiet)
        .run_steps(steps)?;

    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let staging = Staging {
        path: parent.join(format!(".{name}.partial-{}", std::process::id())),
        keep: false,
    };
    let _ = std::fs::remove_dir_all(&staging.path);
    std::fs::create_dir_all(staging.path.join("monitors"))
        .map_err(|e| Error::io(&staging.path, e))?;

    let mut groups = BTreeMap::new();
    let mut events: Vec<(u64, usize, usize)> = Vec::new(); // (step, group position, index)
    for (gpos, g) in spiking.iter().enumerate() {
        let key = format!("{g}.spike");
        let num = built.net.group(g)?.num();
        let mut counts = vec![0u64; num];
        for (step, row, idx) in monitors.spike_events(&key)? {
            if row == 0 {
                counts[idx] += 1;
                events.push((step, gpos, idx));
            }
        }
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
    events.sort_unstable();
    write_spikes(&staging.path.join("spikes.csv"), &events, &spiking, spec.dt)?;
    for m in &built.monitors {
        monitors.write_csv(
            &m.key,
            staging.path.join("monitors").join(format!("{}.csv", m.key)),
        )?;
        monitors.plot_trace(&m.key, 10, staging.path.join(format!("{}.png", m.key)))?;
    }
    let raster_keys: Vec<&str> = spike_keys.iter().map(String::as_str).collect();
    if !raster_keys.is_empty() {
        monitors.plot_raster(
            &raster_keys,
            &path.display().to_string(),
            staging.path.join("raster.png"),
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
    std::fs::write(staging.path.join("summary.json"), json)
        .map_err(|e| Error::io(&staging.path, e))?;
    publish(&staging.path, out)?;
    Ok(summary)
}

/// `spikes.csv`: `step,t_ms,group,index`, ordered by step, then group (file order), then index.
fn write_spikes(
    path: &Path,
    events: &[(u64, usize, usize)],
    groups: &[String],
    dt: f64,
) -> Result<()> {
    let io = |e| Error::io(path, e);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    writeln!(f, "step,t_ms,group,index").map_err(io)?;
    for &(step, g, i) in events {
        writeln!(f, "{step},{},{},{i}", step as f64 * dt, groups[g]).map_err(io)?;
    }
    f.flush().map_err(io)
}

/// Moves every file of `staging` into `out` (creating it), replacing files of the same names.
fn publish(staging: &Path, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out.join("monitors")).map_err(|e| Error::io(out, e))?;
    for sub in ["", "monitors"] {
        let dir = staging.join(sub);
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            if entry.path().is_file() {
                let dest = out.join(sub).join(entry.file_name());
                std::fs::rename(entry.path(), &dest).map_err(|e| Error::io(&dest, e))?;
            }
        }
    }
    Ok(())
}
