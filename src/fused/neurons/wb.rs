//! Wang–Buzsáki on the host (outside Training: boolean crossing spikes).
//!
//! `exp_auto` — the default and the benchmark's method — is hand-fused: the composed path's
//! arithmetic (dual numbers give `∂(dV/dt)/∂V` through `m∞³`, the h and n equations are
//! linear in their variable) written out once, with the exponentials shared where the rates
//! allow it: `e^{−0.1(V+34)} = e^{−0.1(V+35)}·e^{0.1}` and `e^{−0.1(V+28)} = e^{−0.1(V+35)}·e^{0.7}`,
//! so a step costs four exponentials (plus one for the V factor when `|dt·∂f/∂V| ≥ 1`) instead
//! of the eleven the generic dual-number path evaluates. float64 `exp_auto` with C = 1 (parity
//! runs against BrainPy's x64 mode, where the last bit matters over long chaotic runs) takes
//! BrainPy's own operation order ([`super::wb_x64`]). The other methods, and float64 with
//! other C, run the model's generic equations ([`wb_dv`], [`wb_dh`], [`wb_dn`]) on lanes. All
//! are checked against the composed path in `tests/cases/fused.rs`.

use super::{Step, noise_step, store_mask};
use crate::backend::Precision;
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::fused::host::{HParam, HostFloat, HostGroup, HostSlice, read_float, read_spikes};
use crate::fused::lanes::{Lanes, exprel_lazy, x_over_expm1_pair};
use crate::fused::simd::LaneKernel;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Real;
use crate::neuron::wang_buzsaki::{WbParams, wb_dh, wb_dn, wb_dv};

/// The model's generic equations on lanes (all methods but the hand-fused `exp_auto`).
struct WbLanes<L> {
    p: WbParams<L>,
    i: L,
}

impl<L: Lanes> OdeSystem<L> for WbLanes<L> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        3
    }
    #[inline(always)]
    fn derivative<T: Real + From<L>>(&self, k: usize, x: &[T], _t: f64) -> T {
        match k {
            0 => wb_dv(
                x[0].clone(),
                x[1].clone(),
                x[2].clone(),
                T::from(self.i),
                &self.p.cast(),
            ),
            1 => wb_dh(x[1].clone(), x[0].clone(), T::from(self.p.phi)),
            _ => wb_dn(x[2].clone(), x[0].clone(), T::from(self.p.phi)),
        }
    }
}

/// One hand-fused `exp_auto` step of (V, h, n) on lanes: the new values. `inv_c` is `1/C`.
#[inline(always)]
pub fn wb_exp_auto<L: Lanes>(
    v: L,
    h: L,
    n: L,
    i: L,
    p: &WbParams<L>,
    inv_c: L,
    dt: f64,
) -> (L, L, L) {
    // α_m = x/(eˣ − 1), x = −0.1(V + 35); dα_m/dV = −0.1·dα/dx.
    let xm = (v + 35.0) * -0.1;
    let em = xm.exp();
    let (am, am_dx) = x_over_expm1_pair(xm, em, true);
    let am_d = am_dx * -0.1;
    // β_m = 4·e^{−(V+60)/18}, dβ_m/dV = −β_m/18.
    let bm = ((v + 60.0) * (-1.0 / 18.0)).exp() * 4.0;
    let bm_d = bm * (-1.0 / 18.0);
    // m∞ = α/(α + β) and its derivative (the quotient rule).
    let q = (am + bm).recip();
    let m = am * q;
    let m_d = (am_d - m * (am_d + bm_d)) * q;
    // α_h = 0.07·e^{−(V+58)/20}, β_h = 1/(e^{−0.1(V+28)} + 1).
    let ah = ((v + 58.0) * (-1.0 / 20.0)).exp() * 0.07;
    let bh = (em * 0.7f64.exp() + 1.0).recip();
    // α_n = 0.1·x/(eˣ − 1), x = −0.1(V + 34); β_n = 0.125·e^{−(V+44)/80}.
    let xn = (v + 34.0) * -0.1;
    let (an, _) = x_over_expm1_pair(xn, em * 0.1f64.exp(), false);
    let an = an * 0.1;
    let bn = ((v + 44.0) * (-1.0 / 80.0)).exp() * 0.125;

    // dV/dt = (−gNa m³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I)/C and ∂/∂V.
    let m2 = m * m;
    let m3 = m * m2;
    let n2 = n * n;
    let n4 = n2 * n2;
    let dna = v - p.e_na;
    let gk_n4 = p.g_k * n4;
    let i_na = p.g_na * m3 * h * dna;
    let i_k = gk_n4 * (v - p.e_k);
    let i_l = p.g_l * (v - p.e_l);
    let fv = (-i_na - i_k - i_l + i) * inv_c;
    let di_na = p.g_na * h * (m_d * m2 * 3.0 * dna + m3);
    let av = (-di_na - gk_n4 - p.g_l) * inv_c;
    // dh/dt = φ(α_h(1 − h) − β_h h), ∂/∂h = −φ(α_h + β_h); the same for n.
    let fh = p.phi * (ah * h.rsub(1.0) - bh * h);
    let a_h = -(ah + bh) * p.phi;
    let fn_ = p.phi * (an * n.rsub(1.0) - bn * n);
    let a_n = -(an + bn) * p.phi;

    // x⁺ = x + φ(dt·A)·dt·f, each from the old values (Jacobi, as BrainPy's JointEq).
    let v1 = v + exprel_lazy(av * dt) * dt * fv;
    let h1 = h + exprel_lazy(a_h * dt) * dt * fh;
    let n1 = n + exprel_lazy(a_n * dt) * dt * fn_;
    (v1, h1, n1)
}

/// Host kernel of [`crate::neuron::WangBuzsakiModel`] outside Training.
pub struct WbKernel<E> {
    rows: usize,
    num: usize,
    method: Method,
    p: WbParams<HParam<E>>,
    v_th: HParam<E>,
    /// `1/C` for a shared C.
    inv_c: Option<E>,
    /// Whether every model parameter is one value for all neurons.
    all_scalar: bool,
    /// Whether the step runs in BrainPy's float64 operation order ([`super::wb_x64`]).
    brainpy_order: bool,
    noise: Option<HParam<E>>,
    noise_seed: u64,
    xi: Vec<E>,
    v: Vec<E>,
    h: Vec<E>,
    n: Vec<E>,
    spike: Vec<bool>,
}

impl<E: HostFloat> WbKernel<E> {
    /// From the group's core (parameters `ENa`, `gNa`, `EK`, `gK`, `EL`, `gL`, `phi`, `C`,
    /// `V_th`, optional `noise`; states `V`, `h`, `n`, `spike`).
    pub fn new(
        core: &Core,
        method: Method,
        noise: Option<&crate::param::NParam>,
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
        let p = WbParams {
            e_na: hp("ENa")?,
            g_na: hp("gNa")?,
            e_k: hp("EK")?,
            g_k: hp("gK")?,
            e_l: hp("EL")?,
            g_l: hp("gL")?,
            phi: hp("phi")?,
            c,
        };
        let all_scalar = [
            &p.e_na, &p.g_na, &p.e_k, &p.g_k, &p.e_l, &p.g_l, &p.phi, &p.c,
        ]
        .iter()
        .all(|q| q.scalar().is_some());
        let brainpy_order = E::PRECISION == Precision::F64
            && super::wb_x64::applies(
                method == Method::ExpAuto,
                p.c.scalar().map(HostFloat::to_f64),
            );
        Ok(WbKernel {
            inv_c,
            all_scalar,
            brainpy_order,
            p,
            rows,
            num,
            method,
            v_th: hp("V_th")?,
            noise,
            noise_seed,
            xi: Vec::new(),
            v: read_float(core, "V")?,
            h: read_float(core, "h")?,
            n: read_float(core, "n")?,
            spike: read_spikes(core, "spike")?,
        })
    }

    /// One step in BrainPy's float64 operation order (element by element).
    fn run_brainpy_order(&mut self, ts: &StepTime, input: &[E]) {
        let f = |q: &HParam<E>, j: usize| HostFloat::to_f64(q.at(j));
        for (k, &x) in input.iter().enumerate().take(self.rows * self.num) {
            let j = k % self.num;
            let p = &self.p;
            let pj = WbParams {
                e_na: f(&p.e_na, j),
                g_na: f(&p.g_na, j),
                e_k: f(&p.e_k, j),
                g_k: f(&p.g_k, j),
                e_l: f(&p.e_l, j),
                g_l: f(&p.g_l, j),
                phi: f(&p.phi, j),
                c: 1.0,
            };
            let v = self.v[k].to_f64();
            let (v1, h1, n1) = super::wb_x64::wb_step_x64(
                v,
                self.h[k].to_f64(),
                self.n[k].to_f64(),
                x.to_f64(),
                &pj,
                ts.dt,
            );
            let v1 = match self.noise {
                Some(_) => v1 + self.xi[k].to_f64(),
                None => v1,
            };
            let th = f(&self.v_th, j);
            self.spike[k] = v1 >= th && (v < th || v.is_nan());
            self.v[k] = E::of(v1);
            self.h[k] = E::of(h1);
            self.n[k] = E::of(n1);
        }
    }

    #[inline(always)]
    fn params_of<L: Lanes<E = E>>(p: &WbParams<HParam<E>>, j: usize) -> WbParams<L> {
        WbParams {
            e_na: p.e_na.lanes(j),
            g_na: p.g_na.lanes(j),
            e_k: p.e_k.lanes(j),
            g_k: p.g_k.lanes(j),
            e_l: p.e_l.lanes(j),
            g_l: p.g_l.lanes(j),
            phi: p.phi.lanes(j),
            c: p.c.lanes(j),
        }
    }
}

impl<'a, E: HostFloat> LaneKernel<E, Step<'a, E>> for WbKernel<E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, Step { ts, input }: Step<'a, E>) {
        let (rows, num) = (self.rows, self.num);
        let z = E::of(0.0);
        // float32 takes the hand-fused exp_auto; float64 here (other methods, or C != 1:
        // exp_auto with C = 1 takes `run_brainpy_order` instead) the generic dual-number
        // equations, whose operation order is the composed path's.
        let hand_fused = E::PRECISION == Precision::F32;
        // Scalar parameters are splatted once, not per vector.
        let shared = self.all_scalar.then(|| Self::params_of::<L>(&self.p, 0));
        for row in 0..rows {
            let o = row * num;
            let vr = &mut self.v[o..o + num];
            let hr = &mut self.h[o..o + num];
            let nr = &mut self.n[o..o + num];
            let sr = &mut self.spike[o..o + num];
            let ir = &input[o..o + num];
            for j in (0..num).step_by(L::N) {
                let v = L::load(vr, j, E::of(-65.0));
                let h = L::load(hr, j, E::of(0.5));
                let n = L::load(nr, j, E::of(0.5));
                let i = L::load(ir, j, z);
                let p = match &shared {
                    Some(p) => p.clone(),
                    None => Self::params_of::<L>(&self.p, j),
                };
                let (v1, h1, n1) = if self.method == Method::ExpAuto && hand_fused {
                    let inv_c = match &self.inv_c {
                        Some(c) => L::splat(*c),
                        None => p.c.recip(),
                    };
                    wb_exp_auto(v, h, n, i, &p, inv_c, ts.dt)
                } else {
                    let sys = WbLanes { p, i };
                    let [a, b, c] = integrate_array(&sys, self.method, [v, h, n], ts.t, ts.dt);
                    (a, b, c)
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
                h1.store(hr, j);
                n1.store(nr, j);
            }
        }
    }
}

impl<E: HostFloat> HostGroup<E> for WbKernel<E> {
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
        if self.brainpy_order {
            self.run_brainpy_order(ts, input);
        } else {
            E::run_lanes(self, Step { ts, input });
        }
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
            "h" => Some(HostSlice::f(&self.h)),
            "n" => Some(HostSlice::f(&self.n)),
            "spike" => Some(HostSlice::b(&self.spike)),
            _ => None,
        }
    }
}
