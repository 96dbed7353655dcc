//! LIF and LeakyIntegrator on the host (outside Training: boolean spikes, hard reset).

use super::{Step, noise_step, store_mask};
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::fused::host::{HParam, HostFloat, HostGroup, HostSlice, read_float, read_spikes};
use crate::fused::lanes::Lanes;
use crate::fused::simd::LaneKernel;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Real;
use crate::neuron::lif_dv;
use crate::param::NParam;

/// `τ dV/dt = −(V − V_rest) + R·I` on lanes (the generic path of the non-`exp_auto` methods).
struct LifLanes<L> {
    v_rest: L,
    r: L,
    i: L,
    tau: L,
}

impl<L: Lanes> OdeSystem<L> for LifLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Real + From<L>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        lif_dv(
            x[0].clone(),
            T::from(self.v_rest),
            T::from(self.r),
            T::from(self.i),
            T::from(self.tau),
        )
    }
}

/// The `exp_auto` step factor `dt·φ(−dt/τ)` of the membrane, per neuron or shared, computed in
/// f64 as the composed path computes it for a constant τ (the derivative `−1/τ` of the linear
/// right-hand side is exact), kept for the `dt` it was computed with.
#[derive(Clone, Debug)]
struct LinearFactor<E> {
    dt: f64,
    c: HParam<E>,
}

impl<E: HostFloat> LinearFactor<E> {
    fn new(tau: &[f64], dt: f64) -> Self {
        let f = |tau: f64| E::of(Real::exprel(-1.0 / tau * dt) * dt);
        let c = if tau.len() == 1 {
            HParam::Scalar(f(tau[0]))
        } else {
            HParam::PerNeuron(tau.iter().map(|&t| f(t)).collect())
        };
        LinearFactor { dt, c }
    }
}

/// The leaky membrane shared by LIF and LeakyIntegrator.
#[derive(Clone, Debug)]
struct Membrane<E> {
    rows: usize,
    num: usize,
    method: Method,
    v_rest: HParam<E>,
    r: HParam<E>,
    tau: HParam<E>,
    tau_f64: Vec<f64>,
    noise: Option<HParam<E>>,
    noise_seed: u64,
    factor: Option<LinearFactor<E>>,
    xi: Vec<E>,
    v: Vec<E>,
}

impl<E: HostFloat> Membrane<E> {
    fn new(core: &Core, method: Method, noise: Option<&NParam>, noise_seed: u64) -> Result<Self> {
        let rows = core.states.rows();
        let num = core.states.get("V").dims()[1];
        let tau_f64 = core.params.get("tau").host_values()?;
        Ok(Membrane {
            rows,
            num,
            method,
            v_rest: HParam::of_core(core, "V_rest", num)?,
            r: HParam::of_core(core, "R", num)?,
            tau: HParam::of_core(core, "tau", num)?,
            tau_f64,
            noise: match noise.or_else(|| core.params.try_get("noise")) {
                Some(p) => Some(HParam::from_param(p, num, &format!("{}.noise", core.name))?),
                None => None,
            },
            noise_seed,
            factor: None,
            xi: Vec::new(),
            v: read_float(core, "V")?,
        })
    }

    /// Draws the step's noise and refreshes the `exp_auto` factor for `ts.dt`.
    fn prepare(&mut self, ts: &StepTime) {
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
        if self.method == Method::ExpAuto && self.factor.as_ref().is_none_or(|f| f.dt != ts.dt) {
            self.factor = Some(LinearFactor::new(&self.tau_f64, ts.dt));
        }
    }

    /// The drift step plus noise of the chunk at column `j` of a row (`o` = row offset).
    #[inline(always)]
    fn step_lanes<L: Lanes<E = E>>(&self, v: L, i: L, j: usize, o: usize, ts: &StepTime) -> L {
        let (v_rest, r, tau): (L, L, L) =
            (self.v_rest.lanes(j), self.r.lanes(j), self.tau.lanes(j));
        let v_new = match &self.factor {
            Some(f) if self.method == Method::ExpAuto => {
                // (−V + V_rest + R·I)/τ, then V + f·(dt·φ), as the composed path orders it.
                let dv = (-v + v_rest + r * i) / tau;
                v + dv * f.c.lanes::<L>(j)
            }
            _ => {
                let sys = LifLanes { v_rest, r, i, tau };
                let [x] = integrate_array(&sys, self.method, [v], ts.t, ts.dt);
                x
            }
        };
        if self.noise.is_some() {
            v_new + L::load(&self.xi, o + j, E::of(0.0))
        } else {
            v_new
        }
    }
}

/// Host kernel of [`crate::neuron::LeakyIntegrator`].
pub struct LeakyKernel<E> {
    m: Membrane<E>,
}

impl<E: HostFloat> LeakyKernel<E> {
    /// From the group's core (parameters `V_rest`, `R`, `tau`; state `V`) and its noise σ
    /// (when not a parameter of the core).
    pub fn new(
        core: &Core,
        method: Method,
        noise: Option<&NParam>,
        noise_seed: u64,
    ) -> Result<Self> {
        Ok(LeakyKernel {
            m: Membrane::new(core, method, noise, noise_seed)?,
        })
    }
}

impl<'a, E: HostFloat> LaneKernel<E, Step<'a, E>> for LeakyKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, Step { ts, input }: Step<'a, E>) {
        let (rows, num) = (self.m.rows, self.m.num);
        let mut v = std::mem::take(&mut self.m.v);
        for row in 0..rows {
            let o = row * num;
            let vr = &mut v[o..o + num];
            let ir = &input[o..o + num];
            for j in (0..num).step_by(L::N) {
                let x = L::load(vr, j, E::of(0.0));
                let i = L::load(ir, j, E::of(0.0));
                self.m.step_lanes(x, i, j, o, ts).store(vr, j);
            }
        }
        self.m.v = v;
    }
}

impl<E: HostFloat> HostGroup<E> for LeakyKernel<E> {
    fn update(&mut self, ts: &StepTime, input: &[E]) {
        self.m.prepare(ts);
        E::run_lanes(self, Step { ts, input });
    }
    fn spike(&self) -> Option<&[bool]> {
        None
    }
    fn v(&self) -> Option<&[E]> {
        Some(&self.m.v)
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "V" => Some(HostSlice::f(&self.m.v)),
            _ => None,
        }
    }
}

/// Host kernel of [`crate::neuron::Lif`] outside Training.
pub struct LifKernel<E> {
    m: Membrane<E>,
    v_th: HParam<E>,
    v_reset: HParam<E>,
    tau_ref: HParam<E>,
    t_last: Vec<E>,
    spike: Vec<bool>,
}

impl<E: HostFloat> LifKernel<E> {
    /// From the group's core (parameters `V_rest`, `V_reset`, `V_th`, `R`, `tau`, `tau_ref`;
    /// states `V`, `spike`, `t_last_spike`) and its noise σ (when not a parameter of the core).
    pub fn new(
        core: &Core,
        method: Method,
        noise: Option<&NParam>,
        noise_seed: u64,
    ) -> Result<Self> {
        let m = Membrane::new(core, method, noise, noise_seed)?;
        let num = m.num;
        Ok(LifKernel {
            v_th: HParam::of_core(core, "V_th", num)?,
            v_reset: HParam::of_core(core, "V_reset", num)?,
            tau_ref: HParam::of_core(core, "tau_ref", num)?,
            t_last: read_float(core, "t_last_spike")?,
            spike: read_spikes(core, "spike")?,
            m,
        })
    }
}

impl<'a, E: HostFloat> LaneKernel<E, Step<'a, E>> for LifKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, Step { ts, input }: Step<'a, E>) {
        let (rows, num) = (self.m.rows, self.m.num);
        let t = L::splat(E::of(ts.t));
        let z = E::of(0.0);
        let mut v = std::mem::take(&mut self.m.v);
        for row in 0..rows {
            let o = row * num;
            let vr = &mut v[o..o + num];
            let tr = &mut self.t_last[o..o + num];
            let sr = &mut self.spike[o..o + num];
            let ir = &input[o..o + num];
            for j in (0..num).step_by(L::N) {
                let v0 = L::load(vr, j, z);
                let i = L::load(ir, j, z);
                let tl = L::load(tr, j, z);
                let v1 = self.m.step_lanes(v0, i, j, o, ts);
                // Refractory (t − t_last ≤ tau_ref) neurons keep their old V.
                let refractory = (-tl + t).le(self.tau_ref.lanes(j));
                let v1 = L::blend(refractory, v0, v1);
                // Spike where V ≥ V_th: V = V_reset, t_last = t.
                let fired = v1.ge(self.v_th.lanes(j));
                L::blend(fired, self.v_reset.lanes(j), v1).store(vr, j);
                L::blend(fired, t, tl).store(tr, j);
                store_mask::<L>(fired, sr, j);
            }
        }
        self.m.v = v;
    }
}

impl<E: HostFloat> HostGroup<E> for LifKernel<E> {
    fn update(&mut self, ts: &StepTime, input: &[E]) {
        self.m.prepare(ts);
        E::run_lanes(self, Step { ts, input });
    }
    fn spike(&self) -> Option<&[bool]> {
        Some(&self.spike)
    }
    fn v(&self) -> Option<&[E]> {
        Some(&self.m.v)
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        match key {
            "V" => Some(HostSlice::f(&self.m.v)),
            "spike" => Some(HostSlice::b(&self.spike)),
            "t_last_spike" => Some(HostSlice::f(&self.t_last)),
            _ => None,
        }
    }
}
