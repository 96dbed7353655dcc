//! Host kernels of the synapses: connectivity ([`HostComm`]), delay lines ([`HostDelay`]),
//! outputs ([`HostOutput`]), and the kinetics of AMPA/GABAa ([`GatingKernel`], align-pre),
//! `Exponential` ([`ExponentialKernel`], align-post), each following the composed step of its
//! synapse file operation by operation, and of DualExponential/Alpha/NMDA
//! ([`TwoStateKernel`], align-pre), which integrates the composed step's own system.
//!
//! * All-to-all with a scalar weight is O(N): `w·(Σᵢ xᵢ − x_j)` (`− x_j` without self
//!   connections), never a matrix product.
//! * Spikes propagate event-driven: only the CSR rows of the presynaptic neurons that spiked
//!   are read (the dense layout of `comp_method = dense` is kept as CSR on the host, which is
//!   the same sum over the same synapses).
//! * A delay is a ring buffer of boolean spike rows; a push moves one index, not the data.
//! * Short-term plasticity ([`HostStp`]) scales each release as the composed path does.

use std::borrow::Cow;

use super::host::{HParam, HostFloat, HostSlice, HostSynapse};
use super::lanes::Lanes;
use super::simd::LaneKernel;
use crate::dynamics::{Core, StepTime};
use crate::error::{Error, Result};
use crate::fused::host::{read_float, read_spikes};
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::{Num, Real};
use crate::synapse::OutputTarget;
use crate::synapse::kinetics::{TransmitterWindow, TwoState, exponential_dg, gating_dg};
use crate::synapse::stp::{facilitation_du, recovery_dx, std_spike, stp_spike};

/// The structure of a connectivity, as the host needs it.
#[derive(Clone, Debug, PartialEq)]
pub enum HostConn {
    /// No synapses.
    Empty,
    /// All-to-all with a scalar weight (with or without i → i).
    All2All {
        /// Whether i → i is included.
        include_self: bool,
    },
    /// i → i, one weight per neuron or one for all.
    One2One,
    /// Compressed sparse rows: the targets of presynaptic neuron `i` are
    /// `post[indptr[i]..indptr[i + 1]]` (the synapses' CSR order, that of per-synapse weights).
    Csr {
        /// Row pointers (`n_pre + 1`).
        indptr: Vec<usize>,
        /// Target of each synapse.
        post: Vec<u32>,
    },
}

/// A communication layer on the host: `post_j = Σ_{(i, j)} w_ij · x_i`.
#[derive(Clone, Debug)]
pub struct HostComm<E> {
    conn: HostConn,
    /// One weight, or one per synapse (CSR order) / per neuron (one-to-one).
    w: HParam<E>,
    n_post: usize,
    /// Scratch: scaled spikes as values.
    scratch: Vec<E>,
}

impl<E: HostFloat> HostComm<E> {
    /// From the structure and the weights (`g_max`: one value, or one per synapse).
    pub fn new(conn: HostConn, weights: &[f64], n_post: usize) -> Result<Self> {
        let w = match weights {
            [w] => HParam::Scalar(E::of(*w)),
            v => HParam::PerNeuron(v.iter().map(|&x| E::of(x)).collect()),
        };
        let nnz = match &conn {
            HostConn::Csr { post, .. } => post.len(),
            HostConn::One2One => n_post,
            _ => 1,
        };
        if let HParam::PerNeuron(v) = &w
            && (v.len() != nnz || matches!(conn, HostConn::All2All { .. } | HostConn::Empty))
        {
            return Err(Error::arg(
                "g_max",
                format!("{} weights for a connectivity of {nnz} synapses", v.len()),
            ));
        }
        Ok(HostComm {
            conn,
            w,
            n_post,
            scratch: Vec::new(),
        })
    }

    /// `out[j] = Σ_{(i, j)} w_ij·x_i` for one row of float values `x` (the composed path's
    /// `CommInput::Values`), summed in the composed path's order of operations: the sum of
    /// the inputs first, the scalar weight last.
    pub fn values(&mut self, x: &[E], out: &mut [E]) {
        let zero = E::of(0.0);
        match (&self.conn, &self.w) {
            (HostConn::Empty, _) => out.fill(zero),
            (HostConn::All2All { include_self }, w) => {
                let w = w.at(0);
                let total = sum(x);
                if *include_self {
                    out.fill(total * w);
                } else {
                    for (o, &v) in out.iter_mut().zip(x) {
                        *o = (-v + total) * w;
                    }
                }
            }
            (HostConn::One2One, w) => {
                for (j, (o, &v)) in out.iter_mut().zip(x).enumerate() {
                    *o = v * w.at(j);
                }
            }
            (HostConn::Csr { indptr, post }, w) => {
                out.fill(zero);
                for (i, &v) in x.iter().enumerate() {
                    for k in indptr[i]..indptr[i + 1] {
                        let j = post[k] as usize;
                        out[j] += match w {
                            HParam::Scalar(_) => v,
                            HParam::PerNeuron(ws) => v * ws[k],
                        };
                    }
                }
                if let HParam::Scalar(w) = w {
                    for o in out.iter_mut() {
                        *o = *o * *w;
                    }
                }
            }
        }
    }

    /// `out[j] = Σ_{(i, j), s_i} w_ij` for one row of boolean spikes `s`: event-driven, only
    /// the rows of the neurons that spiked are read (the composed path's `CommInput::Events`;
    /// a scalar weight multiplies the count, as there).
    pub fn events(&mut self, s: &[bool], out: &mut [E]) {
        let zero = E::of(0.0);
        let one = E::of(1.0);
        match (&self.conn, &self.w) {
            (HostConn::Empty, _) => out.fill(zero),
            (HostConn::All2All { include_self }, w) => {
                let w = w.at(0);
                let count = s.iter().filter(|&&b| b).count() as f64;
                for (j, o) in out.iter_mut().enumerate() {
                    let c = if *include_self || !s[j] {
                        count
                    } else {
                        count - 1.0
                    };
                    *o = E::of(c) * w;
                }
            }
            (HostConn::One2One, w) => {
                for (j, (o, &b)) in out.iter_mut().zip(s).enumerate() {
                    *o = if b { one * w.at(j) } else { zero };
                }
            }
            (HostConn::Csr { indptr, post }, w) => {
                out.fill(zero);
                for (i, _) in s.iter().enumerate().filter(|(_, b)| **b) {
                    let (a, b) = (indptr[i], indptr[i + 1]);
                    match w {
                        HParam::Scalar(_) => {
                            for &j in &post[a..b] {
                                out[j as usize] += one;
                            }
                        }
                        HParam::PerNeuron(ws) => {
                            for (&j, &wk) in post[a..b].iter().zip(&ws[a..b]) {
                                out[j as usize] += wk;
                            }
                        }
                    }
                }
                if let HParam::Scalar(w) = w {
                    for o in out.iter_mut() {
                        *o = *o * *w;
                    }
                }
            }
        }
    }

    /// [`HostComm::events`] with each spike scaled (`scale[i]` for presynaptic neuron `i`,
    /// STP's release factor), as the composed path's `CommInput::Events { scale }`: the dense
    /// forms take `s·scale` as values, CSR scatters `scale[i]` (times `w_k`) from the rows of
    /// the neurons that spiked.
    pub fn events_scaled(&mut self, s: &[bool], scale: Option<&[E]>, out: &mut [E]) {
        let Some(sc) = scale else {
            return self.events(s, out);
        };
        let zero = E::of(0.0);
        match &self.conn {
            HostConn::Csr { indptr, post } => {
                out.fill(zero);
                for (i, _) in s.iter().enumerate().filter(|(_, b)| **b) {
                    let v = sc[i];
                    let (a, b) = (indptr[i], indptr[i + 1]);
                    match &self.w {
                        HParam::Scalar(_) => {
                            for &j in &post[a..b] {
                                out[j as usize] += v;
                            }
                        }
                        HParam::PerNeuron(ws) => {
                            for (&j, &wk) in post[a..b].iter().zip(&ws[a..b]) {
                                out[j as usize] += v * wk;
                            }
                        }
                    }
                }
                if let HParam::Scalar(w) = &self.w {
                    for o in out.iter_mut() {
                        *o = *o * *w;
                    }
                }
            }
            _ => {
                let mut x = std::mem::take(&mut self.scratch);
                x.clear();
                x.extend(s.iter().zip(sc).map(|(&b, &v)| if b { v } else { zero }));
                self.values(&x, out);
                self.scratch = x;
            }
        }
    }

    /// Number of postsynaptic neurons.
    pub fn n_post(&self) -> usize {
        self.n_post
    }
}

/// `Σ x` with eight partial sums (vectorises; the order differs from a sequential sum by a
/// few ulp, as the composed path's reduction does).
#[inline]
fn sum<E: HostFloat>(x: &[E]) -> E {
    let mut acc = [E::of(0.0); 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    let mut total = E::of(0.0);
    for a in acc {
        total += a;
    }
    for &v in rest {
        total += v;
    }
    total
}

/// A delay line on the host: the last `L` presynaptic spike rows in a ring, and the slot each
/// presynaptic neuron reads (slot 0 = the group's current spikes, see `synapse::delay`).
#[derive(Clone, Debug)]
pub struct HostDelay {
    /// Slot read by each presynaptic neuron (all 0 without delay).
    slots: Vec<usize>,
    /// `L` (0 without a buffer).
    len: usize,
    rows: usize,
    n_pre: usize,
    /// `L × rows × n_pre`, physical order; slot `m` is at `(head + m) % L`.
    ring: Vec<bool>,
    head: usize,
    /// The spikes this step reads (`rows × n_pre`).
    out: Vec<bool>,
}

impl HostDelay {
    /// From the slot of each presynaptic neuron and the buffer (`L × rows × n_pre`, slot 0
    /// first, as `delay_buffer` is saved).
    pub fn new(slots: Vec<usize>, buffer: Vec<bool>, rows: usize) -> Result<Self> {
        let n_pre = slots.len();
        let len = if slots.iter().all(|&s| s == 0) && buffer.is_empty() {
            0
        } else {
            buffer.len() / (rows * n_pre).max(1)
        };
        if buffer.len() != len * rows * n_pre || slots.iter().any(|&s| s > 0 && s >= len) {
            return Err(Error::arg(
                "delay_buffer",
                format!(
                    "{} values for slots up to {:?} of {rows} × {n_pre} spikes",
                    buffer.len(),
                    slots.iter().max()
                ),
            ));
        }
        Ok(HostDelay {
            slots,
            len,
            rows,
            n_pre,
            ring: buffer,
            head: 0,
            out: vec![false; rows * n_pre],
        })
    }

    /// Prepares the spikes seen this step from the presynaptic group's current ones; returns
    /// whether they are the current ones unchanged (no delay), else they are in
    /// [`HostDelay::take_read`].
    pub fn read(&mut self, current: &[bool]) -> bool {
        if self.len == 0 {
            return true;
        }
        let per = self.rows * self.n_pre;
        for r in 0..self.rows {
            for (i, &s) in self.slots.iter().enumerate() {
                let k = r * self.n_pre + i;
                self.out[k] = if s == 0 {
                    current[k]
                } else {
                    self.ring[((self.head + s) % self.len) * per + k]
                };
            }
        }
        false
    }

    /// The delayed spikes prepared by [`HostDelay::read`] (hand them back with
    /// [`HostDelay::give_back`]).
    pub fn take_read(&mut self) -> Vec<bool> {
        std::mem::take(&mut self.out)
    }

    /// Returns the buffer taken by [`HostDelay::take_read`].
    pub fn give_back(&mut self, out: Vec<bool>) {
        self.out = out;
    }

    /// Pushes the spikes of the step that just ended (they become slot 0).
    pub fn push(&mut self, spikes: &[bool]) {
        if self.len == 0 {
            return;
        }
        let per = self.rows * self.n_pre;
        self.head = (self.head + self.len - 1) % self.len;
        self.ring[self.head * per..(self.head + 1) * per].copy_from_slice(spikes);
    }

    /// The buffer in slot order (slot 0 first), as `delay_buffer` is saved.
    pub fn buffer(&self) -> Vec<bool> {
        let per = self.rows * self.n_pre;
        (0..self.len)
            .flat_map(|m| {
                let p = (self.head + m) % self.len;
                self.ring[p * per..(p + 1) * per].iter().copied()
            })
            .collect()
    }

    /// Whether there is a buffer.
    pub fn has_buffer(&self) -> bool {
        self.len > 0
    }

    /// `delay_buffer` for monitors and write-back (`None` without a buffer).
    pub fn var(&self) -> Option<HostSlice<'static, bool>> {
        self.has_buffer()
            .then(|| HostSlice::Bool(Cow::Owned(self.buffer())))
    }
}

/// How the postsynaptic conductance becomes a current.
#[derive(Clone, Debug)]
pub enum HostOutput<E> {
    /// `I = g·(E − V)` (V before the neuron update).
    Coba(HParam<E>),
    /// `I = g`.
    Cuba,
    /// `I = g·(E − V)/(1 + cc_Mg/β·e^{−α·V})` (`synapse::Output::MgBlock`).
    MgBlock {
        /// E (mV).
        e: HParam<E>,
        /// cc_Mg (mM).
        cc_mg: HParam<E>,
        /// α (1/mV).
        alpha: HParam<E>,
        /// β (mM).
        beta: HParam<E>,
    },
    /// Nothing reaches the postsynaptic group.
    None,
}

impl<E: HostFloat> HostOutput<E> {
    /// `input += current(g)` for one row (`v` the row's V; required for COBA).
    #[inline]
    pub fn add(&self, g: &[E], v: Option<&[E]>, input: &mut [E]) {
        match (self, v) {
            (HostOutput::Coba(HParam::Scalar(e)), Some(v)) => {
                let e = *e;
                for ((inp, &g), &v) in input.iter_mut().zip(g).zip(v) {
                    *inp += g * (-v + e);
                }
            }
            (HostOutput::Coba(HParam::PerNeuron(e)), Some(v)) => {
                for (((inp, &g), &v), &e) in input.iter_mut().zip(g).zip(v).zip(e) {
                    *inp += g * (-v + e);
                }
            }
            (
                HostOutput::MgBlock {
                    e,
                    cc_mg,
                    alpha,
                    beta,
                },
                Some(v),
            ) => {
                // The composed path's order: (cc_Mg/β)·e^{−α·V}, then (E − V)/(block + 1).
                for (j, ((inp, &g), &v)) in input.iter_mut().zip(g).zip(v).enumerate() {
                    let block = (cc_mg.at(j) / beta.at(j)) * (-(alpha.at(j) * v)).exp();
                    *inp += g * ((e.at(j) - v) / (block + E::of(1.0)));
                }
            }
            (HostOutput::Coba(_) | HostOutput::MgBlock { .. }, None) => {
                unreachable!("conductance outputs are only built onto groups with V")
            }
            (HostOutput::None, _) => {}
            (HostOutput::Cuba, _) => {
                for (inp, &g) in input.iter_mut().zip(g) {
                    *inp += g;
                }
            }
        }
    }
}

/// Tsodyks–Markram short-term plasticity on the host (`synapse::stp`): `u`, `x` per
/// presynaptic neuron, decayed with the synapse's method, then the spike updates; gives the
/// release scale of a spike of each neuron this step.
#[derive(Clone, Debug)]
pub struct HostStp<E> {
    /// STP (`u` and `x`) or STD (`x` only).
    facilitation: bool,
    big_u: HParam<E>,
    tau_d: HParam<E>,
    tau_f: Option<HParam<E>>,
    u: Vec<E>,
    x: Vec<E>,
    scale: Vec<E>,
}

impl<E: HostFloat> HostStp<E> {
    /// From the synapse's core (parameters `U`, `tau_d`, `tau_f` for STP; states `u` for STP,
    /// `x`) over `n_pre` presynaptic neurons.
    pub fn new(core: &Core, facilitation: bool, n_pre: usize) -> Result<Self> {
        Ok(HostStp {
            facilitation,
            big_u: HParam::of_core(core, "U", n_pre)?,
            tau_d: HParam::of_core(core, "tau_d", n_pre)?,
            tau_f: if facilitation {
                Some(HParam::of_core(core, "tau_f", n_pre)?)
            } else {
                None
            },
            u: if facilitation {
                read_float(core, "u")?
            } else {
                Vec::new()
            },
            x: read_float(core, "x")?,
            scale: Vec::new(),
        })
    }

    /// One step with the spikes `s` (`rows × n_pre`): decay, spike updates; the release scale
    /// of each neuron (`u⁺·x⁻` for STP, `x⁻` for STD) is then in `self.scale`.
    fn step(&mut self, s: &[bool], n_pre: usize, method: Method, ts: &StepTime) {
        E::run_lanes(
            self,
            StpStep {
                s,
                n_pre,
                method,
                ts,
            },
        );
    }

    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "u" if self.facilitation => Some(HostSlice::f(&self.u)),
            "x" => Some(HostSlice::f(&self.x)),
            _ => None,
        }
    }
}

/// The arguments of the STP lane loop.
struct StpStep<'a> {
    s: &'a [bool],
    n_pre: usize,
    method: Method,
    ts: &'a StepTime,
}

/// `du/dt = −u/τ_f`, `dx/dt = (1 − x)/τ_d` on lanes (`u` absent for STD).
struct StpLanes<L> {
    tau_f: L,
    tau_d: L,
    facilitation: bool,
}

impl<L: Lanes> OdeSystem<L> for StpLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        if self.facilitation { 2 } else { 1 }
    }
    #[inline(always)]
    fn derivative<T: Num + From<L>>(&self, i: usize, x: &[T], _t: f64) -> T {
        if self.facilitation && i == 0 {
            facilitation_du(x[0].clone(), T::from(self.tau_f))
        } else {
            recovery_dx(x[i].clone(), T::from(self.tau_d))
        }
    }
}

impl<'a, E: HostFloat> LaneKernel<E, StpStep<'a>> for HostStp<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(
        &mut self,
        StpStep {
            s,
            n_pre,
            method,
            ts,
        }: StpStep<'a>,
    ) {
        let rows = s.len() / n_pre.max(1);
        let (z, one) = (E::of(0.0), E::of(1.0));
        self.scale.resize(s.len(), z);
        for row in 0..rows {
            let o = row * n_pre;
            for j in (0..n_pre).step_by(L::N) {
                let sf = L::blend(
                    L::load_bools(&s[o..o + n_pre], j),
                    L::splat(one),
                    L::splat(z),
                );
                let big_u: L = self.big_u.lanes(j);
                let tau_d: L = self.tau_d.lanes(j);
                let x = L::load(&self.x[o..o + n_pre], j, one);
                if self.facilitation {
                    let tau_f: L = match &self.tau_f {
                        Some(t) => t.lanes(j),
                        None => L::splat(one),
                    };
                    let u = L::load(&self.u[o..o + n_pre], j, z);
                    let sys = StpLanes {
                        tau_f,
                        tau_d,
                        facilitation: true,
                    };
                    let [u_dec, x_dec] = integrate_array(&sys, method, [u, x], ts.t, ts.dt);
                    let (u1, x1, sc) = stp_spike(u_dec, x_dec, sf, big_u);
                    u1.store(&mut self.u[o..o + n_pre], j);
                    x1.store(&mut self.x[o..o + n_pre], j);
                    sc.store(&mut self.scale[o..o + n_pre], j);
                } else {
                    let sys = StpLanes {
                        tau_f: tau_d,
                        tau_d,
                        facilitation: false,
                    };
                    let [x_dec] = integrate_array(&sys, method, [x], ts.t, ts.dt);
                    let (x1, sc) = std_spike(x_dec, sf, big_u);
                    x1.store(&mut self.x[o..o + n_pre], j);
                    sc.store(&mut self.scale[o..o + n_pre], j);
                }
            }
        }
    }
}

/// What every synapse kernel shares.
#[derive(Clone, Debug)]
pub struct HostProjection<E> {
    /// Connectivity and weights.
    pub comm: HostComm<E>,
    /// The delay line.
    pub delay: HostDelay,
    /// The output.
    pub output: HostOutput<E>,
    /// Batch rows.
    pub rows: usize,
    /// Presynaptic neurons.
    pub n_pre: usize,
    /// Postsynaptic neurons.
    pub n_post: usize,
    /// The integration method of the kinetics.
    pub method: Method,
    /// Short-term plasticity, if any.
    pub stp: Option<HostStp<E>>,
    /// The postsynaptic state the output adds into (`input`, or `V` for `CUBA(target_var='V')`):
    /// the engine hands the kernel that state as its `post_input`.
    pub target: OutputTarget,
}

/// The `exp_auto` factor `dt·φ(−dt/τ)` of a linear decay, per element or shared, computed in
/// f64 as the composed path computes it for a constant τ, for the `dt` it was computed with.
#[derive(Clone, Debug)]
struct DecayFactor<E> {
    dt: f64,
    c: HParam<E>,
}

impl<E: HostFloat> DecayFactor<E> {
    fn new(tau: &[f64], dt: f64) -> Self {
        let f = |tau: f64| E::of(Real::exprel(-1.0 / tau * dt) * dt);
        let c = if tau.len() == 1 {
            HParam::Scalar(f(tau[0]))
        } else {
            HParam::PerNeuron(tau.iter().map(|&t| f(t)).collect())
        };
        DecayFactor { dt, c }
    }
}

// ---------------------------------------------------------------------------------------------
// AMPA / GABAa

/// `dg/dt = α·TT·(1 − g) − β·g` on lanes (the non-`exp_auto` methods).
struct GatingLanes<L> {
    alpha: L,
    beta: L,
    tt: L,
}

impl<L: Lanes> OdeSystem<L> for GatingLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Num + From<L>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        gating_dg(
            x[0].clone(),
            T::from(self.tt),
            T::from(self.alpha),
            T::from(self.beta),
        )
    }
}

/// Host kernel of AMPA/GABAa (align-pre gating, `synapse::ampa`).
pub struct GatingKernel<E> {
    proj: HostProjection<E>,
    alpha: HParam<E>,
    beta: HParam<E>,
    t_conc: HParam<E>,
    t_duration: f64,
    window: TransmitterWindow,
    g: Vec<E>,
    arrival: Vec<E>,
    /// `transmitter_steps` (`window = "steps"` only; empty otherwise).
    steps: Vec<E>,
    release: Vec<E>,
    g_post: Vec<E>,
}

impl<E: HostFloat> GatingKernel<E> {
    /// From the synapse's core (parameters `alpha`, `beta`, `T`; states `g`,
    /// `spike_arrival_time`, `release`, and `transmitter_steps` with `window = "steps"`), its
    /// host projection, `T_duration` and the window rule.
    pub fn new(
        core: &Core,
        proj: HostProjection<E>,
        t_duration: f64,
        window: TransmitterWindow,
    ) -> Result<Self> {
        let n = proj.n_pre;
        Ok(GatingKernel {
            alpha: HParam::of_core(core, "alpha", n)?,
            beta: HParam::of_core(core, "beta", n)?,
            t_conc: HParam::of_core(core, "T", n)?,
            t_duration,
            window,
            g: read_float(core, "g")?,
            arrival: read_float(core, "spike_arrival_time")?,
            steps: match window {
                TransmitterWindow::Steps => read_float(core, "transmitter_steps")?,
                TransmitterWindow::Time => Vec::new(),
            },
            release: read_float(core, "release")?,
            g_post: vec![E::of(0.0); proj.n_post],
            proj,
        })
    }
}

/// The arguments of the gating lane loop.
#[derive(Clone, Copy)]
struct GatingStep<'a, E> {
    ts: &'a StepTime,
    spikes: &'a [bool],
    /// STP's release scale per presynaptic neuron (`rows × n_pre`), if any.
    scale: Option<&'a [E]>,
}

impl<'a, E: HostFloat> LaneKernel<E, GatingStep<'a, E>> for GatingKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, GatingStep { ts, spikes, scale }: GatingStep<'a, E>) {
        let n = self.proj.n_pre;
        let by_steps = self.window == TransmitterWindow::Steps;
        let n_steps = E::of((self.t_duration / ts.dt).round().max(1.0));
        // BrainPy's t and T_duration in E (`StepTime::t_in`, `TransmitterWindow::Time`).
        let t = E::of(ts.t_in(E::PRECISION));
        let td = E::of(self.t_duration);
        let (z, one) = (E::of(0.0), E::of(1.0));
        let method = self.proj.method;
        for row in 0..self.proj.rows {
            let o = row * n;
            let sr = &spikes[o..o + n];
            let gr = &mut self.g[o..o + n];
            let str: &mut [E] = if by_steps {
                &mut self.steps[o..o + n]
            } else {
                &mut []
            };
            let rr = &mut self.release[o..o + n];
            let ar = &mut self.arrival[o..o + n];
            for j in (0..n).step_by(L::N) {
                // Arrivals: arrival time, window and release amplitude (1 without STP).
                let s = L::load_bools(sr, j);
                let g = L::load(gr, j, z);
                let (arrival, release) = if L::any(s) {
                    let ar1 = L::blend(s, L::splat(t), L::load(ar, j, z));
                    ar1.store(ar, j);
                    // The release amplitude: the spike (1) times STP's scale.
                    let amplitude = match scale {
                        Some(sc) => L::splat(one) * L::load(&sc[o..o + n], j, z),
                        None => L::splat(one),
                    };
                    let re = L::blend(s, amplitude, L::load(rr, j, z));
                    re.store(rr, j);
                    (ar1, re)
                } else {
                    (L::load(ar, j, z), L::load(rr, j, z))
                };
                let open = if by_steps {
                    // open = transmitter_steps > 0; transmitter_steps ← max(steps − 1, 0)
                    let steps = L::blend(s, L::splat(n_steps), L::load(str, j, z));
                    let s1 = steps - 1.0;
                    L::blend(s1.lt(L::splat(z)), L::splat(z), s1).store(str, j);
                    L::blend(steps.le(L::splat(z)), L::splat(z), L::splat(one))
                } else {
                    // open = t − t_arrival < T_duration, in E
                    L::blend(
                        (L::splat(t) - arrival).lt(L::splat(td)),
                        L::splat(one),
                        L::splat(z),
                    )
                };
                let (alpha, beta): (L, L) = (self.alpha.lanes(j), self.beta.lanes(j));
                let tt = self.t_conc.lanes::<L>(j) * (release * open);
                let g1 = if method == Method::ExpAuto {
                    // f = α·TT·(1 − g) − β·g, ∂f/∂g = −α·TT − β.
                    let a_tt = alpha * tt;
                    let f = a_tt * g.rsub(1.0) - beta * g;
                    let a = -a_tt - beta;
                    g + (a * ts.dt).exprel() * ts.dt * f
                } else {
                    let [x] =
                        integrate_array(&GatingLanes { alpha, beta, tt }, method, [g], ts.t, ts.dt);
                    x
                };
                g1.store(gr, j);
            }
        }
    }
}

impl<E: HostFloat> HostProjection<E> {
    /// The delay line, taken out so that a kernel can read it while it updates itself (put it
    /// back into `delay` afterwards).
    fn take_delay(&mut self) -> HostDelay {
        std::mem::replace(
            &mut self.delay,
            HostDelay::new(Vec::new(), Vec::new(), 1).expect("an empty delay line is valid"),
        )
    }

    /// The output of a presynaptically aligned synapse: per batch row, `g_post = comm(g_max·g)`
    /// of the row's presynaptic values `g` and the output's current into `post_input`
    /// (nothing at all for [`HostOutput::None`]).
    fn add_pre_aligned(
        &mut self,
        g: &[E],
        g_post: &mut [E],
        post_v: Option<&[E]>,
        post_input: &mut [E],
    ) {
        if matches!(self.output, HostOutput::None) {
            return;
        }
        let (n_pre, n_post) = (self.n_pre, self.n_post);
        for row in 0..self.rows {
            self.comm.values(&g[row * n_pre..(row + 1) * n_pre], g_post);
            let v = post_v.map(|v| &v[row * n_post..(row + 1) * n_post]);
            self.output
                .add(g_post, v, &mut post_input[row * n_post..(row + 1) * n_post]);
        }
    }
}

/// Runs `f` with the spikes a synapse sees this step (through its delay line).
fn with_delayed<R>(delay: &mut HostDelay, current: &[bool], f: impl FnOnce(&[bool]) -> R) -> R {
    if delay.read(current) {
        f(current)
    } else {
        let seen = delay.take_read();
        let r = f(&seen);
        delay.give_back(seen);
        r
    }
}

impl<E: HostFloat> HostSynapse<E> for GatingKernel<E> {
    fn update(
        &mut self,
        ts: &StepTime,
        pre_spike: &[bool],
        post_v: Option<&[E]>,
        post_input: &mut [E],
    ) {
        let mut delay = self.proj.take_delay();
        let mut stp = self.proj.stp.take();
        let method = self.proj.method;
        with_delayed(&mut delay, pre_spike, |spikes| {
            let scale = match &mut stp {
                Some(st) => {
                    st.step(spikes, self.proj.n_pre, method, ts);
                    Some(&st.scale[..])
                }
                None => None,
            };
            E::run_lanes(self, GatingStep { ts, spikes, scale })
        });
        self.proj.stp = stp;
        self.proj.delay = delay;
        self.proj
            .add_pre_aligned(&self.g, &mut self.g_post, post_v, post_input);
    }
    fn push(&mut self, pre_spike: &[bool]) {
        self.proj.delay.push(pre_spike);
    }
    fn target(&self) -> OutputTarget {
        self.proj.target
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "g" => Some(HostSlice::f(&self.g)),
            "spike_arrival_time" => Some(HostSlice::f(&self.arrival)),
            "transmitter_steps" if self.window == TransmitterWindow::Steps => {
                Some(HostSlice::f(&self.steps))
            }
            "release" => Some(HostSlice::f(&self.release)),
            "delay_buffer" => bool_view(self.proj.delay.var()),
            _ => self.proj.stp.as_ref().and_then(|st| st.var(key)),
        }
    }
}

/// Host kernel of the two-state synapses (`synapse::two_state`: DualExponential, Alpha, NMDA,
/// BioNMDA; align-pre): the lanes integrate the same [`TwoState`] system as the composed step,
/// then the arriving spikes add into the rise variable (BioNMDA: they open the release window
/// first).
pub struct TwoStateKernel<E> {
    proj: HostProjection<E>,
    sys: TwoState<HParam<E>>,
    rise: &'static str,
    /// BioNMDA's release window `T_dur` (ms); none: a spike adds 1 to the rise variable.
    window: Option<f64>,
    g: Vec<E>,
    h: Vec<E>,
    /// `spike_arrival_time` (with a window only; empty otherwise).
    arrival: Vec<E>,
    g_post: Vec<E>,
}

impl<E: HostFloat> TwoStateKernel<E> {
    /// From the synapse's core (states `g`, `rise`, and `spike_arrival_time` with a window),
    /// its host projection, its kinetics and its release window.
    pub fn new(
        core: &Core,
        proj: HostProjection<E>,
        sys: TwoState<HParam<E>>,
        rise: &'static str,
        window: Option<f64>,
    ) -> Result<Self> {
        Ok(TwoStateKernel {
            g: read_float(core, "g")?,
            h: read_float(core, rise)?,
            arrival: match window {
                Some(_) => read_float(core, "spike_arrival_time")?,
                None => Vec::new(),
            },
            g_post: vec![E::of(0.0); proj.n_post],
            sys,
            rise,
            window,
            proj,
        })
    }
}

impl<'a, E: HostFloat> LaneKernel<E, (&'a StepTime, &'a [bool])> for TwoStateKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, (ts, spikes): (&'a StepTime, &'a [bool])) {
        let n = self.proj.n_pre;
        let (z, one) = (E::of(0.0), E::of(1.0));
        let method = self.proj.method;
        // BrainPy's t and T_dur in E (as the composed step and AMPA's window = "time").
        let t = E::of(ts.t_in(E::PRECISION));
        let td = self.window.map(E::of);
        for row in 0..self.proj.rows {
            let o = row * n;
            let sr = &spikes[o..o + n];
            for j in (0..n).step_by(L::N) {
                let arrived = L::load_bools(sr, j);
                let mut sys = self.sys.map(|p| p.lanes::<L>(j));
                if let Some(td) = td {
                    let ar = &mut self.arrival[o..o + n];
                    let arrival = L::blend(arrived, L::splat(t), L::load(ar, j, z));
                    arrival.store(ar, j);
                    let open = (L::splat(t) - arrival).lt(L::splat(td));
                    sys =
                        sys.with_transmitter(|t0| t0 * L::blend(open, L::splat(one), L::splat(z)));
                }
                let g = L::load(&self.g[o..o + n], j, z);
                let h = L::load(&self.h[o..o + n], j, z);
                let [g1, h1] = integrate_array(&sys, method, [g, h], ts.t, ts.dt);
                g1.store(&mut self.g[o..o + n], j);
                let h1 = if td.is_none() {
                    h1 + L::blend(arrived, L::splat(one), L::splat(z))
                } else {
                    h1
                };
                h1.store(&mut self.h[o..o + n], j);
            }
        }
    }
}

impl<E: HostFloat> HostSynapse<E> for TwoStateKernel<E> {
    fn update(
        &mut self,
        ts: &StepTime,
        pre_spike: &[bool],
        post_v: Option<&[E]>,
        post_input: &mut [E],
    ) {
        let mut delay = self.proj.take_delay();
        with_delayed(&mut delay, pre_spike, |spikes| {
            E::run_lanes(self, (ts, spikes))
        });
        self.proj.delay = delay;
        self.proj
            .add_pre_aligned(&self.g, &mut self.g_post, post_v, post_input);
    }
    fn push(&mut self, pre_spike: &[bool]) {
        self.proj.delay.push(pre_spike);
    }
    fn target(&self) -> OutputTarget {
        self.proj.target
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "g" => Some(HostSlice::f(&self.g)),
            k if k == self.rise => Some(HostSlice::f(&self.h)),
            "spike_arrival_time" if self.window.is_some() => Some(HostSlice::f(&self.arrival)),
            "delay_buffer" => bool_view(self.proj.delay.var()),
            _ => None,
        }
    }
}

/// A boolean view of another element type (views of bools carry no `E`).
fn bool_view<E: Clone>(v: Option<HostSlice<'static, bool>>) -> Option<HostSlice<'static, E>> {
    match v {
        Some(HostSlice::Bool(b)) => Some(HostSlice::Bool(b)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Exponential

/// `dg/dt = −g/τ` on lanes (the non-`exp_auto` methods).
struct DecayLanes<L> {
    tau: L,
}

impl<L: Lanes> OdeSystem<L> for DecayLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Num + From<L>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        exponential_dg(x[0].clone(), T::from(self.tau))
    }
}

/// Host kernel of `Exponential` (align-post decay with event-driven jumps).
pub struct ExponentialKernel<E> {
    proj: HostProjection<E>,
    tau: HParam<E>,
    tau_f64: Vec<f64>,
    factor: Option<DecayFactor<E>>,
    g: Vec<E>,
    jump: Vec<E>,
}

impl<E: HostFloat> ExponentialKernel<E> {
    /// From the synapse's core (parameter `tau`; state `g`) and its host projection.
    pub fn new(core: &Core, proj: HostProjection<E>) -> Result<Self> {
        Ok(ExponentialKernel {
            tau: HParam::of_core(core, "tau", proj.n_post)?,
            tau_f64: core.params.get("tau").host_values()?,
            factor: None,
            g: read_float(core, "g")?,
            jump: vec![E::of(0.0); proj.n_post],
            proj,
        })
    }
}

/// The arguments of the decay lane loop (one row).
struct DecayStep<'a, E> {
    ts: &'a StepTime,
    row: usize,
    _e: std::marker::PhantomData<E>,
}

impl<'a, E: HostFloat> LaneKernel<E, DecayStep<'a, E>> for ExponentialKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, DecayStep { ts, row, .. }: DecayStep<'a, E>) {
        let n = self.proj.n_post;
        let z = E::of(0.0);
        let gr = &mut self.g[row * n..(row + 1) * n];
        let method = self.proj.method;
        for j in (0..n).step_by(L::N) {
            let g = L::load(gr, j, z);
            let jump = L::load(&self.jump, j, z);
            let tau: L = self.tau.lanes(j);
            let g1 = match &self.factor {
                // (−g/τ)·(dt·φ(−dt/τ)) + g, as the composed path orders it.
                Some(f) if method == Method::ExpAuto => g + (-g / tau) * f.c.lanes::<L>(j),
                _ => {
                    let [x] = integrate_array(&DecayLanes { tau }, method, [g], ts.t, ts.dt);
                    x
                }
            };
            (g1 + jump).store(gr, j);
        }
    }
}

impl<E: HostFloat> HostSynapse<E> for ExponentialKernel<E> {
    fn update(
        &mut self,
        ts: &StepTime,
        pre_spike: &[bool],
        post_v: Option<&[E]>,
        post_input: &mut [E],
    ) {
        if self.proj.method == Method::ExpAuto && self.factor.as_ref().is_none_or(|f| f.dt != ts.dt)
        {
            self.factor = Some(DecayFactor::new(&self.tau_f64, ts.dt));
        }
        let (n_pre, n_post) = (self.proj.n_pre, self.proj.n_post);
        let mut delay = self.proj.take_delay();
        let mut stp = self.proj.stp.take();
        let method = self.proj.method;
        with_delayed(&mut delay, pre_spike, |spikes| {
            if let Some(st) = &mut stp {
                st.step(spikes, n_pre, method, ts);
            }
            for row in 0..self.proj.rows {
                let scale = stp
                    .as_ref()
                    .map(|st| &st.scale[row * n_pre..(row + 1) * n_pre]);
                self.proj.comm.events_scaled(
                    &spikes[row * n_pre..(row + 1) * n_pre],
                    scale,
                    &mut self.jump,
                );
                E::run_lanes(
                    self,
                    DecayStep {
                        ts,
                        row,
                        _e: std::marker::PhantomData,
                    },
                );
                let v = post_v.map(|v| &v[row * n_post..(row + 1) * n_post]);
                self.proj.output.add(
                    &self.g[row * n_post..(row + 1) * n_post],
                    v,
                    &mut post_input[row * n_post..(row + 1) * n_post],
                );
            }
        });
        self.proj.stp = stp;
        self.proj.delay = delay;
    }
    fn push(&mut self, pre_spike: &[bool]) {
        self.proj.delay.push(pre_spike);
    }
    fn target(&self) -> OutputTarget {
        self.proj.target
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "g" => Some(HostSlice::f(&self.g)),
            "delay_buffer" => bool_view(self.proj.delay.var()),
            _ => self.proj.stp.as_ref().and_then(|st| st.var(key)),
        }
    }
}

/// Host kernel of `Delta` (no kinetics): per batch row, the weights of this step's
/// presynaptic spikes (through the delay, scaled by STP) summed per postsynaptic neuron and
/// handed to the output, which adds them into the postsynaptic `input` or `V`.
pub struct DeltaKernel<E> {
    proj: HostProjection<E>,
    g_post: Vec<E>,
}

impl<E: HostFloat> DeltaKernel<E> {
    /// From the synapse's host projection.
    pub fn new(proj: HostProjection<E>) -> Self {
        DeltaKernel {
            g_post: vec![E::of(0.0); proj.n_post],
            proj,
        }
    }
}

impl<E: HostFloat> HostSynapse<E> for DeltaKernel<E> {
    fn update(
        &mut self,
        ts: &StepTime,
        pre_spike: &[bool],
        post_v: Option<&[E]>,
        post_input: &mut [E],
    ) {
        let (n_pre, n_post) = (self.proj.n_pre, self.proj.n_post);
        let mut delay = self.proj.take_delay();
        let mut stp = self.proj.stp.take();
        let method = self.proj.method;
        let silent = matches!(self.proj.output, HostOutput::None);
        with_delayed(&mut delay, pre_spike, |spikes| {
            if let Some(st) = &mut stp {
                st.step(spikes, n_pre, method, ts);
            }
            for row in (0..self.proj.rows).filter(|_| !silent) {
                let scale = stp
                    .as_ref()
                    .map(|st| &st.scale[row * n_pre..(row + 1) * n_pre]);
                self.g_post.iter_mut().for_each(|g| *g = E::of(0.0));
                self.proj.comm.events_scaled(
                    &spikes[row * n_pre..(row + 1) * n_pre],
                    scale,
                    &mut self.g_post,
                );
                let v = post_v.map(|v| &v[row * n_post..(row + 1) * n_post]);
                self.proj.output.add(
                    &self.g_post,
                    v,
                    &mut post_input[row * n_post..(row + 1) * n_post],
                );
            }
        });
        self.proj.stp = stp;
        self.proj.delay = delay;
    }
    fn push(&mut self, pre_spike: &[bool]) {
        self.proj.delay.push(pre_spike);
    }
    fn target(&self) -> OutputTarget {
        self.proj.target
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "delay_buffer" => bool_view(self.proj.delay.var()),
            _ => self.proj.stp.as_ref().and_then(|st| st.var(key)),
        }
    }
}

/// Reads a boolean state of a synapse (a helper for the builders in the synapse files).
pub fn read_bools(core: &Core, key: &str) -> Result<Vec<bool>> {
    read_spikes(core, key)
}
