//! `CondNeuGroup` with the library channels on the host (outside Training).
//!
//! The kernel follows the composed step of `neuron/cond_neu_group.rs`: V advances with the
//! group's method, the channel currents evaluated at the old gates (`exp_auto`'s `∂f/∂V` by
//! dual numbers on lanes); then every channel's gates advance with the channel's method at the
//! old V, through the channels' own generic rate functions (`INaHH1952::f_p_alpha`, ...);
//! spike on the upward crossing of `V_th`. Groups with a user-defined channel (one without a
//! [`HostChannelKind`]) stay on the composed path.

use super::{Step, noise_step, store_mask};
use crate::backend::Precision;
use crate::channel::{IKHH1952, IKTM1991, INaHH1952, INaTM1991};
use crate::dynamics::{Core, StepTime};
use crate::error::{Error, Result};
use crate::fused::host::{HParam, HostFloat, HostGroup, HostSlice, read_float, read_spikes};
use crate::fused::lanes::{Lanes, exprel_lazy, x_over_expm1_pair};
use crate::fused::simd::LaneKernel;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Real;

/// The library channels the fused path knows (a channel names its kind with
/// [`crate::channel::Channel::host_kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostChannelKind {
    /// `INa_HH1952`.
    INaHH1952,
    /// `INa_TM1991`.
    INaTM1991,
    /// `IK_HH1952`.
    IKHH1952,
    /// `IK_TM1991`.
    IKTM1991,
    /// `IL`.
    IL,
}

/// One channel of a group, as the group's fused kernel is built from it.
pub struct ChannelSpec<'a> {
    /// Which library channel.
    pub kind: HostChannelKind,
    /// The method of its gates.
    pub method: Method,
    /// `(local name, key in the group's parameters)`.
    pub params: &'a [(&'static str, String)],
    /// Keys of its gates in the group's states.
    pub gates: &'a [String],
}

/// A channel's parameters and gates on the host.
struct HostChannel<E> {
    kind: HostChannelKind,
    method: Method,
    e: HParam<E>,
    g_max: HParam<E>,
    /// `phi` and `V_sh` (gated channels only; 1 and 0 for the leak).
    phi: HParam<E>,
    v_sh: HParam<E>,
    gate_keys: Vec<String>,
    gates: Vec<Vec<E>>,
}

/// The current of one channel at the old gates, in lanes: `(g_max, gate product, E)`.
#[derive(Clone, Copy)]
struct Conductance<L> {
    kind: HostChannelKind,
    g: L,
    /// `p³` (sodium), `p⁴` (potassium), unused (leak).
    a: L,
    /// `q` (sodium).
    b: L,
    e: L,
}

/// The most channels a group may have on the fused path.
const MAX_CHANNELS: usize = 8;

/// `dV/dt = (I + Σ I_ch(V))/C` with every gate held, on lanes.
struct MembraneLanes<L> {
    i: L,
    c: L,
    channels: [Option<Conductance<L>>; MAX_CHANNELS],
}

impl<L: Lanes> MembraneLanes<L> {
    /// `dV/dt` and `∂(dV/dt)/∂V = −Σ g·G/C` at `v`.
    #[inline(always)]
    fn value_and_slope(&self, v: L) -> (L, L) {
        let mut sum = self.i;
        let mut slope = L::cst(0.0);
        for ch in self.channels.iter().flatten() {
            let gg = match ch.kind {
                HostChannelKind::INaHH1952 | HostChannelKind::INaTM1991 => ch.g * ch.a * ch.b,
                HostChannelKind::IKHH1952 | HostChannelKind::IKTM1991 => ch.g * ch.a,
                HostChannelKind::IL => ch.g,
            };
            sum = sum + gg * (ch.e - v);
            slope = slope - gg;
        }
        let inv_c = self.c.recip();
        (sum * inv_c, slope * inv_c)
    }
}

impl<L: Lanes> OdeSystem<L> for MembraneLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Real + From<L>>(&self, _k: usize, x: &[T], _t: f64) -> T {
        let v = x[0].clone();
        let mut sum = T::from(self.i);
        for ch in self.channels.iter().flatten() {
            let drive = T::from(ch.e) - v.clone();
            // The library channels' currents, as `p3q_current`, `p4_current`, `leak_current`.
            let current = match ch.kind {
                HostChannelKind::INaHH1952 | HostChannelKind::INaTM1991 => {
                    T::from(ch.g) * T::from(ch.a) * T::from(ch.b) * drive
                }
                HostChannelKind::IKHH1952 | HostChannelKind::IKTM1991 => {
                    T::from(ch.g) * T::from(ch.a) * drive
                }
                HostChannelKind::IL => T::from(ch.g) * drive,
            };
            sum = sum + current;
        }
        sum / T::from(self.c)
    }
}

/// `dx/dt = φ(α(1 − x) − βx)` of one gate at the old V, on lanes.
struct GateLanes<L> {
    alpha: L,
    beta: L,
    phi: L,
}

impl<L: Lanes> OdeSystem<L> for GateLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Real + From<L>>(&self, _k: usize, x: &[T], _t: f64) -> T {
        // `channel::markov_rhs`, written out so that it inlines into the SIMD loops.
        let x = x[0].clone();
        T::from(self.phi) * (T::from(self.alpha) * (-x.clone() + 1.0) - T::from(self.beta) * x)
    }
}

/// The rates `(α, β)` of gate `gate` of a channel of `kind` at `v`.
#[inline(always)]
fn rates<L: Lanes>(kind: HostChannelKind, gate: usize, v: L, v_sh: L) -> (L, L) {
    match (kind, gate) {
        (HostChannelKind::INaHH1952, 0) => {
            (INaHH1952::f_p_alpha(v, v_sh), INaHH1952::f_p_beta(v, v_sh))
        }
        (HostChannelKind::INaHH1952, _) => {
            (INaHH1952::f_q_alpha(v, v_sh), INaHH1952::f_q_beta(v, v_sh))
        }
        (HostChannelKind::INaTM1991, 0) => {
            (INaTM1991::f_p_alpha(v, v_sh), INaTM1991::f_p_beta(v, v_sh))
        }
        (HostChannelKind::INaTM1991, _) => {
            (INaTM1991::f_q_alpha(v, v_sh), INaTM1991::f_q_beta(v, v_sh))
        }
        (HostChannelKind::IKHH1952, _) => {
            (IKHH1952::f_p_alpha(v, v_sh), IKHH1952::f_p_beta(v, v_sh))
        }
        (HostChannelKind::IKTM1991, _) => {
            (IKTM1991::f_p_alpha(v, v_sh), IKTM1991::f_p_beta(v, v_sh))
        }
        (HostChannelKind::IL, _) => unreachable!("IL has no gates"),
    }
}

/// `x/(eˣ − 1)`.
#[inline(always)]
fn xm1<L: Lanes>(x: L) -> L {
    let ex = x.exp();
    x_over_expm1_pair(x, ex, false).0
}

/// The rates of [`rates`] written out for the float32 kernels (the library's generic rate
/// functions are not always inlined into the SIMD loops, and then each lane operation becomes
/// a call): the same formulas as `channel/sodium.rs` and `channel/potassium.rs`, multiplying
/// by reciprocal constants.
#[inline(always)]
fn rates_inline<L: Lanes>(kind: HostChannelKind, gate: usize, v: L, v_sh: L) -> (L, L) {
    let d = v - v_sh;
    match (kind, gate) {
        (HostChannelKind::INaHH1952, 0) => (
            xm1((d - 5.0) * -0.1),
            ((d + 20.0) * (-1.0 / 18.0)).exp() * 4.0,
        ),
        (HostChannelKind::INaHH1952, _) => (
            ((d + 20.0) * (-1.0 / 20.0)).exp() * 0.07,
            (((d - 10.0) * -0.1).exp() + 1.0).recip(),
        ),
        (HostChannelKind::INaTM1991, 0) => {
            (xm1((-d + 13.0) * 0.25) * 1.28, xm1((d - 40.0) * 0.2) * 1.4)
        }
        (HostChannelKind::INaTM1991, _) => (
            ((-d + 17.0) * (1.0 / 18.0)).exp() * 0.128,
            (((d - 40.0) * -0.2).exp() + 1.0).recip() * 4.0,
        ),
        (HostChannelKind::IKHH1952, _) => (
            xm1((d + 10.0) * -0.1) * 0.1,
            ((d + 20.0) * (-1.0 / 80.0)).exp() * 0.125,
        ),
        (HostChannelKind::IKTM1991, _) => (
            xm1((-d + 15.0) * 0.2) * 0.16,
            ((-d + 10.0) * (1.0 / 40.0)).exp() * 0.5,
        ),
        (HostChannelKind::IL, _) => unreachable!("IL has no gates"),
    }
}

/// Host kernel of [`crate::neuron::CondNeuGroup`] with library channels, outside Training.
pub struct CondKernel<E> {
    rows: usize,
    num: usize,
    method: Method,
    c: HParam<E>,
    /// `1e−3/A` (`None` when it is exactly 1, as the composed path skips it then).
    input_scale: Option<HParam<E>>,
    v_th: HParam<E>,
    noise: Option<HParam<E>>,
    noise_seed: u64,
    channels: Vec<HostChannel<E>>,
    xi: Vec<E>,
    v: Vec<E>,
    spike: Vec<bool>,
}

impl<E: HostFloat> CondKernel<E> {
    /// From the group's core (parameters `C`, `A`, `V_th`, optional `noise`, the channels';
    /// states `V`, `spike`, the gates), its method and noise seed, and its channels.
    pub fn new(
        core: &Core,
        method: Method,
        noise_seed: u64,
        channels: &[ChannelSpec<'_>],
    ) -> Result<Self> {
        if channels.len() > MAX_CHANNELS {
            return Err(Error::arg(
                "channels",
                format!("the fused path takes at most {MAX_CHANNELS} channels"),
            ));
        }
        let rows = core.states.rows();
        let num = core.states.get("V").dims()[1];
        let hp = |k: &str| HParam::<E>::of_core(core, k, num);
        let a = core.params.get("A").host_values()?;
        let input_scale = if a.len() == 1 && 1e-3 / a[0] == 1.0 {
            None
        } else if a.len() == 1 {
            Some(HParam::Scalar(E::of(1e-3 / a[0])))
        } else {
            Some(HParam::PerNeuron(
                a.iter().map(|&x| E::of(1e-3 / x)).collect(),
            ))
        };
        let mut hosts = Vec::new();
        for ch in channels {
            let key = |local: &str| -> Option<&String> {
                ch.params.iter().find(|(l, _)| *l == local).map(|(_, k)| k)
            };
            let get = |local: &str, default: f64| -> Result<HParam<E>> {
                match key(local) {
                    Some(k) => hp(k),
                    None => Ok(HParam::Scalar(E::of(default))),
                }
            };
            let gates = ch
                .gates
                .iter()
                .map(|k| read_float::<E>(core, k))
                .collect::<Result<Vec<_>>>()?;
            hosts.push(HostChannel {
                kind: ch.kind,
                method: ch.method,
                e: get("E", 0.0)?,
                g_max: get("g_max", 0.0)?,
                phi: get("phi", 1.0)?,
                v_sh: get("V_sh", 0.0)?,
                gate_keys: ch.gates.to_vec(),
                gates,
            });
        }
        Ok(CondKernel {
            rows,
            num,
            method,
            c: hp("C")?,
            input_scale,
            v_th: hp("V_th")?,
            noise: HParam::try_of_core(core, "noise", num)?,
            noise_seed,
            channels: hosts,
            xi: Vec::new(),
            v: read_float(core, "V")?,
            spike: read_spikes(core, "spike")?,
        })
    }
}

impl<'a, E: HostFloat> LaneKernel<E, Step<'a, E>> for CondKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, Step { ts, input }: Step<'a, E>) {
        let (rows, num) = (self.rows, self.num);
        let z = E::of(0.0);
        // float32: hand-written rates and exp_auto steps (see `rates_inline`); float64 (parity
        // runs) the channels' generic functions and dual numbers, the composed path's order.
        let hand = E::PRECISION == Precision::F32;
        for row in 0..rows {
            let o = row * num;
            for j in (0..num).step_by(L::N) {
                let v = L::load(&self.v[o..o + num], j, E::of(-65.0));
                let mut i = L::load(&input[o..o + num], j, z);
                if let Some(s) = &self.input_scale {
                    i = i * s.lanes::<L>(j);
                }
                // The currents at the old gates.
                let mut channels = [None; MAX_CHANNELS];
                for (slot, ch) in channels.iter_mut().zip(&self.channels) {
                    let (a, b) = match ch.kind {
                        HostChannelKind::INaHH1952 | HostChannelKind::INaTM1991 => {
                            // p³ = p·p² (`powi`'s order)
                            let p = L::load(&ch.gates[0][o..o + num], j, E::of(0.5));
                            (
                                p * (p * p),
                                L::load(&ch.gates[1][o..o + num], j, E::of(0.5)),
                            )
                        }
                        HostChannelKind::IKHH1952 | HostChannelKind::IKTM1991 => {
                            // p⁴ = (p²)²
                            let p = L::load(&ch.gates[0][o..o + num], j, E::of(0.5));
                            let p2 = p * p;
                            (p2 * p2, L::cst(1.0))
                        }
                        HostChannelKind::IL => (L::cst(1.0), L::cst(1.0)),
                    };
                    *slot = Some(Conductance {
                        kind: ch.kind,
                        g: ch.g_max.lanes(j),
                        a,
                        b,
                        e: ch.e.lanes(j),
                    });
                }
                let sys = MembraneLanes {
                    i,
                    c: self.c.lanes(j),
                    channels,
                };
                let v1 = if hand && self.method == Method::ExpAuto {
                    // f and its exact partial −Σ g·G/C (the currents are linear in V).
                    let (f, a) = sys.value_and_slope(v);
                    v + exprel_lazy(a * ts.dt) * ts.dt * f
                } else {
                    let [x] = integrate_array(&sys, self.method, [v], ts.t, ts.dt);
                    x
                };
                let v1 = if self.noise.is_some() {
                    v1 + L::load(&self.xi, o + j, z)
                } else {
                    v1
                };
                // The gates, each with its channel's method at the old V.
                for ch in self.channels.iter_mut() {
                    let (phi, v_sh) = (ch.phi.lanes::<L>(j), ch.v_sh.lanes::<L>(j));
                    for (k, g) in ch.gates.iter_mut().enumerate() {
                        let gr = &mut g[o..o + num];
                        let x = L::load(gr, j, E::of(0.5));
                        let x1 = if hand {
                            let (alpha, beta) = rates_inline(ch.kind, k, v, v_sh);
                            if ch.method == Method::ExpAuto {
                                // φ(α(1 − x) − βx), ∂/∂x = −φ(α + β)
                                let f = phi * (alpha * (-x + 1.0) - beta * x);
                                let a = -(alpha + beta) * phi;
                                x + exprel_lazy(a * ts.dt) * ts.dt * f
                            } else {
                                let sys = GateLanes { alpha, beta, phi };
                                let [x1] = integrate_array(&sys, ch.method, [x], ts.t, ts.dt);
                                x1
                            }
                        } else {
                            let (alpha, beta) = rates(ch.kind, k, v, v_sh);
                            let sys = GateLanes { alpha, beta, phi };
                            let [x1] = integrate_array(&sys, ch.method, [x], ts.t, ts.dt);
                            x1
                        };
                        x1.store(gr, j);
                    }
                }
                let th = self.v_th.lanes::<L>(j);
                store_mask::<L>(
                    L::and(v1.ge(th), L::not(v.ge(th))),
                    &mut self.spike[o..o + num],
                    j,
                );
                v1.store(&mut self.v[o..o + num], j);
            }
        }
    }
}

impl<E: HostFloat> HostGroup<E> for CondKernel<E> {
    fn update(&mut self, ts: &StepTime, input: &[E]) {
        if let Some(sigma) = &self.noise {
            noise_step(
                sigma,
                self.noise_seed,
                ts,
                self.rows,
                self.num,
                &mut self.xi,
            );
        }
        E::run_lanes(self, Step { ts, input });
    }
    fn spike(&self) -> Option<&[bool]> {
        Some(&self.spike)
    }
    fn v(&self) -> Option<&[E]> {
        Some(&self.v)
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "V" => Some(HostSlice::f(&self.v)),
            "spike" => Some(HostSlice::b(&self.spike)),
            _ => self.channels.iter().find_map(|ch| {
                ch.gate_keys
                    .iter()
                    .position(|k| k == key)
                    .map(|g| HostSlice::f(&ch.gates[g]))
            }),
        }
    }
}
