//! The classic Hodgkin–Huxley neuron (BrainPy's `bp.neurons.HH` / `bp.dyn.HHLTC`).

use super::wang_buzsaki::crossing_spike;
use crate::channel::markov_steady;
use crate::error::Result;
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

#[cfg(test)]
mod tests {
    use super::*;
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
