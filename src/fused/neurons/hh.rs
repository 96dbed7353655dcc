//! The classic Hodgkin–Huxley neuron on the host (outside Training: boolean crossing spikes).
//!
//! float32 `exp_auto` is hand-fused like Wang–Buzsáki's (see `wb.rs`): the V equation uses the
//! gate *states*, so `∂(dV/dt)/∂V = −(gNa m³h + gK n⁴ + gL)/C` and every gate's
//! `∂f/∂x = −(α + β)` need no derivative of a rate; the rates share
//! `e^{−(V+40)/10}` (`e^{−(V+35)/10}` and `e^{−(V+55)/10}` are it times `e^{0.5}` and
//! `e^{−1.5}`): four exponentials per step. Other methods and float64 run the model's generic
//! equations on lanes.

use super::{Step, noise_step, store_mask};
use crate::backend::Precision;
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::fused::host::{HParam, HostFloat, HostGroup, HostSlice, read_float, read_spikes};
use crate::fused::lanes::{Lanes, exprel_lazy, x_over_expm1_pair};
use crate::fused::simd::LaneKernel;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Real;
use crate::neuron::hh::{
    HhParams, h_alpha, h_beta, hh_dgate, hh_dv, m_alpha, m_beta, n_alpha, n_beta,
};
use crate::param::NParam;

/// The model's generic equations on lanes.
struct HhLanes<L> {
    p: HhParams<L>,
    i: L,
}

impl<L: Lanes> OdeSystem<L> for HhLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        4
    }
    #[inline(always)]
    fn derivative<T: Real + From<L>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let v = x[0].clone();
        match k {
            0 => hh_dv(
                v,
                x[1].clone(),
                x[2].clone(),
                x[3].clone(),
                T::from(self.i),
                &self.p.cast(),
            ),
            1 => hh_dgate(x[1].clone(), m_alpha(v.clone()), m_beta(v)),
            2 => hh_dgate(x[2].clone(), h_alpha(v.clone()), h_beta(v)),
            _ => hh_dgate(x[3].clone(), n_alpha(v.clone()), n_beta(v)),
        }
    }
}

/// One hand-fused `exp_auto` step of (V, m, h, n) on lanes. `inv_c` is `1/C`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn hh_exp_auto<L: Lanes>(
    v: L,
    m: L,
    h: L,
    n: L,
    i: L,
    p: &HhParams<L>,
    inv_c: L,
    dt: f64,
) -> (L, L, L, L) {
    let xm = (v + 40.0) * (-1.0 / 10.0);
    let em = xm.exp();
    let (am, _) = x_over_expm1_pair(xm, em, false);
    let u = v + 65.0;
    let bm = (u * (-1.0 / 18.0)).exp() * 4.0;
    let ah = (u * (-1.0 / 20.0)).exp() * 0.07;
    let bh = (em * 0.5f64.exp() + 1.0).recip();
    let xn = (v + 55.0) * (-1.0 / 10.0);
    let (an, _) = x_over_expm1_pair(xn, em * (-1.5f64).exp(), false);
    let an = an * 0.1;
    let bn = (u * (-1.0 / 80.0)).exp() * 0.125;

    let m3 = m * (m * m);
    let n2 = n * n;
    let n4 = n2 * n2;
    let gna = p.g_na * m3 * h;
    let gk = p.g_k * n4;
    let fv = (-(gna * (v - p.e_na)) - gk * (v - p.e_k) - p.g_l * (v - p.e_l) + i) * inv_c;
    let av = (-gna - gk - p.g_l) * inv_c;
    (
        v + exprel_lazy(av * dt) * dt * fv,
        gate(m, am, bm, dt),
        gate(h, ah, bh, dt),
        gate(n, an, bn, dt),
    )
}

/// `x + φ(dt·A)·dt·f` for `dx/dt = f = α(1 − x) − βx`, `A = −(α + β)` (a function, not a
/// closure: closures are not always inlined into the AVX2 kernels).
#[inline(always)]
fn gate<L: Lanes>(x: L, a: L, b: L, dt: f64) -> L {
    let f = a * x.rsub(1.0) - b * x;
    x + exprel_lazy(-(a + b) * dt) * dt * f
}

/// Host kernel of [`crate::neuron::Hh`] outside Training.
pub struct HhKernel<E> {
    rows: usize,
    num: usize,
    method: Method,
    p: HhParams<HParam<E>>,
    v_th: HParam<E>,
    /// `1/C` for a shared C.
    inv_c: Option<E>,
    /// Whether every model parameter is one value for all neurons.
    all_scalar: bool,
    noise: Option<HParam<E>>,
    noise_seed: u64,
    xi: Vec<E>,
    v: Vec<E>,
    m: Vec<E>,
    h: Vec<E>,
    n: Vec<E>,
    spike: Vec<bool>,
}

impl<E: HostFloat> HhKernel<E> {
    /// From the group's core (parameters `ENa`, `gNa`, `EK`, `gK`, `EL`, `gL`, `C`, `V_th`;
    /// states `V`, `m`, `h`, `n`, `spike`) and its noise σ (when not a parameter of the core).
    pub fn new(
        core: &Core,
        method: Method,
        noise: Option<&NParam>,
        noise_seed: u64,
    ) -> Result<Self> {
        let rows = core.states.rows();
        let num = core.states.get("V").dims()[1];
        let hp = |k: &str| HParam::of_core(core, k, num);
        let noise = match noise.or_else(|| core.params.try_get("noise")) {
            Some(p) => Some(HParam::from_param(p, num, &format!("{}.noise", core.name))?),
            None => None,
        };
        let c: HParam<E> = hp("C")?;
        let inv_c = c.scalar().map(|c: E| E::of(1.0 / c.to_f64()));
        let p = HhParams {
            e_na: hp("ENa")?,
            g_na: hp("gNa")?,
            e_k: hp("EK")?,
            g_k: hp("gK")?,
            e_l: hp("EL")?,
            g_l: hp("gL")?,
            c,
        };
        let all_scalar = [&p.e_na, &p.g_na, &p.e_k, &p.g_k, &p.e_l, &p.g_l, &p.c]
            .iter()
            .all(|q| q.scalar().is_some());
        Ok(HhKernel {
            rows,
            num,
            method,
            inv_c,
            all_scalar,
            p,
            v_th: hp("V_th")?,
            noise,
            noise_seed,
            xi: Vec::new(),
            v: read_float(core, "V")?,
            m: read_float(core, "m")?,
            h: read_float(core, "h")?,
            n: read_float(core, "n")?,
            spike: read_spikes(core, "spike")?,
        })
    }

    #[inline(always)]
    fn params_of<L: Lanes<E = E>>(p: &HhParams<HParam<E>>, j: usize) -> HhParams<L> {
        HhParams {
            e_na: p.e_na.lanes(j),
            g_na: p.g_na.lanes(j),
            e_k: p.e_k.lanes(j),
            g_k: p.g_k.lanes(j),
            e_l: p.e_l.lanes(j),
            g_l: p.g_l.lanes(j),
            c: p.c.lanes(j),
        }
    }
}

impl<'a, E: HostFloat> LaneKernel<E, Step<'a, E>> for HhKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, Step { ts, input }: Step<'a, E>) {
        let (rows, num) = (self.rows, self.num);
        let z = E::of(0.0);
        // float32 takes the hand-fused exp_auto, float64 the generic equations (see wb.rs).
        let hand_fused = E::PRECISION == Precision::F32;
        // Scalar parameters are splatted once, not per vector.
        let shared = self.all_scalar.then(|| Self::params_of::<L>(&self.p, 0));
        for row in 0..rows {
            let o = row * num;
            let vr = &mut self.v[o..o + num];
            let mr = &mut self.m[o..o + num];
            let hr = &mut self.h[o..o + num];
            let nr = &mut self.n[o..o + num];
            let sr = &mut self.spike[o..o + num];
            let ir = &input[o..o + num];
            for j in (0..num).step_by(L::N) {
                let v = L::load(vr, j, E::of(-65.0));
                let m = L::load(mr, j, E::of(0.05));
                let h = L::load(hr, j, E::of(0.6));
                let n = L::load(nr, j, E::of(0.3));
                let i = L::load(ir, j, z);
                let p = match &shared {
                    Some(p) => p.clone(),
                    None => Self::params_of::<L>(&self.p, j),
                };
                let (v1, m1, h1, n1) = if self.method == Method::ExpAuto && hand_fused {
                    let inv_c = match &self.inv_c {
                        Some(c) => L::splat(*c),
                        None => p.c.recip(),
                    };
                    hh_exp_auto(v, m, h, n, i, &p, inv_c, ts.dt)
                } else {
                    let sys = HhLanes { p, i };
                    let [a, b, c, d] =
                        integrate_array(&sys, self.method, [v, m, h, n], ts.t, ts.dt);
                    (a, b, c, d)
                };
                let v1 = if self.noise.is_some() {
                    v1 + L::load(&self.xi, o + j, z)
                } else {
                    v1
                };
                // Spike on the upward crossing: V_new ≥ V_th and not V_old ≥ V_th.
                let th = self.v_th.lanes::<L>(j);
                store_mask::<L>(L::and(v1.ge(th), L::not(v.ge(th))), sr, j);
                v1.store(vr, j);
                m1.store(mr, j);
                h1.store(hr, j);
                n1.store(nr, j);
            }
        }
    }
}

impl<E: HostFloat> HostGroup<E> for HhKernel<E> {
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
            "m" => Some(HostSlice::f(&self.m)),
            "h" => Some(HostSlice::f(&self.h)),
            "n" => Some(HostSlice::f(&self.n)),
            "spike" => Some(HostSlice::b(&self.spike)),
            _ => None,
        }
    }
}
