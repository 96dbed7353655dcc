//! The classic Hodgkin–Huxley neuron (BrainPy's `bp.neurons.HH` / `bp.dyn.HHLTC`).

use super::wang_buzsaki::crossing_spike;
use crate::channel::markov_steady;
use crate::error::Result;
use crate::fused::lanes::{Lanes, exprel_lazy, x_over_expm1_pair};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::{Num, Real, x_over_expm1};
use crate::model::{Fields, ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::TwoInputSurrogate;

crate::model_config! {
    /// Configuration of an [`Hh`] group; `Default` gives BrainPy's defaults.
    pub struct HhConfig;
    /// The parameters of the HH equations, in any number type.
    pub struct HhParams {
        /// Sodium reversal potential `ENa` (mV). Default 50.
        e_na: "ENa" = 50.0, Any;
        /// Sodium conductance `gNa` (mS/cm²). Default 120.
        g_na: "gNa" = 120.0, NonNegative;
        /// Potassium reversal potential `EK` (mV). Default −77.
        e_k: "EK" = -77.0, Any;
        /// Potassium conductance `gK` (mS/cm²). Default 36.
        g_k: "gK" = 36.0, NonNegative;
        /// Leak reversal potential `EL` (mV). Default −54.387.
        e_l: "EL" = -54.387, Any;
        /// Leak conductance `gL` (mS/cm²). Default 0.03 (BrainPy's; the 1952 paper has 0.3).
        g_l: "gL" = 0.03, NonNegative;
        /// Spike threshold `V_th` (mV). Default 20.
        v_th: "V_th" = 20.0, Any;
        /// Membrane capacitance `C` (µF/cm²). Default 1.
        c: "C" = 1.0, Positive;
    }
    options {
        /// Initial V (mV). Default `Uniform(−70, −60)` (BrainPy's; seeded, seed 0).
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::uniform(-70.0, -60.0, 0);
        /// Initial m; `None` (default) = steady state `α_m/(α_m + β_m)` at the initial V.
        m_initializer: Option<Initializer> = None;
        /// Initial h; `None` (default) = steady state at the initial V.
        h_initializer: Option<Initializer> = None;
        /// Initial n; `None` (default) = steady state at the initial V.
        n_initializer: Option<Initializer> = None;
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method of (V, m, h, n). Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// The crossing surrogate of the spike in Training mode. Default `InvSquareGrad2(α=100)`.
        surrogate: TwoInputSurrogate = TwoInputSurrogate::default();
    }
}

crate::model_states! {
    /// The states of [`HhModel`] (besides `input` and `spike`).
    pub struct HhState {
        /// Membrane potential (mV).
        v: "V",
        /// Sodium activation.
        m: "m",
        /// Sodium inactivation.
        h: "h",
        /// Potassium activation.
        n: "n",
    }
}

/// `α_m = 0.1(V + 40)/(1 − exp(−(V + 40)/10))`, guarded at V = −40 (limit 1).
#[inline(always)]
pub fn m_alpha<T: Real>(v: T) -> T {
    x_over_expm1((v + 40.0) / -10.0)
}
/// `β_m = 4·exp(−(V + 65)/18)`.
#[inline(always)]
pub fn m_beta<T: Real>(v: T) -> T {
    ((v + 65.0) / -18.0).exp() * 4.0
}
/// `α_h = 0.07·exp(−(V + 65)/20)`.
#[inline(always)]
pub fn h_alpha<T: Real>(v: T) -> T {
    ((v + 65.0) / -20.0).exp() * 0.07
}
/// `β_h = 1/(1 + exp(−(V + 35)/10))`.
#[inline(always)]
pub fn h_beta<T: Real>(v: T) -> T {
    (((v + 35.0) / -10.0).exp() + 1.0).recip()
}
/// `α_n = 0.01(V + 55)/(1 − exp(−(V + 55)/10))`, guarded at V = −55 (limit 0.1).
#[inline(always)]
pub fn n_alpha<T: Real>(v: T) -> T {
    x_over_expm1((v + 55.0) / -10.0) * 0.1
}
/// `β_n = 0.125·exp(−(V + 65)/80)`.
#[inline(always)]
pub fn n_beta<T: Real>(v: T) -> T {
    ((v + 65.0) / -80.0).exp() * 0.125
}

impl<R: Clone> HhParams<R> {
    /// The same parameters in another number type.
    pub fn cast<T: From<R>>(&self) -> HhParams<T> {
        HhParams {
            e_na: T::from(self.e_na.clone()),
            g_na: T::from(self.g_na.clone()),
            e_k: T::from(self.e_k.clone()),
            g_k: T::from(self.g_k.clone()),
            e_l: T::from(self.e_l.clone()),
            g_l: T::from(self.g_l.clone()),
            v_th: T::from(self.v_th.clone()),
            c: T::from(self.c.clone()),
        }
    }
}

/// `dV/dt = (−gNa m³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I)/C`.
#[inline(always)]
pub fn hh_dv<T: Real>(v: T, m: T, h: T, n: T, i: T, p: &HhParams<T>) -> T {
    let i_na = p.g_na.clone() * m.powi(3) * h * (v.clone() - p.e_na.clone());
    let i_k = p.g_k.clone() * n.powi(4) * (v.clone() - p.e_k.clone());
    let i_l = p.g_l.clone() * (v - p.e_l.clone());
    (-i_na - i_k - i_l + i) / p.c.clone()
}

/// `dx/dt = α(1 − x) − β x` for a gate with rates `alpha`, `beta`.
#[inline(always)]
pub fn hh_dgate<T: Real>(x: T, alpha: T, beta: T) -> T {
    alpha * x.clone().rsub(1.0) - beta * x
}

/// The HH equations as an ODE system of (V, m, h, n).
struct HhOde<R> {
    p: HhParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for HhOde<R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        4
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let v = x[0].clone();
        match k {
            0 => hh_dv(
                v,
                x[1].clone(),
                x[2].clone(),
                x[3].clone(),
                T::from(self.i.clone()),
                &self.p.cast(),
            ),
            1 => hh_dgate(x[1].clone(), m_alpha(v.clone()), m_beta(v)),
            2 => hh_dgate(x[2].clone(), h_alpha(v.clone()), h_beta(v)),
            _ => hh_dgate(x[3].clone(), n_alpha(v.clone()), n_beta(v)),
        }
    }
}

/// The classic Hodgkin–Huxley neuron (BrainPy `bp.neurons.HH` = `bp.dyn.HHLTC`, 2.4.6).
///
/// **Equations** (V in mV, t in ms, `I` the accumulated `input` in µA/cm²):
///
/// `C dV/dt = −gNa m³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I`,
/// `dx/dt = α_x(1 − x) − β_x x` for x ∈ {m, h, n}, with
/// `α_m = 0.1(V + 40)/(1 − exp(−(V + 40)/10))`, `β_m = 4 exp(−(V + 65)/18)`,
/// `α_h = 0.07 exp(−(V + 65)/20)`, `β_h = 1/(1 + exp(−(V + 35)/10))`,
/// `α_n = 0.01(V + 55)/(1 − exp(−(V + 55)/10))`, `β_n = 0.125 exp(−(V + 65)/80)` — the
/// `INa_HH1952`/`IK_HH1952` rates at `V_sh = −45`. The removable singularities of α_m
/// (V = −40) and α_n (V = −55) are guarded.
///
/// It stands alone (one joint system, BrainPy's structure and state names `m`, `h`, `n`)
/// rather than being a [`CondNeuGroup`](super::CondNeuGroup) with channels; a CondNeuGroup
/// with `INa_HH1952`, `IK_HH1952 { E: −77, g_max: 36 }` and `IL { E: −54.387, g_max: 0.03 }`
/// and `V_th = 20` integrates the same equations in the same (Jacobi) order: V from the old
/// gates, gates from the old V.
///
/// **Discrete update** (step k, `t = k·dt`): (V, m, h, n) advance as one joint system with the
/// group's method, every variable from the start-of-step values (exp_auto per variable, as
/// BrainPy's `JointEq`); with noise `V⁺ += σ√dt·ξ`. Spike: `V_old < V_th ≤ V⁺` — bool in
/// NonBatching/Batching, a float with the two-input crossing surrogate (`inv_square_grad2`,
/// α = 100) in Training. No reset. (BrainPy writes `m ** 3.0` with a float exponent, i.e.
/// `pow`; brainburn multiplies, `m·m²`: the values agree to rounding.)
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `ENa` | mV | 50 |
/// | `gNa` | mS/cm² | 120 |
/// | `EK` | mV | −77 |
/// | `gK` | mS/cm² | 36 |
/// | `EL` | mV | −54.387 |
/// | `gL` | mS/cm² | 0.03 |
/// | `V_th` | mV | 20 |
/// | `C` | µF/cm² | 1 |
/// | `V_initializer` | mV | Uniform(−70, −60), seeded |
/// | `m/h/n_initializer` | — | steady state at V₀ |
///
/// States: `V`, `m`, `h`, `n`, `input`, `spike`; gates given no initializer return to their
/// steady state at the new V on every `reset_state`.
///
/// Reference: Hodgkin & Huxley, J Physiol 117:500 (1952); BrainPy 2.4.6
/// `brainpy/_src/dyn/neurons/hh.py::HHLTC`.
#[derive(Clone, Debug)]
pub struct HhModel {
    method: Method,
    surrogate: TwoInputSurrogate,
    /// Which of m, h, n start at their steady state.
    derived: [bool; 3],
}

/// A group of classic HH neurons ([`HhModel`]), BrainPy's `HH`.
pub type Hh = NeuGroup<HhModel>;

impl NeuronModel for HhModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "HH";
    type Config = HhConfig;
    type Params<R> = HhParams<R>;
    type State<R> = HhState<R>;

    fn build(cfg: &HhConfig) -> Result<ModelParts<Self>> {
        let gate = |init: &Option<Initializer>| match init {
            Some(i) => StateStart::Init(i.clone()),
            None => StateStart::Derived,
        };
        Ok(ModelParts {
            model: HhModel {
                method: cfg.method,
                surrogate: cfg.surrogate.clone(),
                derived: [
                    cfg.m_initializer.is_none(),
                    cfg.h_initializer.is_none(),
                    cfg.n_initializer.is_none(),
                ],
            },
            params: cfg.params(),
            states: HhState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                m: gate(&cfg.m_initializer),
                h: gate(&cfg.h_initializer),
                n: gate(&cfg.n_initializer),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &HhParams<R>,
        s: &mut HhState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = HhOde {
            p: p.clone(),
            i: input,
        };
        let x = [s.v.clone(), s.m.clone(), s.h.clone(), s.n.clone()];
        let [v, m, h, n] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v = match cx.noise() {
            Some(x) => v + x,
            None => v,
        };
        let spike = crossing_spike(&s.v, &v, &p.v_th, cx, &self.surrogate);
        *s = HhState { v, m, h, n };
        spike
    }

    /// float32 `exp_auto` on the fused engine's lanes runs [`hh_exp_auto_f32`] (shared
    /// exponentials); everything else the generic step.
    #[inline(always)]
    fn step_lanes<L: Lanes, C: StepCx<L>>(
        &self,
        p: &HhParams<L>,
        s: &mut HhState<L>,
        input: L,
        cx: &mut C,
    ) -> Spike<L> {
        if !(L::SINGLE && self.method == Method::ExpAuto) {
            return self.step(p, s, input, cx);
        }
        let (v, m, h, n) = hh_exp_auto_f32(s.v, s.m, s.h, s.n, input, p, p.c.recip(), cx.dt());
        let v = match cx.noise() {
            Some(x) => v + x,
            None => v,
        };
        let spike = crossing_spike(&s.v, &v, &p.v_th, cx, &self.surrogate);
        *s = HhState { v, m, h, n };
        spike
    }

    /// Gates given no initializer start at their steady state `α/(α + β)` at the initial V
    /// (derived states are zero until this runs, and this runs after every reset).
    fn init_derived<R: Num>(&self, _p: &HhParams<R>, s: &mut HhState<R>) {
        let v = s.v.clone();
        let steady = [
            markov_steady(m_alpha(v.clone()), m_beta(v.clone())),
            markov_steady(h_alpha(v.clone()), h_beta(v.clone())),
            markov_steady(n_alpha(v.clone()), n_beta(v)),
        ];
        for (k, x) in steady.into_iter().enumerate() {
            let slot = s.field_mut(k + 1);
            if self.derived[k] {
                *slot = x;
            }
        }
    }
}

/// The documented float32 override of [`HhModel`]'s `exp_auto` step on the fused engine's
/// lanes: the V equation uses the gate *states*, so `∂(dV/dt)/∂V = −(gNa m³h + gK n⁴ + gL)/C`
/// and every gate's `∂f/∂x = −(α + β)` need no derivative of a rate; the rates share
/// `e^{−(V+40)/10}` (`e^{−(V+35)/10}` and `e^{−(V+55)/10}` are it times `e^{0.5}` and
/// `e^{−1.5}`): four exponentials per step instead of the generic step's six (measured: the
/// generic step is ~1.4× slower, `docs/benchmarks.md`). Same equations, not a second model:
/// checked against the composed path in `tests/cases/fused.rs` and against the generic step
/// below. `inv_c` is `1/C`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn hh_exp_auto_f32<L: Lanes>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fused::lanes::F32x8;
    use crate::model::Fields;

    /// The float32 lane override ([`hh_exp_auto_f32`]) is the generic `exp_auto` step of the
    /// same equations: over V from −100 to 60 mV, V, m, h and n agree within 1e-5 relative
    /// (floors 1 mV, 1e-3): a few ulp from the shared exponential and the reciprocals.
    #[test]
    fn float32_override_equals_the_generic_step() {
        let model = HhModel::build(&HhConfig::default()).expect("defaults");
        let p = HhParams::<F32x8>::from_fn(|k| {
            F32x8::cst(model.params.field(k).as_scalar().expect("scalar default"))
        });
        let mut worst = 0.0f64;
        for k in 0..400 {
            let v = F32x8::cst(-100.0 + k as f64 * 0.4);
            let (m, h, n, i) = (
                F32x8::cst(0.05),
                F32x8::cst(0.6),
                F32x8::cst(0.32),
                F32x8::cst(3.0),
            );
            let sys = HhOde { p: p.clone(), i };
            let [gv, gm, gh, gn] = integrate_array(&sys, Method::ExpAuto, [v, m, h, n], 0.0, 0.01);
            let (ov, om, oh, on) = hh_exp_auto_f32(v, m, h, n, i, &p, p.c.recip(), 0.01);
            for (a, b, floor) in [
                (ov, gv, 1.0),
                (om, gm, 1e-3),
                (oh, gh, 1e-3),
                (on, gn, 1e-3),
            ] {
                let (a, b) = (a.lane(0) as f64, b.lane(0) as f64);
                worst = worst.max((a - b).abs() / b.abs().max(floor));
            }
        }
        eprintln!("override vs generic, worst relative difference: {worst:e}");
        assert!(worst < 1e-5, "override vs generic: {worst:e}");
    }
    use crate::channel::{IKHH1952, INaHH1952};

    /// The HH rates are the HH1952 channels' at V_sh = −45 (to rounding of the shift).
    #[test]
    fn rates_equal_hh1952_channels_at_default_shift() {
        for v in [-90.0f64, -65.0, -55.0, -40.0, -12.5, 30.0] {
            let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-12;
            assert!(close(m_alpha(v), INaHH1952::f_p_alpha(v, -45.0)), "{v}");
            assert!(close(m_beta(v), INaHH1952::f_p_beta(v, -45.0)), "{v}");
            assert!(close(h_alpha(v), INaHH1952::f_q_alpha(v, -45.0)), "{v}");
            assert!(close(h_beta(v), INaHH1952::f_q_beta(v, -45.0)), "{v}");
            assert!(close(n_alpha(v), IKHH1952::f_p_alpha(v, -45.0)), "{v}");
            assert!(close(n_beta(v), IKHH1952::f_p_beta(v, -45.0)), "{v}");
        }
        assert_eq!(m_alpha(-40.0f64), 1.0);
        assert_eq!(n_alpha(-55.0f64), 0.1);
    }
}
