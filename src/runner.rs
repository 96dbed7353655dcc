//! Running a network for a duration with inputs and monitors (BrainPy's `DSRunner`).
//!
//! Per step `k` (`t_k = k·dt`): inputs for `t_k` are added into their groups' `input` →
//! the network updates (synapses, neurons, delays) → monitors record the state after the step
//! (labelled `t_k`, BrainPy's convention) → every `input` is cleared.

use std::sync::Arc;

use burn::tensor::{Int, Tensor};
use indicatif::{ProgressBar, ProgressStyle};

use crate::dynamics::check_dt;
use crate::error::{Error, Result};
use crate::monitor::{Event, EventList, Events, Monitor, Monitors, Trace};
use crate::network::Network;
use crate::run_engine::{Engine, Fallback};
use crate::state::StateTensor;

/// The value of an input over time.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per runner input
pub enum InputValue {
    /// The same value for every neuron at every step.
    Constant(f64),
    /// One value per neuron, every step.
    PerNeuron(Vec<f64>),
    /// One row of per-neuron values per step (`values[k]` at step k, length 1 or num); the
    /// last row is held after the end.
    PerStep(Vec<Vec<f64>>),
    /// A function of time `t` (ms) giving one value for every neuron.
    Func(Arc<dyn Fn(f64) -> f64 + Send + Sync>),
    /// A constant `[rows, num]` (or broadcastable) tensor, e.g. one current per batch row.
    Tensor(Tensor<2>),
    /// `values` (one value, or one per neuron) while `start ≤ t_k < stop`, nothing otherwise
    /// (BrainPy's section input; times in ms).
    Section {
        values: Vec<f64>,
        start: f64,
        stop: f64,
    },
}

impl std::fmt::Debug for InputValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputValue::Constant(c) => write!(f, "Constant({c})"),
            InputValue::PerNeuron(v) => write!(f, "PerNeuron(len {})", v.len()),
            InputValue::PerStep(v) => write!(f, "PerStep({} steps)", v.len()),
            InputValue::Func(_) => write!(f, "Func(..)"),
            InputValue::Tensor(t) => write!(f, "Tensor({:?})", t.dims()),
            InputValue::Section {
                values,
                start,
                stop,
            } => {
                write!(f, "Section(len {}, [{start}, {stop}) ms)", values.len())
            }
        }
    }
}

#[derive(Debug)]
struct InputSpec {
    group: String,
    value: InputValue,
    /// Built once for constant inputs.
    cached: Option<Tensor<2>>,
}

#[derive(Debug)]
struct MonitorSpec {
    key: String,
    member: String,
    var: String,
    indices: Option<Vec<usize>>,
    every: u64,
}

#[derive(Debug)]
struct EventSpec {
    key: String,
    member: String,
    var: String,
}

/// Runs a [`Network`]: inputs, monitors, a progress bar.
#[derive(Debug)]
pub struct Runner<'a> {
    net: &'a mut Network,
    dt: f64,
    inputs: Vec<InputSpec>,
    monitors: Vec<MonitorSpec>,
    events: Vec<EventSpec>,
    progress: bool,
    fused: bool,
    check_finite: bool,
}

/// Splits `member.var` and checks that the member and the state exist.
fn resolve_key(net: &Network, key: &str) -> Result<(String, String, usize)> {
    let (member, var) = key.split_once('.').ok_or_else(|| {
        Error::unknown_key(
            key,
            "monitor keys are `<group or synapse>.<state>`, e.g. `wb.V`",
        )
    })?;
    let m = net
        .members()
        .into_iter()
        .find(|m| m.name() == member)
        .ok_or_else(|| {
            let names: Vec<String> = net.members().iter().map(|m| m.name().to_string()).collect();
            Error::unknown_key(key, format!("no member `{member}`; members: {names:?}"))
        })?;
    if !m.states().contains(var) {
        let vars: Vec<&str> = m.states().iter().map(|(k, _)| k).collect();
        return Err(Error::unknown_key(
            key,
            format!("`{member}` has states {vars:?}"),
        ));
    }
    let cols = m.states().get(var).dims()[1];
    Ok((member.to_string(), var.to_string(), cols))
}

impl<'a> Runner<'a> {
    /// A runner stepping `net` with step size `dt` (ms).
    pub fn new(net: &'a mut Network, dt: f64) -> Result<Self> {
        Ok(Runner {
            net,
            dt: check_dt(dt)?,
            inputs: Vec::new(),
            monitors: Vec::new(),
            events: Vec::new(),
            progress: false,
            fused: true,
            check_finite: false,
        })
    }

    /// Adds `value` into the `input` of group `group` (`"wb"` or `"wb.input"`) every step.
    pub fn input(mut self, group: &str, value: InputValue) -> Result<Self> {
        let group = group.strip_suffix(".input").unwrap_or(group).to_string();
        let g = self.net.group(&group)?;
        if !g.has_input() {
            return Err(Error::arg(
                format!("{group}.input"),
                "this group takes no input",
            ));
        }
        let num = g.num();
        let ctx = self.net.ctx().clone();
        let values: Vec<&[f64]> = match &value {
            InputValue::Constant(c) => vec![std::slice::from_ref(c)],
            InputValue::PerNeuron(v) | InputValue::Section { values: v, .. } => vec![&v[..]],
            InputValue::PerStep(rows) => rows.iter().map(|r| &r[..]).collect(),
            InputValue::Func(_) | InputValue::Tensor(_) => Vec::new(),
        };
        for v in values {
            if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                return Err(Error::arg(
                    format!("{group}.input"),
                    format!("values must be finite, got {x}"),
                ));
            }
            crate::param::check_fits(&format!("{group}.input"), v, ctx.precision)?;
        }
        let check_len = |len: usize, what: &str| {
            if len == 1 || len == num {
                Ok(())
            } else {
                Err(Error::ShapeMismatch {
                    what: format!("{group}.input ({what})"),
                    expected: vec![num],
                    got: vec![len],
                })
            }
        };
        let cached = match &value {
            InputValue::Constant(c) => Some(ctx.tensor(vec![*c], [1, 1])),
            InputValue::PerNeuron(v) => {
                check_len(v.len(), "per-neuron values")?;
                Some(ctx.tensor(v.clone(), [1, v.len()]))
            }
            InputValue::PerStep(rows) => {
                if rows.is_empty() {
                    return Err(Error::arg(
                        format!("{group}.input"),
                        "per-step input has no rows",
                    ));
                }
                for r in rows {
                    check_len(r.len(), "per-step row")?;
                }
                None
            }
            InputValue::Func(_) => None,
            InputValue::Tensor(t) => Some(t.clone()),
            InputValue::Section {
                values,
                start,
                stop,
            } => {
                check_len(values.len(), "section values")?;
                if start.is_nan() || stop.is_nan() || start > stop {
                    return Err(Error::arg(
                        format!("{group}.input"),
                        format!("section needs start <= stop, got [{start}, {stop})"),
                    ));
                }
                Some(ctx.tensor(values.clone(), [1, values.len()]))
            }
        };
        self.inputs.push(InputSpec {
            group,
            value,
            cached,
        });
        Ok(self)
    }

    /// Records state `key` (`member.var`, e.g. `wb.V`, `wb.spike`, `syn.g`) every step.
    pub fn monitor(self, key: &str) -> Result<Self> {
        self.monitor_with(key, None, 1)
    }

    /// Records `key` at the given indices only, every `every` steps (`every` ≥ 1): the states
    /// after steps `every − 1, 2·every − 1, ...` (at multiples of `every·dt`), as BrainPy's
    /// sub-sampled traces.
    pub fn monitor_with(
        mut self,
        key: &str,
        indices: Option<Vec<usize>>,
        every: u64,
    ) -> Result<Self> {
        let (member, var, cols) = resolve_key(self.net, key)?;
        if every == 0 {
            return Err(Error::arg(format!("{key}.every"), "must be at least 1"));
        }
        if let Some(idx) = &indices
            && let Some(i) = idx.iter().find(|&&i| i >= cols)
        {
            return Err(Error::arg(
                format!("{key}.indices"),
                format!("index {i} out of range for {cols} elements"),
            ));
        }
        if self.monitors.iter().any(|m| m.key == key) {
            return Err(Error::DuplicateName(key.to_string()));
        }
        self.monitors.push(MonitorSpec {
            key: key.to_string(),
            member,
            var,
            indices,
            every,
        });
        Ok(self)
    }

    /// Records the spikes of `key` (`member.var`, a spike or other boolean state, e.g.
    /// `E.spike`) as events `(step, row, index)` every step ([`Monitors::events`]): memory grows
    /// with the number of spikes, not with steps × neurons as a dense monitor's does.
    pub fn record_events(mut self, key: &str) -> Result<Self> {
        let (member, var, cols) = resolve_key(self.net, key)?;
        let m = self
            .net
            .members()
            .into_iter()
            .find(|m| m.name() == member)
            .ok_or_else(|| Error::unknown_key(key, "member vanished"))?;
        if !matches!(m.states().get(&var), StateTensor::Bool(_)) && var != "spike" {
            return Err(Error::arg(
                key,
                "only spikes and other boolean states can be recorded as events",
            ));
        }
        if u32::try_from(cols).is_err() || u32::try_from(m.states().rows()).is_err() {
            return Err(Error::arg(key, "too many elements to record as events"));
        }
        if self.events.iter().any(|e| e.key == key) {
            return Err(Error::DuplicateName(key.to_string()));
        }
        self.events.push(EventSpec {
            key: key.to_string(),
            member,
            var,
        });
        Ok(self)
    }

    /// Shows a progress bar on the terminal (off by default).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Whether a run may take the fused host path ([`crate::fused`]; on by default). It is
    /// taken on the CPU backends when no gradient can be tracked and every member has a host
    /// kernel, and gives the composed-op path's results within float rounding; `false` forces
    /// the composed-op path (tests compare the two).
    pub fn fused(mut self, on: bool) -> Self {
        self.fused = on;
        self
    }

    /// Whether the run stops at the first NaN or infinite state (off by default) with
    /// [`Error::NonFinite`], which names the member, state, element, step and time and hints at
    /// the likely cause. The fused path scans every float state after every step (exact step);
    /// the composed-op path checks every [`COMPOSED_CHECK_EVERY`](crate::finite::COMPOSED_CHECK_EVERY)
    /// steps and after the last one (the error then also names the last step known finite).
    /// After the error the network holds the states of the step where the value was seen.
    pub fn check_finite(mut self, on: bool) -> Self {
        self.check_finite = on;
        self
    }

    /// The input of `spec` at run step `k` (time `t`), `None` when it adds nothing.
    fn input_tensor(&self, spec: &InputSpec, k: u64, t: f64) -> Option<Tensor<2>> {
        if let InputValue::Section { start, stop, .. } = &spec.value
            && (t < *start || t >= *stop)
        {
            return None;
        }
        if let Some(c) = &spec.cached {
            return Some(c.clone());
        }
        let ctx = self.net.ctx();
        Some(match &spec.value {
            InputValue::PerStep(rows) => {
                let row = &rows[(k as usize).min(rows.len() - 1)];
                ctx.tensor(row.clone(), [1, row.len()])
            }
            InputValue::Func(f) => ctx.tensor(vec![f(t)], [1, 1]),
            _ => unreachable!("constant inputs are cached"),
        })
    }

    /// The first non-finite float state of any member (composed path).
    fn scan_finite(&self) -> Result<Option<crate::finite::Found>> {
        for m in self.net.members() {
            for (key, state) in m.states().iter() {
                if key == "input" {
                    continue;
                }
                if let Some(found) = crate::finite::check_tensor(m.name(), key, state)? {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }

    /// Runs for `duration` ms (`round(duration/dt)` steps) and returns the monitors.
    pub fn run(&mut self, duration: f64) -> Result<Monitors> {
        if !(duration.is_finite() && duration >= 0.0) {
            return Err(Error::arg(
                "duration",
                format!("must be a non-negative number of ms, got {duration}"),
            ));
        }
        let n_steps = (duration / self.dt).round() as u64;
        self.run_steps(n_steps)
    }

    /// Runs `n_steps` steps and returns the monitors.
    pub fn run_steps(&mut self, n_steps: u64) -> Result<Monitors> {
        let bar = if self.progress && n_steps > 0 {
            let pb = ProgressBar::new(n_steps);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} steps {per_sec} eta {eta}")
            {
                pb.set_style(style);
            }
            Some(pb)
        } else {
            None
        };
        let fallback = if self.fused {
            let inputs: Vec<crate::fused::engine::InputPlan> = self
                .inputs
                .iter()
                .map(|i| crate::fused::engine::InputPlan {
                    group: i.group.clone(),
                    value: i.value.clone(),
                })
                .collect();
            let monitors: Vec<crate::fused::engine::MonitorPlan> = self
                .monitors
                .iter()
                .map(|m| crate::fused::engine::MonitorPlan {
                    key: m.key.clone(),
                    member: m.member.clone(),
                    var: m.var.clone(),
                    indices: m.indices.clone(),
                    every: m.every,
                })
                .collect();
            let events: Vec<crate::fused::engine::EventPlan> = self
                .events
                .iter()
                .map(|e| crate::fused::engine::EventPlan {
                    key: e.key.clone(),
                    member: e.member.clone(),
                    var: e.var.clone(),
                })
                .collect();
            let plan = crate::fused::engine::Plan {
                dt: self.dt,
                inputs: &inputs,
                monitors: &monitors,
                events: &events,
                n_steps,
                progress: bar.as_ref(),
                check_finite: self.check_finite,
            };
            let done = crate::fused::engine::try_run(self.net, &plan)?;
            match done {
                Ok(out) => {
                    if let Some(pb) = bar {
                        pb.finish_and_clear();
                    }
                    return Ok(out);
                }
                Err(why) => why,
            }
        } else {
            Fallback::Disabled
        };
        let device = self.net.ctx().device.clone();
        let index_tensors: Vec<Option<Tensor<1, Int>>> = self
            .monitors
            .iter()
            .map(|m| {
                m.indices.as_ref().map(|idx| {
                    let v: Vec<i64> = idx.iter().map(|&i| i as i64).collect();
                    Tensor::<1, Int>::from_data(
                        burn::tensor::TensorData::new(v, [idx.len()]),
                        &device,
                    )
                })
            })
            .collect();
        // Recorded steps are stacked in chunks to keep the number of live tensors small.
        const CHUNK: usize = 512;
        let mut pending: Vec<Vec<StateTensor>> = vec![Vec::new(); self.monitors.len()];
        let mut chunks: Vec<Vec<Trace>> = vec![Vec::new(); self.monitors.len()];
        let mut steps: Vec<Vec<u64>> = vec![Vec::new(); self.monitors.len()];
        let start = self.net.step_index();
        let mut event_pending: Vec<Vec<StateTensor>> = vec![Vec::new(); self.events.len()];
        let mut event_out: Vec<EventList> = vec![EventList::default(); self.events.len()];
        let mut event_from: Vec<u64> = vec![start; self.events.len()];
        let mut last_finite: Option<u64> = None;
        for n in 0..n_steps {
            let k = start + n;
            let t = k as f64 * self.dt;
            for spec in &self.inputs {
                if let Some(x) = self.input_tensor(spec, n, t) {
                    self.net.add_input(&spec.group, x)?;
                }
            }
            self.net.update(self.dt)?;
            if self.check_finite
                && ((n + 1).is_multiple_of(crate::finite::COMPOSED_CHECK_EVERY) || n + 1 == n_steps)
            {
                if let Some(found) = self.scan_finite()? {
                    if let Some(pb) = bar {
                        pb.finish_and_clear();
                    }
                    self.net.clear_input();
                    return Err(found.into_error(k, self.dt, Some(last_finite)));
                }
                last_finite = Some(k);
            }
            for (mi, m) in self.monitors.iter().enumerate() {
                // Every k-th step: the steps k−1, 2k−1, ... (the states at multiples of k·dt),
                // counted from step 0 of the network so that consecutive runs stay aligned.
                if !(k + 1).is_multiple_of(m.every) {
                    continue;
                }
                let member = self
                    .net
                    .members()
                    .into_iter()
                    .find(|d| d.name() == m.member)
                    .ok_or_else(|| Error::unknown_key(&m.key, "member vanished"))?;
                let value = member.states().get(&m.var).clone();
                let value = match &index_tensors[mi] {
                    None => value,
                    Some(idx) => match value {
                        StateTensor::Float(t) => StateTensor::Float(t.select(1, idx.clone())),
                        StateTensor::Bool(t) => StateTensor::Bool(t.select(1, idx.clone())),
                    },
                };
                pending[mi].push(value);
                steps[mi].push(k);
                if pending[mi].len() == CHUNK {
                    chunks[mi].push(stack(std::mem::take(&mut pending[mi])));
                }
            }
            for (ei, e) in self.events.iter().enumerate() {
                let member = self
                    .net
                    .members()
                    .into_iter()
                    .find(|d| d.name() == e.member)
                    .ok_or_else(|| Error::unknown_key(&e.key, "member vanished"))?;
                event_pending[ei].push(member.states().get(&e.var).clone());
                if event_pending[ei].len() == CHUNK || n + 1 == n_steps {
                    let chunk = std::mem::take(&mut event_pending[ei]);
                    append_events(&mut event_out[ei], chunk, event_from[ei])?;
                    event_from[ei] = k + 1;
                }
            }
            self.net.clear_input();
            if let Some(pb) = &bar
                && n % 256 == 0
            {
                pb.set_position(n);
            }
        }
        if let Some(pb) = bar {
            pb.finish_and_clear();
        }
        let mut out = Monitors::new(self.dt, Engine::Composed { reason: fallback });
        for (ei, e) in self.events.iter().enumerate() {
            let (rows, num) = self
                .net
                .members()
                .into_iter()
                .find(|d| d.name() == e.member)
                .map(|d| {
                    let [r, c] = d.states().get(&e.var).dims();
                    (r, c)
                })
                .unwrap_or((0, 0));
            out.insert_events(Events {
                key: e.key.clone(),
                num,
                rows,
                steps: start..start + n_steps,
                events: std::mem::take(&mut event_out[ei]),
            });
        }
        for (mi, m) in self.monitors.iter().enumerate() {
            if !pending[mi].is_empty() {
                chunks[mi].push(stack(std::mem::take(&mut pending[mi])));
            }
            let member = self
                .net
                .members()
                .into_iter()
                .find(|d| d.name() == m.member)
                .map(|d| d.states().get(&m.var).dims()[1]);
            let num = member.unwrap_or(0);
            let indices = m.indices.clone().unwrap_or_else(|| (0..num).collect());
            let rows = self.net.mode().rows();
            let trace = concat(
                std::mem::take(&mut chunks[mi]),
                rows,
                indices.len(),
                self.net.ctx(),
            );
            out.insert(Monitor {
                key: m.key.clone(),
                indices,
                num,
                steps: std::mem::take(&mut steps[mi]),
                trace,
            });
        }
        Ok(out)
    }
}

/// Appends the events of consecutive per-step `[rows, n]` states (the first after step
/// `first`), read back to the host in one piece.
fn append_events(out: &mut EventList, chunk: Vec<StateTensor>, first: u64) -> Result<()> {
    let Some([rows, n]) = chunk.first().map(StateTensor::dims) else {
        return Ok(());
    };
    let steps = chunk.len();
    let v = stack(chunk).to_host()?;
    for s in 0..steps {
        for r in 0..rows {
            let row = &v[(s * rows + r) * n..(s * rows + r + 1) * n];
            for (i, &x) in row.iter().enumerate() {
                if x > 0.0 {
                    out.push(Event {
                        step: first + s as u64,
                        row: r as u32,
                        index: i as u32,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Stacks per-step `[rows, n]` states into `[steps, rows, n]`.
fn stack(values: Vec<StateTensor>) -> Trace {
    match values.first() {
        Some(StateTensor::Bool(_)) => Trace::Bool(Tensor::stack(
            values
                .into_iter()
                .filter_map(|v| {
                    if let StateTensor::Bool(b) = v {
                        Some(b)
                    } else {
                        None
                    }
                })
                .collect(),
            0,
        )),
        _ => Trace::Float(Tensor::stack(
            values
                .into_iter()
                .filter_map(|v| {
                    if let StateTensor::Float(f) = v {
                        Some(f)
                    } else {
                        None
                    }
                })
                .collect(),
            0,
        )),
    }
}

/// Concatenates chunks along the step axis (an empty `[0, rows, n]` float trace if none).
fn concat(chunks: Vec<Trace>, rows: usize, n: usize, ctx: &crate::backend::Ctx) -> Trace {
    match chunks.first() {
        None => Trace::Float(Tensor::zeros([0, rows, n], (&ctx.device, ctx.dtype()))),
        Some(Trace::Bool(_)) => Trace::Bool(Tensor::cat(
            chunks
                .into_iter()
                .filter_map(|c| {
                    if let Trace::Bool(b) = c {
                        Some(b)
                    } else {
                        None
                    }
                })
                .collect(),
            0,
        )),
        Some(Trace::Float(_)) => Trace::Float(Tensor::cat(
            chunks
                .into_iter()
                .filter_map(|c| {
                    if let Trace::Float(f) = c {
                        Some(f)
                    } else {
                        None
                    }
                })
                .collect(),
            0,
        )),
    }
}
