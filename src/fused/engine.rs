//! The fused host engine: a whole [`Runner`](crate::runner::Runner) run of a network in plain
//! Rust on host arrays.
//!
//! [`try_run`] moves every member's parameters and states to the host once (through the
//! members' [`fused_kernel`](crate::neuron::NeuronGroup::fused_kernel)s), runs the steps in
//! the network's order (inputs → synapses → groups → delay pushes → monitors → inputs
//! cleared, SPEC §4) without a tensor op, and at the end writes every state back into its
//! member (through [`Dynamics::load_state`]) and builds the monitor traces as
//! `[steps, rows, n]` tensors. It declines (returns `None`, having changed nothing) when the
//! network is not on a CPU backend, may track gradients, or has a member or monitor without a
//! host form; the runner then takes the composed-op path.

use std::borrow::Cow;
use std::sync::Arc;

use burn::tensor::{Bool, Tensor, TensorData};
use indicatif::ProgressBar;

use super::host::{HostFloat, HostGroup, HostSlice, HostSynapse, read_float};
use crate::backend::Precision;
use crate::dynamics::{Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::finite::{Found, first_non_finite};
use crate::monitor::{Event, EventList, Events, Monitor, Monitors, Trace};
use crate::network::Network;
use crate::run_engine::{Engine, Fallback};
use crate::runner::InputValue;
use crate::synapse::OutputTarget;

/// A runner input: the group it feeds and its value.
#[derive(Clone, Debug)]
pub struct InputPlan {
    /// The group.
    pub group: String,
    /// The value over time.
    pub value: InputValue,
}

/// A runner monitor.
#[derive(Clone, Debug)]
pub struct MonitorPlan {
    /// `member.var`.
    pub key: String,
    /// The member.
    pub member: String,
    /// The state.
    pub var: String,
    /// Recorded columns (all when `None`).
    pub indices: Option<Vec<usize>>,
    /// Record every `every` steps.
    pub every: u64,
}

/// A key recorded as spike events.
#[derive(Clone, Debug)]
pub struct EventPlan {
    /// `member.var`.
    pub key: String,
    /// The member.
    pub member: String,
    /// The (boolean) state.
    pub var: String,
}

/// What a run does: its step size, inputs, records, length and checks.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    /// Step size (ms).
    pub dt: f64,
    /// The inputs.
    pub inputs: &'a [InputPlan],
    /// The dense monitors.
    pub monitors: &'a [MonitorPlan],
    /// The keys recorded as events.
    pub events: &'a [EventPlan],
    /// Steps to run.
    pub n_steps: u64,
    /// A progress bar to advance.
    pub progress: Option<&'a ProgressBar>,
    /// Stop at the first non-finite state.
    pub check_finite: bool,
}

/// Why a network cannot run on the fused path at all, or `None` when it can: a CPU backend,
/// and no gradient can be tracked (not Training mode; on an autodiff device, no trainable
/// parameter).
pub fn ineligible(net: &Network) -> Option<Fallback> {
    let ctx = net.ctx();
    if !ctx.backend.is_cpu() {
        return Some(Fallback::Backend {
            backend: format!("{:?}", ctx.backend),
        });
    }
    if net.mode().is_training() {
        return Some(Fallback::Training);
    }
    if ctx.is_autodiff() {
        for m in net.members() {
            if let Some((p, _)) = m.params().iter().find(|(_, p)| p.is_trainable()) {
                return Some(Fallback::Trainable {
                    member: m.name().to_string(),
                    param: p.to_string(),
                });
            }
        }
    }
    None
}

/// Whether a network can run on the fused path at all (see [`ineligible`]).
pub fn eligible(net: &Network) -> bool {
    ineligible(net).is_none()
}

/// The engine a run of `net` takes, ignoring monitors (a monitor of a state without a host
/// form also sends a run to the composed path; the run's
/// [`Monitors::engine`](crate::monitor::Monitors::engine) says what actually ran).
pub fn plan(net: &Network) -> Result<Engine> {
    if let Some(reason) = ineligible(net) {
        return Ok(Engine::Composed { reason });
    }
    fn all<E: HostFloat>(net: &Network) -> Result<Option<Fallback>> {
        for g in net.groups() {
            if let Err(why) = group_kernel::<E>(g)? {
                return Ok(Some(why));
            }
        }
        for s in net.synapses() {
            if let Err(why) = synapse_kernel::<E>(s)? {
                return Ok(Some(why));
            }
        }
        Ok(None)
    }
    let why = match net.ctx().precision {
        Precision::F32 => all::<f32>(net)?,
        Precision::F64 => all::<f64>(net)?,
    };
    Ok(why.map_or(Engine::Fused, |reason| Engine::Composed { reason }))
}

/// Whether a run of `net` takes the fused path, ignoring monitors (see [`plan`]).
pub fn supported(net: &Network) -> Result<bool> {
    Ok(plan(net)?.is_fused())
}

/// A group's host kernel covering all its states, or why there is none.
fn group_kernel<E: HostFloat>(
    g: &dyn crate::neuron::NeuronGroup,
) -> Result<std::result::Result<Box<dyn HostGroup<E>>, Fallback>> {
    let member = || g.name().to_string();
    let Some(k) = g.fused_kernel() else {
        return Ok(Err(Fallback::Member { member: member() }));
    };
    let Some(k) = E::group_kernel(k?) else {
        return Ok(Err(Fallback::Member { member: member() }));
    };
    if let Some(state) = uncovered(g, |key| k.var(key).is_some()) {
        return Ok(Err(Fallback::State {
            member: member(),
            state,
        }));
    }
    Ok(Ok(k))
}

/// A synapse's host kernel covering all its states, or why there is none.
fn synapse_kernel<E: HostFloat>(
    s: &dyn crate::synapse::Synapse,
) -> Result<std::result::Result<Box<dyn HostSynapse<E>>, Fallback>> {
    let member = || s.name().to_string();
    let Some(k) = s.fused_kernel() else {
        return Ok(Err(Fallback::Member { member: member() }));
    };
    let Some(k) = E::synapse_kernel(k?) else {
        return Ok(Err(Fallback::Member { member: member() }));
    };
    if let Some(state) = uncovered(s, |key| k.var(key).is_some()) {
        return Ok(Err(Fallback::State {
            member: member(),
            state,
        }));
    }
    Ok(Ok(k))
}

/// Runs `plan.n_steps` steps of `net` on the fused path and returns the monitors, or why the
/// fused engine declined (and nothing changed). With `plan.check_finite`, every float state is
/// scanned after every step and the first NaN or infinity stops the run with
/// [`Error::NonFinite`] (the network then holds the states of that step).
pub fn try_run(net: &mut Network, plan: &Plan<'_>) -> Result<Ran> {
    if let Some(why) = ineligible(net) {
        return Ok(Err(why));
    }
    match net.ctx().precision {
        Precision::F32 => run_as::<f32>(net, plan),
        Precision::F64 => run_as::<f64>(net, plan),
    }
}

/// The monitors of a fused run, or why the fused engine declined it.
pub type Ran = std::result::Result<Monitors, Fallback>;

/// Where a monitor reads from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Group(usize),
    Input(usize),
    Synapse(usize),
}

enum Buffer<E> {
    Float(Vec<E>),
    Bool(Vec<bool>),
}

/// One input in host form.
enum HostInput<E> {
    /// One value, or one per column (`len` = 1 or `num`), or a full `rows × num` block, every
    /// step (constants, per-neuron values, tensors).
    Fixed(Vec<E>, usize),
    /// One row per step (the last row held).
    PerStep(Vec<Vec<E>>),
    /// A function of time.
    Func(Arc<dyn Fn(f64) -> f64 + Send + Sync>),
    /// Values (one, or one per column) while `start ≤ t < stop`.
    Section(Vec<E>, f64, f64),
}

/// `dst[r, j] += x[r mod xr, j mod xc]` for an `xr × xc` block broadcast over `rows × num`.
#[inline]
fn add_broadcast<E: HostFloat>(dst: &mut [E], rows: usize, num: usize, x: &[E], xr: usize) {
    let xc = x.len() / xr.max(1);
    if x.len() == 1 {
        let c = x[0];
        dst.iter_mut().for_each(|d| *d += c);
        return;
    }
    for r in 0..rows {
        let xrow = &x[(r % xr) * xc..(r % xr) * xc + xc];
        let drow = &mut dst[r * num..(r + 1) * num];
        if xc == num {
            drow.iter_mut().zip(xrow).for_each(|(d, &v)| *d += v);
        } else {
            let c = xrow[0];
            drow.iter_mut().for_each(|d| *d += c);
        }
    }
}

struct HostNet<E: HostFloat> {
    groups: Vec<Box<dyn HostGroup<E>>>,
    /// The accumulated `input` of each group (empty for groups without one).
    inputs: Vec<Vec<E>>,
    synapses: Vec<Box<dyn HostSynapse<E>>>,
    /// (pre, post) group indices per synapse.
    links: Vec<(usize, usize)>,
}

/// The first state of `member` but `input` without a host form in `has(key)`.
fn uncovered(member: &dyn Dynamics, has: impl Fn(&str) -> bool) -> Option<String> {
    member
        .state_layout()
        .iter()
        .find(|(k, _)| k != "input" && !has(k))
        .map(|(k, _)| k.to_string())
}

/// Most elements a monitor buffer reserves before the run (it grows past this as it fills).
const MAX_RESERVE: usize = 1 << 22;

fn run_as<E: HostFloat>(net: &mut Network, plan: &Plan<'_>) -> Result<Ran> {
    let Plan {
        dt,
        inputs,
        monitors,
        events,
        n_steps,
        progress,
        check_finite,
    } = *plan;
    let rows = net.mode().rows();
    // Build every kernel; decline if one is missing.
    let mut groups = Vec::new();
    let mut bufs = Vec::new();
    let mut nums = Vec::new();
    for g in net.groups() {
        let k = match group_kernel::<E>(g)? {
            Ok(k) => k,
            Err(why) => return Ok(Err(why)),
        };
        bufs.push(if g.has_input() {
            read_float::<E>(g.core(), "input")?
        } else {
            Vec::new()
        });
        nums.push(g.num());
        groups.push(k);
    }
    let names: Vec<String> = net.groups().map(|g| g.name().to_string()).collect();
    let index = |name: &str| names.iter().position(|n| n == name);
    let mut synapses = Vec::new();
    let mut links = Vec::new();
    for s in net.synapses() {
        let k = match synapse_kernel::<E>(s)? {
            Ok(k) => k,
            Err(why) => return Ok(Err(why)),
        };
        let link = || Fallback::Link {
            synapse: s.name().to_string(),
        };
        let (Some(pre), Some(post)) = (index(s.pre()), index(s.post())) else {
            return Ok(Err(link()));
        };
        let writable = match k.target() {
            OutputTarget::Input => !bufs[post].is_empty(),
            OutputTarget::V => groups[post].v().is_some(),
        };
        if groups[pre].spike().is_none() || !writable {
            return Ok(Err(link()));
        }
        synapses.push(k);
        links.push((pre, post));
    }
    let mut host = HostNet {
        groups,
        inputs: bufs,
        synapses,
        links,
    };

    // Inputs on the host.
    let mut host_inputs: Vec<(usize, HostInput<E>)> = Vec::new();
    for inp in inputs {
        let Some(g) = index(&inp.group) else {
            return Ok(Err(Fallback::Input {
                group: inp.group.clone(),
            }));
        };
        let of = |v: &[f64]| v.iter().map(|&x| E::of(x)).collect::<Vec<E>>();
        let h = match &inp.value {
            InputValue::Constant(c) => HostInput::Fixed(vec![E::of(*c)], 1),
            InputValue::PerNeuron(v) => HostInput::Fixed(of(v), 1),
            InputValue::PerStep(r) => HostInput::PerStep(r.iter().map(|r| of(r)).collect()),
            InputValue::Func(f) => HostInput::Func(f.clone()),
            InputValue::Tensor(t) => {
                let [xr, _] = t.dims();
                let v = crate::tensor_io::to_f64_vec(t.clone())?;
                HostInput::Fixed(of(&v), xr)
            }
            InputValue::Section {
                values,
                start,
                stop,
            } => HostInput::Section(of(values), *start, *stop),
        };
        host_inputs.push((g, h));
    }

    // Monitors: where they read, and their buffers.
    let syn_names: Vec<String> = net.synapses().map(|s| s.name().to_string()).collect();
    let mut sources = Vec::new();
    let mut buffers: Vec<Buffer<E>> = Vec::new();
    for m in monitors {
        let src = if let Some(g) = index(&m.member) {
            if m.var == "input" {
                Source::Input(g)
            } else {
                Source::Group(g)
            }
        } else if let Some(s) = syn_names.iter().position(|n| *n == m.member) {
            Source::Synapse(s)
        } else {
            return Ok(Err(Fallback::Monitor { key: m.key.clone() }));
        };
        let view = match src {
            Source::Group(g) => host.groups[g].var(&m.var),
            Source::Input(g) => Some(HostSlice::f(&host.inputs[g][..])),
            Source::Synapse(s) => host.synapses[s].var(&m.var),
        };
        let Some(view) = view else {
            return Ok(Err(Fallback::Monitor { key: m.key.clone() }));
        };
        let per_step = m.indices.as_ref().map_or(view.len(), |i| i.len() * rows);
        let recorded = usize::try_from(n_steps / m.every + 1).unwrap_or(usize::MAX);
        let reserve = per_step.saturating_mul(recorded).min(MAX_RESERVE);
        buffers.push(match view {
            HostSlice::Float(_) => Buffer::Float(Vec::with_capacity(reserve)),
            HostSlice::Bool(_) => Buffer::Bool(Vec::with_capacity(reserve)),
        });
        sources.push(src);
    }

    // Event records: the groups' boolean states they read.
    let mut event_sources: Vec<usize> = Vec::new();
    for e in events {
        let Some(g) = index(&e.member) else {
            return Ok(Err(Fallback::Monitor { key: e.key.clone() }));
        };
        if !matches!(host.groups[g].var(&e.var), Some(HostSlice::Bool(_))) {
            return Ok(Err(Fallback::Monitor { key: e.key.clone() }));
        }
        event_sources.push(g);
    }
    let mut event_out: Vec<EventList> = vec![EventList::default(); events.len()];

    // The float states the finite check scans (borrowed views only: a view built on request,
    // e.g. a delay ring, holds values of states that are scanned themselves).
    let mut finite_plan: Vec<(Source, String, String)> = Vec::new();
    if check_finite {
        for (gi, g) in net.groups().enumerate() {
            for (key, _) in g.state_layout() {
                if matches!(
                    host.groups[gi].var(&key),
                    Some(HostSlice::Float(Cow::Borrowed(_)))
                ) {
                    finite_plan.push((Source::Group(gi), g.name().to_string(), key));
                }
            }
        }
        for (si, s) in net.synapses().enumerate() {
            for (key, _) in s.state_layout() {
                if matches!(
                    host.synapses[si].var(&key),
                    Some(HostSlice::Float(Cow::Borrowed(_)))
                ) {
                    finite_plan.push((Source::Synapse(si), s.name().to_string(), key));
                }
            }
        }
    }

    let columns: Vec<Columns> = monitors
        .iter()
        .map(|m| Columns::new(m.indices.as_deref()))
        .collect();

    // The steps.
    let start = net.step_index();
    let mut steps: Vec<Vec<u64>> = vec![Vec::new(); monitors.len()];
    let mut v_spikes: Vec<bool> = Vec::new();
    for n in 0..n_steps {
        let k = start + n;
        let ts = StepTime::new(k, dt);
        for (g, inp) in &host_inputs {
            let (buf, num) = (&mut host.inputs[*g], nums[*g]);
            match inp {
                HostInput::Fixed(x, xr) => add_broadcast(buf, rows, num, x, *xr),
                HostInput::PerStep(r) => {
                    let row = &r[(n as usize).min(r.len() - 1)];
                    add_broadcast(buf, rows, num, row, 1);
                }
                HostInput::Func(f) => add_broadcast(buf, rows, num, &[E::of(f(ts.t))], 1),
                HostInput::Section(x, t0, t1) => {
                    if *t0 <= ts.t && ts.t < *t1 {
                        add_broadcast(buf, rows, num, x, 1);
                    }
                }
            }
        }
        for (s, syn) in host.synapses.iter_mut().enumerate() {
            let (pre, post) = host.links[s];
            let spikes = host.groups[pre]
                .spike()
                .expect("checked when the plan was built");
            match syn.target() {
                OutputTarget::Input => {
                    syn.update(&ts, spikes, host.groups[post].v(), &mut host.inputs[post])
                }
                OutputTarget::V => {
                    // The jump goes into V itself (the presynaptic group may be the same one,
                    // so its spikes are copied out first).
                    v_spikes.clear();
                    v_spikes.extend_from_slice(spikes);
                    let v = host.groups[post]
                        .v_mut()
                        .expect("checked when the plan was built");
                    syn.update(&ts, &v_spikes, None, v);
                }
            }
        }
        for (g, buf) in host.groups.iter_mut().zip(&host.inputs) {
            g.update(&ts, buf);
        }
        for (s, syn) in host.synapses.iter_mut().enumerate() {
            let pre = host.links[s].0;
            syn.push(
                host.groups[pre]
                    .spike()
                    .expect("checked when the plan was built"),
            );
        }
        if let Some(found) = scan_finite(&host, &finite_plan, rows) {
            write_back(net, &host)?;
            net.clear_input();
            net.set_step_index(k + 1);
            return Err(found.into_error(k, dt, None));
        }
        for (ei, e) in events.iter().enumerate() {
            let g = event_sources[ei];
            if let Some(HostSlice::Bool(v)) = host.groups[g].var(&e.var) {
                push_events(&mut event_out[ei], &v, nums[g], k);
            }
        }
        for (mi, m) in monitors.iter().enumerate() {
            // The runner's rule: steps k with (k + 1) a multiple of `every`, counted from the
            // network's step 0.
            if !(k + 1).is_multiple_of(m.every) {
                continue;
            }
            let view = match sources[mi] {
                Source::Group(g) => host.groups[g].var(&m.var),
                Source::Input(g) => Some(HostSlice::f(&host.inputs[g][..])),
                Source::Synapse(s) => host.synapses[s].var(&m.var),
            }
            .expect("checked when the plan was built");
            record(&mut buffers[mi], view, &columns[mi], rows);
            steps[mi].push(k);
        }
        for buf in host.inputs.iter_mut() {
            buf.fill(E::of(0.0));
        }
        if let Some(pb) = progress
            && n % 256 == 0
        {
            pb.set_position(n);
        }
    }

    // Write every state back, then the traces.
    write_back(net, &host)?;
    net.clear_input();
    net.set_step_index(start + n_steps);
    let ctx = net.ctx().clone();
    let mut out = Monitors::new(dt, Engine::Fused);
    for (ei, e) in events.iter().enumerate() {
        out.insert_events(Events {
            key: e.key.clone(),
            num: nums[event_sources[ei]],
            rows,
            steps: start..start + n_steps,
            events: std::mem::take(&mut event_out[ei]),
        });
    }
    for (mi, (m, buf)) in monitors.iter().zip(buffers).enumerate() {
        let num = match sources[mi] {
            Source::Group(g) | Source::Input(g) => nums[g],
            Source::Synapse(_) => {
                let view = match sources[mi] {
                    Source::Synapse(s) => host.synapses[s].var(&m.var),
                    _ => None,
                };
                view.map_or(0, |v| v.len() / rows)
            }
        };
        let indices = m.indices.clone().unwrap_or_else(|| (0..num).collect());
        let shape = [steps[mi].len(), rows, indices.len()];
        let trace = match buf {
            _ if steps[mi].is_empty() => {
                Trace::Float(Tensor::zeros(shape, (&ctx.device, ctx.dtype())))
            }
            Buffer::Float(v) => Trace::Float(Tensor::from_data(
                TensorData::new(v, shape),
                (&ctx.device, ctx.dtype()),
            )),
            Buffer::Bool(v) => Trace::Bool(Tensor::<3, Bool>::from_data(
                TensorData::new(v, shape),
                &ctx.device,
            )),
        };
        out.insert(Monitor {
            key: m.key.clone(),
            indices,
            num,
            steps: std::mem::take(&mut steps[mi]),
            trace,
        });
    }
    Ok(Ok(out))
}

/// Appends the spikes of one step (`rows × num`, row-major) after step `step`.
#[inline]
fn push_events(out: &mut EventList, v: &[bool], num: usize, step: u64) {
    for (r, row) in v.chunks(num.max(1)).enumerate() {
        // Most steps have few spikes: skip spike-free blocks of 16 quickly.
        for (c, block) in row.chunks(16).enumerate() {
            if !block.iter().fold(false, |a, &b| a | b) {
                continue;
            }
            for (i, &b) in block.iter().enumerate() {
                if b {
                    out.push(Event {
                        step,
                        row: r as u32,
                        index: (c * 16 + i) as u32,
                    });
                }
            }
        }
    }
}

/// The first non-finite value among the planned states.
fn scan_finite<E: HostFloat>(
    host: &HostNet<E>,
    plan: &[(Source, String, String)],
    rows: usize,
) -> Option<Found> {
    for (src, member, key) in plan {
        let view = match *src {
            Source::Group(g) => host.groups[g].var(key),
            Source::Synapse(s) => host.synapses[s].var(key),
            Source::Input(_) => None,
        };
        if let Some(HostSlice::Float(v)) = view
            && let Some(flat) = first_non_finite(&v)
        {
            return Some(Found {
                member: member.clone(),
                state: key.clone(),
                flat,
                num: v.len() / rows.max(1),
                rows,
                value: v[flat].to_f64(),
            });
        }
    }
    None
}

/// Appends one recorded step (all columns, or `indices` of every row).
fn record<E: HostFloat>(buf: &mut Buffer<E>, view: HostSlice<'_, E>, cols: &Columns, rows: usize) {
    match (buf, view) {
        (Buffer::Float(b), HostSlice::Float(v)) => cols.gather(b, &v, rows),
        (Buffer::Bool(b), HostSlice::Bool(v)) => cols.gather(b, &v, rows),
        _ => unreachable!("a state keeps its kind during a run"),
    }
}

/// The recorded columns of a monitor.
enum Columns {
    /// Every column.
    All,
    /// `len` consecutive columns from `start` (copied as one slice per row).
    Run { start: usize, len: usize },
    /// Any list.
    List(Vec<usize>),
}

impl Columns {
    fn new(indices: Option<&[usize]>) -> Self {
        match indices {
            None => Columns::All,
            Some(idx) if !idx.is_empty() && idx.windows(2).all(|w| w[1] == w[0] + 1) => {
                Columns::Run {
                    start: idx[0],
                    len: idx.len(),
                }
            }
            Some(idx) => Columns::List(idx.to_vec()),
        }
    }

    /// Appends the recorded columns of every row of `v` (`rows` rows).
    #[inline]
    fn gather<T: Copy>(&self, b: &mut Vec<T>, v: &[T], rows: usize) {
        let num = v.len() / rows;
        match self {
            Columns::All => b.extend_from_slice(v),
            Columns::Run { start, len } => {
                for r in 0..rows {
                    b.extend_from_slice(&v[r * num + start..r * num + start + len]);
                }
            }
            Columns::List(idx) => {
                for r in 0..rows {
                    let row = &v[r * num..(r + 1) * num];
                    b.extend(idx.iter().map(|&i| row[i]));
                }
            }
        }
    }
}

/// Loads every host state into its member (in the member's user shapes).
fn write_back<E: HostFloat>(net: &mut Network, host: &HostNet<E>) -> Result<()> {
    let group_names: Vec<String> = net.groups().map(|g| g.name().to_string()).collect();
    for (gi, name) in group_names.iter().enumerate() {
        let g = net.group_mut(name)?;
        for (key, shape) in g.state_layout() {
            if key == "input" {
                continue;
            }
            let view = host.groups[gi]
                .var(&key)
                .ok_or_else(|| Error::Backend(format!("fused kernel of `{name}` lost `{key}`")))?;
            g.load_state(&key, slice_data(view, shape))?;
        }
    }
    let syn_names: Vec<String> = net.synapses().map(|s| s.name().to_string()).collect();
    for (si, name) in syn_names.iter().enumerate() {
        let s = net.synapse_mut(name)?;
        for (key, shape) in s.state_layout() {
            if key == "input" {
                continue;
            }
            let view = host.synapses[si]
                .var(&key)
                .ok_or_else(|| Error::Backend(format!("fused kernel of `{name}` lost `{key}`")))?;
            s.load_state(&key, slice_data(view, shape))?;
        }
    }
    Ok(())
}

fn slice_data<E: HostFloat>(view: HostSlice<'_, E>, shape: Vec<usize>) -> TensorData {
    match view {
        HostSlice::Float(v) => TensorData::new(v.into_owned(), shape),
        HostSlice::Bool(v) => TensorData::new(v.into_owned(), shape),
    }
}
