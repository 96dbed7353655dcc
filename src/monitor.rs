//! Recorded traces of a run: what a [`crate::runner::Runner`] returns.
//!
//! Each monitor holds one tensor `[steps, rows, n]` (`rows` = batch size, 1 without a batch
//! axis; `n` = recorded indices) on the run's device, plus helpers to bring it to the host,
//! extract spike events, write CSV files and draw plots. Spikes recorded as events
//! ([`Runner::record_events`](crate::runner::Runner::record_events)) are kept as
//! `(step, row, index)` triples ([`Events`]), so their memory grows with the number of spikes,
//! not with steps × neurons.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use burn::tensor::{Bool, Tensor};

use crate::error::{Error, Result};
use crate::plot::{RasterGroup, Series, line_chart, raster};
use crate::run_engine::Engine;
use crate::tensor_io::{to_bool_vec, to_f64_vec};

/// A recorded variable: `[steps, rows, n]`.
#[derive(Clone, Debug)]
pub enum Trace {
    /// A float state (V, g, ...), or float spikes in Training mode.
    Float(Tensor<3>),
    /// A boolean state (spikes outside Training).
    Bool(Tensor<3, Bool>),
}

impl Trace {
    /// `[steps, rows, n]`.
    pub fn dims(&self) -> [usize; 3] {
        match self {
            Trace::Float(t) => t.dims(),
            Trace::Bool(t) => t.dims(),
        }
    }

    /// The values on the host, row-major `[steps, rows, n]` (booleans as 0/1).
    pub fn to_host(&self) -> Result<Vec<f64>> {
        match self {
            Trace::Float(t) => to_f64_vec(t.clone()),
            Trace::Bool(t) => Ok(to_bool_vec(t.clone())?
                .into_iter()
                .map(|b| f64::from(u8::from(b)))
                .collect()),
        }
    }
}

/// One monitor: its key, the recorded neuron indices and the trace.
#[derive(Clone, Debug)]
pub struct Monitor {
    /// `member.var`, e.g. `wb.V`.
    pub key: String,
    /// The recorded indices (columns of the state).
    pub indices: Vec<usize>,
    /// Total number of elements of the state (for rasters).
    pub num: usize,
    /// Steps recorded (every `every` steps).
    pub steps: Vec<u64>,
    /// The values.
    pub trace: Trace,
}

/// One spike (a `true` of a boolean state, or a float spike > 0) after step `step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    /// The step.
    pub step: u64,
    /// The batch row (0 without a batch axis).
    pub row: u32,
    /// The element (neuron) index.
    pub index: u32,
}

/// The spike events of one state over a run, ordered by step, then row, then index.
#[derive(Clone, Debug)]
pub struct Events {
    /// `member.var`, e.g. `E.spike`.
    pub key: String,
    /// Number of elements of the state.
    pub num: usize,
    /// Batch rows (1 without a batch axis).
    pub rows: usize,
    /// The steps run (`start..end`).
    pub steps: std::ops::Range<u64>,
    /// The events.
    pub events: Vec<Event>,
}

/// All monitors of a run, and the engine that ran it.
#[derive(Clone, Debug)]
pub struct Monitors {
    /// Step size of the run (ms).
    pub dt: f64,
    engine: Engine,
    monitors: BTreeMap<String, Monitor>,
    order: Vec<String>,
    events: BTreeMap<String, Events>,
}

impl Monitors {
    pub(crate) fn new(dt: f64, engine: Engine) -> Self {
        Monitors {
            dt,
            engine,
            monitors: BTreeMap::new(),
            order: Vec::new(),
            events: BTreeMap::new(),
        }
    }

    /// The engine that ran the steps (and, for the composed path, why the fused engine
    /// declined).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn insert_events(&mut self, e: Events) {
        self.events.insert(e.key.clone(), e);
    }

    /// The spike events recorded for `key` with
    /// [`Runner::record_events`](crate::runner::Runner::record_events).
    pub fn events(&self, key: &str) -> Result<&Events> {
        self.events.get(key).ok_or_else(|| {
            let keys: Vec<&String> = self.events.keys().collect();
            Error::unknown_key(key, format!("keys recorded as events: {keys:?}"))
        })
    }

    pub(crate) fn insert(&mut self, m: Monitor) {
        self.order.push(m.key.clone());
        self.monitors.insert(m.key.clone(), m);
    }

    /// The monitor `key`.
    pub fn get(&self, key: &str) -> Result<&Monitor> {
        self.monitors
            .get(key)
            .ok_or_else(|| Error::unknown_key(key, format!("monitored keys: {:?}", self.order)))
    }

    /// Monitor keys in the order they were declared.
    pub fn keys(&self) -> &[String] {
        &self.order
    }

    /// The float trace `key` as `[steps, rows, n]` (booleans converted to 0/1 floats).
    pub fn tensor(&self, key: &str) -> Result<Tensor<3>> {
        Ok(match &self.get(key)?.trace {
            Trace::Float(t) => t.clone(),
            Trace::Bool(b) => {
                let dtype = burn::tensor::FloatDType::F32;
                b.clone().cast(dtype)
            }
        })
    }

    /// Spike events `(step, batch row, index)` of a spike monitor (value > 0) or of a key
    /// recorded as events, ordered by step, then row, then index.
    pub fn spike_events(&self, key: &str) -> Result<Vec<(u64, usize, usize)>> {
        if let Some(e) = self.events.get(key) {
            return Ok(e
                .events
                .iter()
                .map(|e| (e.step, e.row as usize, e.index as usize))
                .collect());
        }
        let m = self.get(key)?;
        let [steps, rows, n] = m.trace.dims();
        let v = m.trace.to_host()?;
        let mut out = Vec::new();
        for s in 0..steps {
            for r in 0..rows {
                for j in 0..n {
                    if v[(s * rows + r) * n + j] > 0.0 {
                        out.push((m.steps[s], r, m.indices[j]));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Writes `key` as CSV: header `step,t_ms,<index>...` (with a batch axis the columns are
    /// `b<row>_<index>`), one row per recorded step, `t_ms = step·dt` (BrainPy's label
    /// convention: row k holds the state after step k).
    pub fn write_csv(&self, key: &str, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let m = self.get(key)?;
        let [steps, rows, n] = m.trace.dims();
        let v = m.trace.to_host()?;
        let io = |e| Error::io(path, e);
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
        let mut header = String::from("step,t_ms");
        for r in 0..rows {
            for &i in &m.indices {
                if rows == 1 {
                    header.push_str(&format!(",{i}"));
                } else {
                    header.push_str(&format!(",b{r}_{i}"));
                }
            }
        }
        writeln!(f, "{header}").map_err(io)?;
        for s in 0..steps {
            let step = m.steps[s];
            write!(f, "{step},{}", step as f64 * self.dt).map_err(io)?;
            for x in &v[s * rows * n..(s + 1) * rows * n] {
                write!(f, ",{x}").map_err(io)?;
            }
            writeln!(f).map_err(io)?;
        }
        f.flush().map_err(io)
    }

    /// Draws spike rasters of the given spike monitors or event records (batch row 0) with the
    /// population rate.
    pub fn plot_raster(&self, keys: &[&str], title: &str, path: impl AsRef<Path>) -> Result<()> {
        let mut groups = Vec::new();
        let mut t_max: f64 = 0.0;
        for key in keys {
            if let Some(e) = self.events.get(*key) {
                groups.push(RasterGroup {
                    label: key.to_string(),
                    num: e.num,
                    spikes: e
                        .events
                        .iter()
                        .filter(|e| e.row == 0)
                        .map(|e| (e.step as f64 * self.dt, e.index as usize))
                        .collect(),
                });
                if !e.steps.is_empty() {
                    t_max = t_max.max(e.steps.end as f64 * self.dt);
                }
                continue;
            }
            let m = self.get(key)?;
            let events = self.spike_events(key)?;
            let pos: std::collections::HashMap<usize, usize> =
                m.indices.iter().enumerate().map(|(k, &i)| (i, k)).collect();
            groups.push(RasterGroup {
                label: key.to_string(),
                num: m.indices.len(),
                spikes: events
                    .iter()
                    .filter(|e| e.1 == 0)
                    .map(|&(s, _, i)| (s as f64 * self.dt, pos[&i]))
                    .collect(),
            });
            if let Some(&last) = m.steps.last() {
                t_max = t_max.max((last + 1) as f64 * self.dt);
            }
        }
        let bin = (t_max / 100.0).max(self.dt);
        raster(path, title, &groups, t_max, Some(bin), (1000, 700))
    }

    /// Draws the traces of `key` (batch row 0, at most `max_lines` indices).
    pub fn plot_trace(&self, key: &str, max_lines: usize, path: impl AsRef<Path>) -> Result<()> {
        let m = self.get(key)?;
        let [steps, rows, n] = m.trace.dims();
        let v = m.trace.to_host()?;
        let series: Vec<Series> = (0..n.min(max_lines))
            .map(|j| {
                let pts = (0..steps)
                    .map(|s| (m.steps[s] as f64 * self.dt, v[(s * rows) * n + j]))
                    .collect();
                Series::new(format!("{}[{}]", key, m.indices[j]), pts)
            })
            .collect();
        line_chart(path, key, "time (ms)", key, &series, (1000, 500))
    }
}
