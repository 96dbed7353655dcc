//! Morris–Lecar neuron (BrainPy's legacy `bp.neurons.MorrisLecar`).

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::TwoInputSurrogate;

use super::wang_buzsaki::crossing_spike;

crate::model_config! {
    /// Configuration of a [`MorrisLecar`] group; `Default` gives BrainPy's defaults.
    pub struct MorrisLecarConfig;
    /// The parameters of [`MorrisLecarModel`], in any number type.
    pub struct MorrisLecarParams {
        /// Calcium reversal potential `V_Ca` (mV). Default 130.
        v_ca: "V_Ca" = 130.0, Any;
        /// Calcium conductance `g_Ca` (mS/cm²). Default 4.4.
        g_ca: "g_Ca" = 4.4, NonNegative;
        /// Potassium reversal potential `V_K` (mV). Default −84.
        v_k: "V_K" = -84.0, Any;
        /// Potassium conductance `g_K` (mS/cm²). Default 8.
        g_k: "g_K" = 8.0, NonNegative;
        /// Leak reversal potential `V_leak` (mV). Default −60.
        v_leak: "V_leak" = -60.0, Any;
        /// Leak conductance `g_leak` (mS/cm²). Default 2.
        g_leak: "g_leak" = 2.0, NonNegative;
        /// Membrane capacitance `C` (µF/cm²). Default 20.
        c: "C" = 20.0, Positive;
        /// Half-activation of M∞ `V1` (mV). Default −1.2.
        v1: "V1" = -1.2, Any;
        /// Slope of M∞ `V2` (mV). Default 18.
        v2: "V2" = 18.0, Any;
        /// Half-activation of W∞ `V3` (mV). Default 2.
        v3: "V3" = 2.0, Any;
        /// Slope of W∞ `V4` (mV). Default 30.
        v4: "V4" = 30.0, Any;
        /// Rate scale of W `phi` (1/ms). Default 0.04.
        phi: "phi" = 0.04, Positive;
        /// Spike threshold `V_th` (mV; an upward crossing counts). Default 10.
        v_th: "V_th" = 10.0, Any;
    }
    options {
        /// Initial membrane potential. BrainPy's default is a random `Uniform(−70, −60)`; here
        /// the same law with seed 0.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::uniform(-70.0, -60.0, 0);
        /// Initial recovery variable. Default 0.02.
        #[serde(alias = "W_initializer")]
        w_initializer: Initializer = Initializer::constant(0.02);
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method. Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// Crossing surrogate of the spike in Training mode (BrainPy has no Training mode for
        /// this model). Default `inv_square_grad2(100)`.
        surrogate: TwoInputSurrogate = TwoInputSurrogate::default();
    }
}

crate::model_states! {
    /// The states of [`MorrisLecarModel`] (besides `input` and `spike`).
    pub struct MorrisLecarState {
        /// Membrane potential (mV).
        v: "V",
        /// Potassium activation.
        w: "W",
    }
}

/// `tanh(x) = 1 − 2/(e^{2x} + 1)` (exact at ±∞).
#[inline(always)]
fn tanh<T: Num>(x: T) -> T {
    -(((x * 2.0).exp() + 1.0).recip() * 2.0) + 1.0
}

/// `cosh(x) = (eˣ + e⁻ˣ)/2`.
#[inline(always)]
fn cosh<T: Num>(x: T) -> T {
    (x.clone().exp() + (-x).exp()) * 0.5
}

/// `C dV/dt = −g_Ca·M∞(V − V_Ca) − g_K·W(V − V_K) − g_leak(V − V_leak) + I`,
/// `dW/dt = (W∞ − W)/τ_W`, `M∞ = ½(1 + tanh((V − V1)/V2))`, `W∞ = ½(1 + tanh((V − V3)/V4))`,
/// `τ_W = 1/(φ·cosh((V − V3)/(2·V4)))`.
struct MorrisLecarOde<'a, R> {
    p: &'a MorrisLecarParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for MorrisLecarOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, w, p) = (x[0].clone(), x[1].clone(), self.p);
        if k == 0 {
            let m_inf = (tanh((v.clone() - c(&p.v1)) / c(&p.v2)) + 1.0) * 0.5;
            let i_ca = c(&p.g_ca) * m_inf * (v.clone() - c(&p.v_ca));
            let i_k = c(&p.g_k) * w * (v.clone() - c(&p.v_k));
            let i_leak = c(&p.g_leak) * (v - c(&p.v_leak));
            (-i_ca - i_k - i_leak + c(&self.i)) / c(&p.c)
        } else {
            let tau_w = (c(&p.phi) * cosh((v.clone() - c(&p.v3)) / (c(&p.v4) * 2.0))).recip();
            let w_inf = (tanh((v - c(&p.v3)) / c(&p.v4)) + 1.0) * 0.5;
            (w_inf - w) / tau_w
        }
    }
}

/// Morris–Lecar neuron (Morris & Lecar 1981), BrainPy `bp.neurons.MorrisLecar` (2.4.6).
///
/// **Equations** (mV, ms, µA/cm²): `C dV/dt = −g_Ca·M∞(V)(V − V_Ca) − g_K·W(V − V_K)
/// − g_leak(V − V_leak) + I`, `dW/dt = (W∞(V) − W)/τ_W(V)`, `M∞ = ½(1 + tanh((V − V1)/V2))`,
/// `W∞ = ½(1 + tanh((V − V3)/V4))`, `τ_W = 1/(φ·cosh((V − V3)/(2V4)))`, `I` the accumulated
/// `input`.
///
/// **Discrete update** (step k): `(V, W) = method(V, W, I)` (exp_auto: each variable from the
/// old values of both; plus `σ√dt·ξ` on V with noise). No reset.
/// * NonBatching/Batching: `spike = V_old < V_th ≤ V` (upward crossing).
/// * Training (brainburn only; BrainPy's MorrisLecar has NonBatching and Batching modes): the
///   same crossing as a float spike with the two-input surrogate.
///
/// `tanh` and `cosh` are written with `exp` (every execution has it), so their last bits
/// differ from XLA's.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_Ca`, `g_Ca` | mV, mS/cm² | 130, 4.4 |
/// | `V_K`, `g_K` | mV, mS/cm² | −84, 8 |
/// | `V_leak`, `g_leak` | mV, mS/cm² | −60, 2 |
/// | `C` | µF/cm² | 20 |
/// | `V1`, `V2`, `V3`, `V4` | mV | −1.2, 18, 2, 30 |
/// | `phi` | 1/ms | 0.04 |
/// | `V_th` | mV | 10 |
/// | `V_initializer` | mV | Uniform(−70, −60) (seed 0) |
/// | `W_initializer` | — | 0.02 |
///
/// States: `V`, `W`, `input`, `spike`.
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/hh.py::MorrisLecar`; oracle
/// `tests/data/oracle_zoo/morrislecar_*`. BrainPy's `noise` goes on V and W; brainburn adds it
/// to V only.
#[derive(Clone, Debug)]
pub struct MorrisLecarModel {
    method: Method,
    surrogate: TwoInputSurrogate,
}

/// A group of Morris–Lecar neurons ([`MorrisLecarModel`]).
pub type MorrisLecar = NeuGroup<MorrisLecarModel>;

impl NeuronModel for MorrisLecarModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "MorrisLecar";
    type Config = MorrisLecarConfig;
    type Params<R> = MorrisLecarParams<R>;
    type State<R> = MorrisLecarState<R>;

    fn build(cfg: &MorrisLecarConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: MorrisLecarModel {
                method: cfg.method,
                surrogate: cfg.surrogate.clone(),
            },
            params: cfg.params(),
            states: MorrisLecarState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                w: StateStart::Init(cfg.w_initializer.clone()),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &MorrisLecarParams<R>,
        s: &mut MorrisLecarState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = MorrisLecarOde { p, i: input };
        let x = [s.v.clone(), s.w.clone()];
        let [v, w] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v = match cx.noise() {
            Some(n) => v + n,
            None => v,
        };
        let spike = crossing_spike(&s.v, &v, &p.v_th, cx, &self.surrogate);
        *s = MorrisLecarState { v, w };
        spike
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StepTime;
    use crate::model::Fields;
    use crate::prelude::*;
    use crate::tensor_io::to_f64_vec;

    #[test]
    fn tanh_and_cosh_match_the_library_functions() {
        for x in [-30.0f64, -2.0, -0.3, 0.0, 1e-3, 0.7, 5.0, 400.0] {
            assert!((tanh(x) - x.tanh()).abs() < 1e-15, "tanh {x}");
            if x.abs() < 50.0 {
                assert!((cosh(x) - x.cosh()).abs() < 1e-14 * x.cosh(), "cosh {x}");
            }
        }
    }

    /// One exp_auto step by hand with f64's own tanh/cosh (A by central differences).
    #[test]
    fn one_step_is_exp_auto_of_the_equations() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = MorrisLecarConfig {
            v_initializer: Initializer::constant(-40.0),
            w_initializer: Initializer::constant(0.1),
            ..Default::default()
        };
        let mut g = MorrisLecar::new(1, cfg, &c, Mode::NonBatching).expect("group");
        let (dt, i) = (0.1, 80.0);
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i], [1, 1])))
            .expect("step");
        let fv = |v: f64, w: f64| {
            let m = 0.5 * (1.0 + ((v + 1.2) / 18.0).tanh());
            (-4.4 * m * (v - 130.0) - 8.0 * w * (v + 84.0) - 2.0 * (v + 60.0) + i) / 20.0
        };
        let fw = |v: f64, w: f64| {
            let winf = 0.5 * (1.0 + ((v - 2.0) / 30.0).tanh());
            (winf - w) * 0.04 * ((v - 2.0) / 60.0).cosh()
        };
        let (v0, w0, h) = (-40.0f64, 0.1f64, 1e-6);
        let av = (fv(v0 + h, w0) - fv(v0 - h, w0)) / (2.0 * h);
        let aw = (fw(v0, w0 + h) - fw(v0, w0 - h)) / (2.0 * h);
        let ea = |x: f64, f: f64, a: f64| x + dt * (dt * a).exp_m1() / (dt * a) * f;
        let st = g.states();
        let v = to_f64_vec(st.f("V")).expect("V")[0];
        let w = to_f64_vec(st.f("W")).expect("W")[0];
        assert!((v - ea(v0, fv(v0, w0), av)).abs() < 1e-9, "V {v}");
        assert!((w - ea(w0, fw(v0, w0), aw)).abs() < 1e-12, "W {w}");
        assert_eq!(<MorrisLecarState<f64> as Fields<f64>>::KEYS, &["V", "W"]);
    }
}
