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

/// Spike events in step order, stored compactly so a long run's record stays small: 4 bytes
/// per event (its index), 16 per step that has any, and 4 more per event only once an event of
/// a batch row other than 0 is pushed. A `Vec<Event>` would take 16 bytes per event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventList {
    /// Each step that has events, with the end of its events in `index`.
    steps: Vec<(u64, usize)>,
    index: Vec<u32>,
    /// The batch row of every event; empty while every row is 0.
    row: Vec<u32>,
}

impl EventList {
    /// Appends `e`; events come in step order (a programmer bug otherwise).
    pub fn push(&mut self, e: Event) {
        match self.steps.last_mut() {
            Some((step, end)) if *step == e.step => *end += 1,
            last => {
                assert!(
                    last.is_none_or(|(step, _)| *step < e.step),
                    "events are pushed in step order"
                );
                self.steps.push((e.step, self.index.len() + 1));
            }
        }
        if e.row != 0 && self.row.is_empty() {
            self.row = vec![0; self.index.len()];
        }
        if !self.row.is_empty() {
            self.row.push(e.row);
        }
        self.index.push(e.index);
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The events in the order they were pushed.
    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        let mut start = 0;
        self.steps.iter().flat_map(move |&(step, end)| {
            let range = start..end;
            start = end;
            range.map(move |k| Event {
                step,
                row: self.row.get(k).copied().unwrap_or(0),
                index: self.index[k],
            })
        })
    }
}

impl FromIterator<Event> for EventList {
    fn from_iter<I: IntoIterator<Item = Event>>(events: I) -> Self {
        let mut out = EventList::default();
        for e in events {
            out.push(e);
        }
        out
    }
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
    pub events: EventList,
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
            let dt = self.dt;
            if let Some(e) = self.events.get(*key) {
                groups.push(RasterGroup {
                    label: key.to_string(),
                    num: e.num,
                    spikes: Box::new(move || {
                        Box::new(
                            e.events
                                .iter()
                                .filter(|e| e.row == 0)
                                .map(move |e| (e.step as f64 * dt, e.index as usize)),
                        )
                    }),
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
            let spikes: std::rc::Rc<Vec<(f64, usize)>> = std::rc::Rc::new(
                events
                    .iter()
                    .filter(|e| e.1 == 0)
                    .map(|&(s, _, i)| (s as f64 * dt, pos[&i]))
                    .collect(),
            );
            groups.push(RasterGroup {
                label: key.to_string(),
                num: m.indices.len(),
                spikes: Box::new(move || {
                    let spikes = spikes.clone();
                    Box::new((0..spikes.len()).map(move |k| spikes[k]))
                }),
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

#[cfg(test)]
mod tests {
    use super::{Event, EventList};

    fn ev(step: u64, row: u32, index: u32) -> Event {
        Event { step, row, index }
    }

    #[test]
    fn event_lists_give_back_what_was_pushed_in_four_bytes_an_event() {
        let plain = vec![ev(0, 0, 3), ev(0, 0, 7), ev(5, 0, 1), ev(9, 0, 0)];
        let list: EventList = plain.iter().copied().collect();
        assert_eq!(list.iter().collect::<Vec<_>>(), plain);
        assert_eq!(list.len(), 4);
        assert!(
            list.row.is_empty(),
            "no row storage without a batch row other than 0"
        );
        assert_eq!(list.steps.len(), 3);
        // A batch row other than 0 starts the row storage, earlier events keep row 0.
        let batched = vec![ev(1, 0, 2), ev(1, 1, 2), ev(2, 3, 0)];
        let list: EventList = batched.iter().copied().collect();
        assert_eq!(list.iter().collect::<Vec<_>>(), batched);
        assert!(EventList::default().is_empty());
    }

    #[test]
    #[should_panic(expected = "step order")]
    fn events_out_of_step_order_are_a_bug() {
        let _: EventList = [ev(2, 0, 0), ev(1, 0, 0)].into_iter().collect();
    }
}
