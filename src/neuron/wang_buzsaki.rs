//! Wang–Buzsáki interneuron (BrainPy's `bp.neurons.WangBuzsakiModel`).

use crate::error::Result;
use crate::fused::lanes::{Lanes, exprel_lazy, x_over_expm1_pair};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::{Num, Real, x_over_expm1};
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::TwoInputSurrogate;

crate::model_config! {
    /// Configuration of a [`WangBuzsakiModel`]; `Default` gives the true defaults of BrainPy's
    /// code (its docstring lists HH's values by mistake).
    pub struct WangBuzsakiConfig;
    /// The parameters of the model equations, in any number type.
    pub struct WbParams {
        /// Sodium reversal potential `ENa` (mV). Default 55.
        e_na: "ENa" = 55.0, Any;
        /// Sodium conductance `gNa` (mS/cm²). Default 35.
        g_na: "gNa" = 35.0, NonNegative;
        /// Potassium reversal potential `EK` (mV). Default −90.
        e_k: "EK" = -90.0, Any;
        /// Potassium conductance `gK` (mS/cm²). Default 9.
        g_k: "gK" = 9.0, NonNegative;
        /// Leak reversal potential `EL` (mV). Default −65.
        e_l: "EL" = -65.0, Any;
        /// Leak conductance `gL` (mS/cm²). Default 0.1.
        g_l: "gL" = 0.1, NonNegative;
        /// Spike threshold `V_th` (mV). Default 20.
        v_th: "V_th" = 20.0, Any;
        /// Temperature factor `phi` of the h and n kinetics. Default 5.
        phi: "phi" = 5.0, Positive;
        /// Membrane capacitance `C` (µF/cm²). Default 1.
        c: "C" = 1.0, Positive;
    }
    options {
        /// Initial V (mV). Default −65.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::constant(-65.0);
        /// Initial h. Default 0.6.
        h_initializer: Initializer = Initializer::constant(0.6);
        /// Initial n. Default 0.32.
        n_initializer: Initializer = Initializer::constant(0.32);
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method of (V, h, n). Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// The crossing surrogate of the spike in Training mode. Default `InvSquareGrad2(α=100)`.
        surrogate: TwoInputSurrogate = TwoInputSurrogate::default();
    }
}

crate::model_states! {
    /// The states of [`WbModel`] (besides `input` and `spike`).
    pub struct WbState {
        /// Membrane potential (mV).
        v: "V",
        /// Sodium inactivation.
        h: "h",
        /// Potassium activation.
        n: "n",
    }
}

/// `α_m(V) = −0.1(V + 35)/(exp(−0.1(V + 35)) − 1)`, guarded at V = −35 (limit 1).
#[inline(always)]
pub fn alpha_m<T: Real>(v: T) -> T {
    x_over_expm1((v + 35.0) * -0.1)
}

/// `β_m(V) = 4·exp(−(V + 60)/18)`.
#[inline(always)]
pub fn beta_m<T: Real>(v: T) -> T {
    ((v + 60.0) / -18.0).exp() * 4.0
}

/// `m∞ = α_m/(α_m + β_m)` (instantaneous activation).
#[inline(always)]
pub fn m_inf<T: Real>(v: T) -> T {
    let a = alpha_m(v.clone());
    a.clone() / (a + beta_m(v))
}

/// `α_h(V) = 0.07·exp(−(V + 58)/20)`.
#[inline(always)]
pub fn alpha_h<T: Real>(v: T) -> T {
    ((v + 58.0) / -20.0).exp() * 0.07
}

/// `β_h(V) = 1/(exp(−0.1(V + 28)) + 1)`.
#[inline(always)]
pub fn beta_h<T: Real>(v: T) -> T {
    (((v + 28.0) * -0.1).exp() + 1.0).recip()
}

/// `α_n(V) = −0.01(V + 34)/(exp(−0.1(V + 34)) − 1)`, guarded at V = −34 (limit 0.1).
#[inline(always)]
pub fn alpha_n<T: Real>(v: T) -> T {
    x_over_expm1((v + 34.0) * -0.1) * 0.1
}

/// `β_n(V) = 0.125·exp(−(V + 44)/80)`.
#[inline(always)]
pub fn beta_n<T: Real>(v: T) -> T {
    ((v + 44.0) / -80.0).exp() * 0.125
}

impl<R: Clone> WbParams<R> {
    /// The same parameters in another number type.
    #[inline(always)]
    pub fn cast<T: From<R>>(&self) -> WbParams<T> {
        WbParams {
            e_na: T::from(self.e_na.clone()),
            g_na: T::from(self.g_na.clone()),
            e_k: T::from(self.e_k.clone()),
            g_k: T::from(self.g_k.clone()),
            e_l: T::from(self.e_l.clone()),
            g_l: T::from(self.g_l.clone()),
            v_th: T::from(self.v_th.clone()),
            phi: T::from(self.phi.clone()),
            c: T::from(self.c.clone()),
        }
    }
}

/// `dV/dt = (−gNa m∞³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I)/C`.
#[inline(always)]
pub fn wb_dv<T: Real>(v: T, h: T, n: T, i: T, p: &WbParams<T>) -> T {
    let i_na = p.g_na.clone() * m_inf(v.clone()).powi(3) * h * (v.clone() - p.e_na.clone());
    let i_k = p.g_k.clone() * n.powi(4) * (v.clone() - p.e_k.clone());
    let i_l = p.g_l.clone() * (v - p.e_l.clone());
    (-i_na - i_k - i_l + i) / p.c.clone()
}

/// `dh/dt = φ(α_h(1 − h) − β_h h)`.
#[inline(always)]
pub fn wb_dh<T: Real>(h: T, v: T, phi: T) -> T {
    let (a, b) = (alpha_h(v.clone()), beta_h(v));
    phi * (a * h.clone().rsub(1.0) - b * h)
}

/// `dn/dt = φ(α_n(1 − n) − β_n n)`.
#[inline(always)]
pub fn wb_dn<T: Real>(n: T, v: T, phi: T) -> T {
    let (a, b) = (alpha_n(v.clone()), beta_n(v));
    phi * (a * n.clone().rsub(1.0) - b * n)
}

/// The model's equations as an ODE system of (V, h, n).
pub(crate) struct WbOde<R> {
    pub p: WbParams<R>,
    pub i: R,
}

impl<R: Num> OdeSystem<R> for WbOde<R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        3
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        match k {
            0 => wb_dv(
                x[0].clone(),
                x[1].clone(),
                x[2].clone(),
                T::from(self.i.clone()),
                &self.p.cast(),
            ),
            1 => wb_dh(x[1].clone(), x[0].clone(), T::from(self.p.phi.clone())),
            _ => wb_dn(x[2].clone(), x[0].clone(), T::from(self.p.phi.clone())),
        }
    }
}

/// The spike of a threshold crossing, `V_old < V_th ≤ V_new`: a mask outside Training, a float
/// with the two-input crossing surrogate on `(V_new − V_th, V_old − V_th)` in Training.
#[inline(always)]
pub(crate) fn crossing_spike<R: Num, C: StepCx<R>>(
    v_old: &R,
    v_new: &R,
    v_th: &R,
    cx: &mut C,
    surrogate: &TwoInputSurrogate,
) -> Spike<R> {
    if cx.training() {
        let x_new = v_new.clone() - v_th.clone();
        let x_old = v_old.clone() - v_th.clone();
        Spike::Float(cx.crossing_spike(x_new, x_old, surrogate))
    } else {
        let above = v_new.ge(v_th);
        let was_below = R::mask_not(&v_old.ge(v_th));
        Spike::Mask(R::mask_and(&above, &was_below))
    }
}

/// Wang–Buzsáki fast-spiking interneuron (BrainPy `bp.neurons.WangBuzsakiModel`, 2.4.6).
///
/// **Equations** (V in mV, t in ms, `I` the accumulated `input` in µA/cm²):
///
/// `C dV/dt = −gNa m∞³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I`,
/// `dh/dt = φ(α_h(1 − h) − β_h h)`, `dn/dt = φ(α_n(1 − n) − β_n n)`,
///
/// with `m∞ = α_m/(α_m + β_m)`, `α_m = −0.1(V + 35)/(exp(−0.1(V + 35)) − 1)`,
/// `β_m = 4 exp(−(V + 60)/18)`, `α_h = 0.07 exp(−(V + 58)/20)`,
/// `β_h = 1/(exp(−0.1(V + 28)) + 1)`, `α_n = −0.01(V + 34)/(exp(−0.1(V + 34)) − 1)`,
/// `β_n = 0.125 exp(−(V + 44)/80)`. The removable singularities of α_m (V = −35) and α_n
/// (V = −34) are evaluated with the guarded `x/(eˣ − 1)`, so no V gives NaN (BrainPy 2.4.6
/// does).
///
/// **Discrete update** (step k, `t = k·dt`): (V, h, n) advance as one joint system with the
/// group's method, every variable from the start-of-step values (exp_auto: `x⁺ = x +
/// dt·φ(dt·∂f/∂x)·f` per variable, Jacobi style, as BrainPy's `JointEq`); with noise,
/// `V⁺ += σ√dt·ξ`. Spike: `V_old < V_th ≤ V⁺` — bool in NonBatching/Batching; in Training a
/// float with the two-input crossing surrogate (`inv_square_grad2`, α = 100) on
/// `(V⁺ − V_th, V_old − V_th)` (BrainPy stores bool spikes even in Training; SPEC §3).
/// No reset.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `ENa` | mV | 55 |
/// | `gNa` | mS/cm² | 35 |
/// | `EK` | mV | −90 |
/// | `gK` | mS/cm² | 9 |
/// | `EL` | mV | −65 |
/// | `gL` | mS/cm² | 0.1 |
/// | `V_th` | mV | 20 |
/// | `phi` | — | 5 |
/// | `C` | µF/cm² | 1 |
/// | `V_initializer` | mV | −65 |
/// | `h_initializer` | — | 0.6 |
/// | `n_initializer` | — | 0.32 |
///
/// Every parameter may be per-neuron, an initializer, and trainable. States: `V`, `h`, `n`,
/// `input`, `spike`.
///
/// Reference: Wang & Buzsáki, J Neurosci 16:6402 (1996); BrainPy 2.4.6
/// `brainpy/_src/dyn/neurons/hh.py::WangBuzsakiHHLTC`. `oracle` cases b (f–I curve) and
/// h (`wb_one_step`) pin it.
#[derive(Clone, Debug)]
pub struct WbModel {
    method: Method,
    surrogate: TwoInputSurrogate,
}

/// A group of Wang–Buzsáki neurons ([`WbModel`]), BrainPy's `WangBuzsakiModel`.
pub type WangBuzsakiModel = NeuGroup<WbModel>;

impl NeuronModel for WbModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "WangBuzsakiModel";
    type Config = WangBuzsakiConfig;
    type Params<R> = WbParams<R>;
    type State<R> = WbState<R>;

    fn build(cfg: &WangBuzsakiConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: WbModel {
                method: cfg.method,
                surrogate: cfg.surrogate.clone(),
            },
            params: cfg.params(),
            states: WbState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                h: StateStart::Init(cfg.h_initializer.clone()),
                n: StateStart::Init(cfg.n_initializer.clone()),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &WbParams<R>,
        s: &mut WbState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = WbOde {
            p: p.clone(),
            i: input,
        };
        let x = [s.v.clone(), s.h.clone(), s.n.clone()];
        let [v, h, n] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        self.finish(p, s, v, h, n, cx)
    }

    /// float32 `exp_auto` on the fused engine's lanes runs [`wb_exp_auto_f32`] (shared
    /// exponentials); everything else the generic step.
    #[inline(always)]
    fn step_lanes<L: Lanes, C: StepCx<L>>(
        &self,
        p: &WbParams<L>,
        s: &mut WbState<L>,
        input: L,
        cx: &mut C,
    ) -> Spike<L> {
        if !(L::SINGLE && self.method == Method::ExpAuto) {
            return self.step(p, s, input, cx);
        }
        let (v, h, n) = wb_exp_auto_f32(s.v, s.h, s.n, input, p, p.c.recip(), cx.dt());
        self.finish(p, s, v, h, n, cx)
    }

    /// float64 `exp_auto` with `C = 1` runs BrainPy's compiled operation order
    /// ([`crate::fused::neurons::wb_x64`]) on the fused engine.
    fn has_f64_override(&self) -> bool {
        self.method == Method::ExpAuto
    }

    fn step_f64<C: StepCx<f64>>(
        &self,
        p: &WbParams<f64>,
        s: &mut WbState<f64>,
        input: f64,
        cx: &mut C,
    ) -> Spike<f64> {
        if !crate::fused::neurons::wb_x64::applies(self.method == Method::ExpAuto, Some(p.c)) {
            return self.step(p, s, input, cx);
        }
        let (v, h, n) =
            crate::fused::neurons::wb_x64::wb_step_x64(s.v, s.h, s.n, input, p, cx.dt());
        self.finish(p, s, v, h, n, cx)
    }
}

/// The documented float32 override of [`WbModel`]'s `exp_auto` drift on the fused engine's
/// lanes: the generic step's arithmetic (dual numbers give `∂(dV/dt)/∂V` through `m∞³`; the h
/// and n equations are linear in their variable) written out once, with the exponentials
/// shared where the rates allow it — `e^{−0.1(V+34)} = e^{−0.1(V+35)}·e^{0.1}` and
/// `e^{−0.1(V+28)} = e^{−0.1(V+35)}·e^{0.7}` — so a step costs four exponentials instead of
/// the generic step's six (measured: the generic step is ~1.5× slower, `docs/benchmarks.md`).
/// Same equations, not a second model: `tests/cases/fused.rs` checks it against the composed
/// path and the unit test below against the generic step. `inv_c` is `1/C`.
#[inline(always)]
pub fn wb_exp_auto_f32<L: Lanes>(
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

impl WbModel {
    /// The integration method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// After the drift step: the noise on V, the crossing spike, the new states.
    #[inline(always)]
    fn finish<R: Num, C: StepCx<R>>(
        &self,
        p: &WbParams<R>,
        s: &mut WbState<R>,
        v: R,
        h: R,
        n: R,
        cx: &mut C,
    ) -> Spike<R> {
        let v = match cx.noise() {
            Some(x) => v + x,
            None => v,
        };
        let spike = crossing_spike(&s.v, &v, &p.v_th, cx, &self.surrogate);
        s.v = v;
        s.h = h;
        s.n = n;
        spike
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fused::lanes::F32x8;
    use crate::model::Fields;

    /// The float32 lane override ([`wb_exp_auto_f32`]) is the generic `exp_auto` step of the
    /// same equations: over V from −100 to 60 mV (every branch of the rates and of exprel),
    /// V, h and n agree within 1e-5 relative (floors 1 mV, 1e-3): a handful of ulp from the
    /// shared exponentials (e^{0.1}, e^{0.7} rounded to f32), one reciprocal per quotient and
    /// the reciprocal of C.
    #[test]
    fn float32_override_equals_the_generic_step() {
        let model = WbModel::build(&WangBuzsakiConfig::default()).expect("defaults");
        let p = WbParams::<F32x8>::from_fn(|k| {
            F32x8::cst(model.params.field(k).as_scalar().expect("scalar default"))
        });
        let mut worst = 0.0f64;
        for k in 0..400 {
            let v = F32x8::cst(-100.0 + k as f64 * 0.4);
            let (h, n, i) = (F32x8::cst(0.6), F32x8::cst(0.32), F32x8::cst(1.5));
            let sys = WbOde { p: p.clone(), i };
            let [gv, gh, gn] = integrate_array(&sys, Method::ExpAuto, [v, h, n], 0.0, 0.01);
            let (ov, oh, on) = wb_exp_auto_f32(v, h, n, i, &p, p.c.recip(), 0.01);
            for (a, b, floor) in [(ov, gv, 1.0), (oh, gh, 1e-3), (on, gn, 1e-3)] {
                let (a, b) = (a.lane(0) as f64, b.lane(0) as f64);
                worst = worst.max((a - b).abs() / b.abs().max(floor));
            }
        }
        eprintln!("override vs generic, worst relative difference: {worst:e}");
        assert!(worst < 1e-5, "override vs generic: {worst:e}");
    }

    /// x/(eˣ − 1) by its Taylor series (|x| ≤ 1e-6: the omitted x⁴/720 is below 1e-26).
    fn series(x: f64) -> f64 {
        1.0 - x / 2.0 + x * x / 12.0
    }

    /// α_m at V = −35 and α_n at V = −34, exactly and 1e-9, 1e-6 mV away: finite and equal to
    /// the analytic value within 1e-9 relative.
    #[test]
    fn removable_singularities_are_finite_and_exact() {
        for d in [0.0, 1e-9, -1e-9, 1e-6, -1e-6] {
            let v = -35.0 + d;
            let a = alpha_m(v);
            let want = series((v + 35.0) * -0.1);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "α_m {d}: {a}"
            );
            let v = -34.0 + d;
            let a = alpha_n(v);
            let want = 0.1 * series((v + 34.0) * -0.1);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "α_n {d}: {a}"
            );
        }
        assert_eq!(alpha_m(-35.0f64), 1.0);
        assert_eq!(alpha_n(-34.0f64), 0.1);
    }

    /// Away from the singularities the guarded forms equal BrainPy's quotients.
    #[test]
    fn rates_equal_brainpy_quotients() {
        for v in [-90.0f64, -65.0, -40.2, -20.0, 0.0, 30.0] {
            let bp_m = -0.1 * (v + 35.0) / ((-0.1 * (v + 35.0)).exp() - 1.0);
            let bp_n = -0.01 * (v + 34.0) / ((-0.1 * (v + 34.0)).exp() - 1.0);
            assert!(((alpha_m(v) - bp_m) / bp_m).abs() < 1e-13, "{v}");
            assert!(((alpha_n(v) - bp_n) / bp_n).abs() < 1e-13, "{v}");
        }
    }
}
