//! The fused engine's kernel of a [`CondNeuGroup`](crate::neuron::CondNeuGroup): the membrane
//! equation over the channels' own kernels ([`super::channel_host`]).
//!
//! One step, as the composed step in `neuron/cond_neu_group.rs` orders it: V advances with the
//! group's method, `dV/dt = (I·(1e−3/A) + Σ I_ch(V))/C` with every gate held at its old value
//! (each channel adds its current — and for `exp_auto` its derivative along V, by dual numbers
//! — into the group's sums in one pass), plus `σ√dt·ξ` with noise; then every channel's gates
//! advance with the channel's method at the old V; spike on the upward crossing of `V_th`.
//! The Runge–Kutta stages re-evaluate the channels at the stage potentials, with the
//! integrators' own operation order (`integrate/ode.rs`), so float64 runs equal the composed
//! path's.

use super::channel_host::HostChannel;
use super::host::{HParam, HostFloat, HostGroup, HostSlice, read_float, read_spikes};
use super::lanes::Lanes;
use super::neurons::noise_step;
use super::simd::NumKernel;
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::integrate::Method;

/// A channel of the group: its name (the key prefix) and kernel.
pub struct CondChannel<E: HostFloat> {
    /// The channel's name in the group (`INa`).
    pub name: String,
    /// Its kernel.
    pub kernel: Box<dyn HostChannel<E>>,
}

/// A `CondNeuGroup` on host arrays.
pub struct CondHost<E: HostFloat> {
    rows: usize,
    num: usize,
    method: Method,
    c: HParam<E>,
    v_th: HParam<E>,
    /// `1e−3/A` unless it is exactly 1 (the default A).
    scale: Option<HParam<E>>,
    channels: Vec<CondChannel<E>>,
    v: Vec<E>,
    spike: Vec<bool>,
    noise: Option<HParam<E>>,
    noise_seed: u64,
    xi: Vec<E>,
    // Scratch of one step.
    input: Vec<E>,
    f: Vec<E>,
    a: Vec<E>,
    stage: Vec<E>,
    k: [Vec<E>; 4],
}

impl<E: HostFloat> CondHost<E> {
    /// The kernel of a group with core `core` (parameters `C`, `A`, `V_th`, optional `noise`;
    /// state `V`, `spike`), its channels' kernels, membrane method and noise seed.
    pub fn new(
        core: &Core,
        channels: Vec<CondChannel<E>>,
        method: Method,
        noise_seed: u64,
    ) -> Result<Self> {
        let rows = core.states.rows();
        let num = core.states.get("V").dims()[1];
        let a = core.params.get("A").host_values()?;
        let scale = if a.iter().all(|&x| 1e-3 / x == 1.0) {
            None
        } else {
            let s: Vec<f64> = a.iter().map(|&x| 1e-3 / x).collect();
            Some(if s.len() == 1 {
                HParam::Scalar(E::of(s[0]))
            } else {
                HParam::PerNeuron(s.into_iter().map(E::of).collect())
            })
        };
        let n = rows * num;
        Ok(CondHost {
            rows,
            num,
            method,
            c: HParam::of_core(core, "C", num)?,
            v_th: HParam::of_core(core, "V_th", num)?,
            scale,
            channels,
            v: read_float(core, "V")?,
            spike: read_spikes(core, "spike")?,
            noise: HParam::try_of_core(core, "noise", num)?,
            noise_seed,
            xi: Vec::new(),
            input: vec![E::of(0.0); n],
            f: vec![E::of(0.0); n],
            a: vec![E::of(0.0); n],
            stage: vec![E::of(0.0); n],
            k: std::array::from_fn(|_| vec![E::of(0.0); n]),
        })
    }

    /// `f = dV/dt` at `v` (and `a = ∂f/∂V` when asked) with the gates held.
    fn rhs(
        channels: &mut [CondChannel<E>],
        input: &[E],
        c: &HParam<E>,
        num: usize,
        v: &[E],
        f: &mut [E],
        mut a: Option<&mut [E]>,
    ) {
        f.copy_from_slice(input);
        for (n, ch) in channels.iter_mut().enumerate() {
            ch.kernel
                .add_current(v, f, a.as_deref_mut().map(|d| (d, n == 0)));
        }
        for (k, x) in f.iter_mut().enumerate() {
            *x = *x / c.at(k % num);
        }
        if let Some(a) = a {
            if channels.is_empty() {
                a.fill(E::of(0.0));
            }
            for (k, x) in a.iter_mut().enumerate() {
                *x = *x / c.at(k % num);
            }
        }
    }
}

/// `dst = x + k·h` per element (the integrators' `axpy`).
fn axpy<E: HostFloat>(dst: &mut [E], x: &[E], k: &[E], h: f64) {
    for ((d, &x), &k) in dst.iter_mut().zip(x).zip(k) {
        *d = x + k * E::of(h);
    }
}

/// `v + φ(dt·a)·dt·f` per element, in lanes (the integrators' `exp_auto` update).
struct ExpAutoUpdate<'a, E> {
    v: &'a mut [E],
    f: &'a [E],
    a: &'a [E],
    dt: f64,
}

struct ExpAutoKernel;

impl<'a, E: HostFloat> NumKernel<E, ExpAutoUpdate<'a, E>> for ExpAutoKernel {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, args: ExpAutoUpdate<'a, E>) {
        let ExpAutoUpdate { v, f, a, dt } = args;
        let zero = E::of(0.0);
        for j in (0..v.len()).step_by(L::N) {
            let x = L::load(v, j, zero);
            let fj = L::load(f, j, zero);
            let aj = L::load(a, j, zero);
            (x + (aj * dt).exprel() * dt * fj).store(v, j);
        }
    }
}

impl<E: HostFloat> HostGroup<E> for CondHost<E> {
    fn update(&mut self, ts: &StepTime, input: &[E]) {
        let (num, dt) = (self.num, ts.dt);
        if let Some(sigma) = &self.noise {
            noise_step(sigma, self.noise_seed, ts, self.rows, num, &mut self.xi);
        }
        for (k, (d, &x)) in self.input.iter_mut().zip(input).enumerate() {
            *d = match &self.scale {
                Some(s) => x * s.at(k % num),
                None => x,
            };
        }
        let v_old = std::mem::take(&mut self.v);
        let mut v = v_old.clone();
        let method = self.method;
        let CondHost {
            channels,
            input: i_s,
            c,
            f,
            a,
            stage,
            k,
            ..
        } = self;
        match method {
            Method::ExpAuto => {
                Self::rhs(channels, i_s, c, num, &v_old, f, Some(a));
                E::run_num_lanes(
                    &mut ExpAutoKernel,
                    ExpAutoUpdate {
                        v: &mut v,
                        f,
                        a,
                        dt,
                    },
                );
            }
            Method::Euler => {
                Self::rhs(channels, i_s, c, num, &v_old, f, None);
                for (x, &fx) in v.iter_mut().zip(f.iter()) {
                    *x += fx * E::of(dt);
                }
            }
            Method::Rk2 | Method::Heun2 | Method::Midpoint => {
                let beta = match method {
                    Method::Rk2 => 2.0 / 3.0,
                    Method::Heun2 => 1.0,
                    _ => 0.5,
                };
                let [k1, k2, ..] = k;
                Self::rhs(channels, i_s, c, num, &v_old, k1, None);
                axpy(stage, &v_old, k1, beta * dt);
                Self::rhs(channels, i_s, c, num, stage, k2, None);
                let b2 = 1.0 / (2.0 * beta);
                let b1 = 1.0 - b2;
                for ((x, &d1), &d2) in v.iter_mut().zip(k1.iter()).zip(k2.iter()) {
                    *x += (d1 * E::of(b1) + d2 * E::of(b2)) * E::of(dt);
                }
            }
            Method::Rk4 => {
                let [k1, k2, k3, k4] = k;
                Self::rhs(channels, i_s, c, num, &v_old, k1, None);
                axpy(stage, &v_old, k1, dt / 2.0);
                Self::rhs(channels, i_s, c, num, stage, k2, None);
                axpy(stage, &v_old, k2, dt / 2.0);
                Self::rhs(channels, i_s, c, num, stage, k3, None);
                axpy(stage, &v_old, k3, dt);
                Self::rhs(channels, i_s, c, num, stage, k4, None);
                for (m, x) in v.iter_mut().enumerate() {
                    let s = k1[m] + k2[m] * E::of(2.0) + k3[m] * E::of(2.0) + k4[m];
                    *x += s * E::of(dt / 6.0);
                }
            }
        }
        if self.noise.is_some() {
            for (x, &n) in v.iter_mut().zip(&self.xi) {
                *x += n;
            }
        }
        for ch in self.channels.iter_mut() {
            ch.kernel.step_gates(&v_old, ts);
        }
        for (m, (s, (&new, &old))) in self.spike.iter_mut().zip(v.iter().zip(&v_old)).enumerate() {
            let th = self.v_th.at(m % num);
            // `!(old >= th)`, not `old < th`: a NaN old V counts as below threshold, as in
            // BrainPy's `(V >= V_th) & ~(V_old >= V_th)`.
            #[allow(clippy::neg_cmp_op_on_partial_ord)]
            {
                *s = new >= th && !(old >= th);
            }
        }
        self.v = v;
    }
    fn spike(&self) -> Option<&[bool]> {
        Some(&self.spike)
    }
    fn v(&self) -> Option<&[E]> {
        Some(&self.v)
    }
    fn v_mut(&mut self) -> Option<&mut [E]> {
        Some(&mut self.v)
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "V" => Some(HostSlice::f(&self.v)),
            "spike" => Some(HostSlice::b(&self.spike)),
            _ => {
                let (name, gate) = key.split_once('.')?;
                let ch = self.channels.iter().find(|c| c.name == name)?;
                ch.kernel.gate(gate).map(HostSlice::f)
            }
        }
    }
}
