//! Adaptive exponential integrate-and-fire neuron (BrainPy's legacy `bp.neurons.AdExIF`).

use std::sync::Arc;

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::{Surrogate, SurrogateFunction};

use super::SpikeReset;
use super::if_fire::{IfSpiking, fire};

crate::model_config! {
    /// Configuration of an [`AdExIf`] group; `Default` gives BrainPy's defaults.
    pub struct AdExIfConfig;
    /// The parameters of [`AdExIfModel`], in any number type.
    pub struct AdExIfParams {
        /// Resting potential `V_rest` (mV). Default −65.
        v_rest: "V_rest" = -65.0, Any;
        /// Reset potential `V_reset` (mV). Default −68.
        v_reset: "V_reset" = -68.0, Any;
        /// Spike cut-off `V_th` (mV). Default −55.
        v_th: "V_th" = -55.0, Any;
        /// Threshold of the exponential `V_T` (mV). Default −59.9.
        v_t: "V_T" = -59.9, Any;
        /// Slope factor `delta_T` (mV). Default 3.48.
        delta_t: "delta_T" = 3.48, Positive;
        /// Subthreshold adaptation `a`. Default 1.
        a: "a" = 1.0, Any;
        /// Spike-triggered adaptation `b`. Default 1.
        b: "b" = 1.0, Any;
        /// Membrane time constant `tau` (ms). Default 10.
        tau: "tau" = 10.0, Positive;
        /// Adaptation time constant `tau_w` (ms). Default 30.
        tau_w: "tau_w" = 30.0, Positive;
        /// Membrane resistance `R`. Default 1.
        r: "R" = 1.0, Any;
        /// Refractory period `tau_ref` (ms). Default 0.
        tau_ref: "tau_ref" = 0.0, NonNegative;
    }
    options {
        /// Initial membrane potential. Default 0 (BrainPy's `ZeroInit`, above `V_th`: every
        /// neuron spikes on the first step).
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::Zero;
        /// Initial adaptation current. Default 0.
        #[serde(alias = "w_initializer")]
        w_initializer: Initializer = Initializer::Zero;
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method. Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// Surrogate of the spike in Training mode. Default `InvSquareGrad(alpha=100)`.
        surrogate: Surrogate = Surrogate::inv_square_grad();
        /// Smooth forward spike in Training mode (BrainPy's `forward_use_surrogate`).
        forward_use_surrogate: bool = false;
        /// Reset rule in Training mode. Default soft.
        spk_reset: SpikeReset = SpikeReset::Soft;
        /// Detach the spike in the reset (BrainPy's `detach_spk`). Default false.
        detach_spk: bool = false;
        /// A user surrogate replacing `surrogate` (not serialisable).
        #[serde(skip)]
        custom_surrogate: Option<Arc<dyn SurrogateFunction>> = None;
    }
}

crate::model_states! {
    /// The states of [`AdExIfModel`] (besides `input` and `spike`).
    pub struct AdExIfState {
        /// Membrane potential (mV).
        v: "V",
        /// Adaptation current.
        w: "w",
        /// Time of the last spike (ms; −1e8 at reset, as BrainPy's `AdExIFRef`).
        t_last_spike: "t_last_spike",
    }
}

/// `τ dV/dt = −(V − V_rest) + Δ_T·exp((V − V_T)/Δ_T) − R·w + R·I`,
/// `τ_w dw/dt = a(V − V_rest) − w`.
struct AdExIfOde<'a, R> {
    p: &'a AdExIfParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for AdExIfOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, w, p) = (x[0].clone(), x[1].clone(), self.p);
        if k == 0 {
            let exp_v = ((v.clone() - c(&p.v_t)) / c(&p.delta_t)).exp() * c(&p.delta_t);
            (-v + c(&p.v_rest) + exp_v - c(&p.r) * w + c(&p.r) * c(&self.i)) / c(&p.tau)
        } else {
            (c(&p.a) * (v - c(&p.v_rest)) - w) / c(&p.tau_w)
        }
    }
}

/// Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005), BrainPy
/// `bp.neurons.AdExIF` (2.4.6: `AdExIFRef` with an `input` state).
///
/// **Equations**: `τ dV/dt = −(V − V_rest) + Δ_T·e^{(V − V_T)/Δ_T} − R·w + R·I`,
/// `τ_w dw/dt = a(V − V_rest) − w`, `I` the accumulated `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `(V*, w*) = method(V, w, I)` (exp_auto: each
/// variable from the old values of both; plus `σ√dt·ξ` on V with noise); refractory neurons
/// (`t − t_last_spike ≤ tau_ref`) keep their old V while w integrates.
/// * NonBatching/Batching: `spike = V* ≥ V_th`; there `V = V_reset`, `w = w* + b`,
///   `t_last_spike = t`.
/// * Training: `spike = surrogate(V* − V_th)`; soft (default) or hard reset of V as in
///   [`super::ExpIfModel`]; `w = w* + b·spike` (the spike detached when `detach_spk`).
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest` | mV | −65 |
/// | `V_reset` | mV | −68 |
/// | `V_th` | mV | −55 |
/// | `V_T` | mV | −59.9 |
/// | `delta_T` | mV | 3.48 |
/// | `a` | — | 1 |
/// | `b` | — | 1 |
/// | `tau` | ms | 10 |
/// | `tau_w` | ms | 30 |
/// | `R` | — | 1 |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer` | mV | 0 |
/// | `w_initializer` | — | 0 |
///
/// States: `V`, `w`, `input`, `spike`, `t_last_spike` (−1e8 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/lif.py::AdExIFRefLTC`; oracle
/// `tests/data/oracle_zoo/adexif_*` (docs/zoo-reference.md). BrainPy's legacy wrapper puts its
/// `noise` on both V and w; brainburn adds it to V only.
#[derive(Clone, Debug)]
pub struct AdExIfModel {
    method: Method,
    spiking: IfSpiking,
}

/// A group of exponential IF neurons ([`AdExIfModel`]).
pub type AdExIf = NeuGroup<AdExIfModel>;

impl NeuronModel for AdExIfModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "AdExIF";
    type Config = AdExIfConfig;
    type Params<R> = AdExIfParams<R>;
    type State<R> = AdExIfState<R>;

    fn build(cfg: &AdExIfConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: AdExIfModel {
                method: cfg.method,
                spiking: IfSpiking::new(
                    &cfg.surrogate,
                    &cfg.custom_surrogate,
                    cfg.forward_use_surrogate,
                    cfg.spk_reset,
                    cfg.detach_spk,
                ),
            },
            params: cfg.params(),
            states: AdExIfState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                w: StateStart::Init(cfg.w_initializer.clone()),
                t_last_spike: StateStart::Init(Initializer::constant(-1e8)),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &AdExIfParams<R>,
        s: &mut AdExIfState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = AdExIfOde { p, i: input };
        let x = [s.v.clone(), s.w.clone()];
        let [v_new, w_new] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v_new = match cx.noise() {
            Some(n) => v_new + n,
            None => v_new,
        };
        let f = fire(
            &self.spiking,
            s.v.clone(),
            v_new,
            s.t_last_spike.clone(),
            &p.v_th,
            &p.v_reset,
            &p.tau_ref,
            cx,
        );
        s.v = f.v;
        s.w = f.fired.add(w_new, p.b.clone());
        s.t_last_spike = f.t_last_spike;
        f.spike
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StepTime;
    use crate::model::Fields;
    use crate::prelude::*;
    use crate::tensor_io::to_f64_vec;

    /// One exp_auto step by hand (V and w each from the old values) and the spike's w jump.
    #[test]
    fn one_step_is_exp_auto_of_the_equations_and_a_spike_adds_b() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = AdExIfConfig {
            v_initializer: Initializer::constant(-60.0),
            w_initializer: Initializer::constant(0.5),
            ..Default::default()
        };
        let mut g = AdExIf::new(1, cfg, &c, Mode::NonBatching).expect("group");
        let (dt, i) = (0.1, 12.0);
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i], [1, 1])))
            .expect("step");
        let (v0, w0, vr, vt, d, tau, tau_w) = (-60.0f64, 0.5, -65.0, -59.9, 3.48, 10.0, 30.0);
        let e = ((v0 - vt) / d).exp();
        let f = (-(v0 - vr) + d * e - w0 + i) / tau;
        let a = (-1.0 + e) / tau;
        let v = v0 + dt * (dt * a).exp_m1() / (dt * a) * f;
        let fw = ((v0 - vr) - w0) / tau_w;
        let aw = -1.0 / tau_w;
        let w = w0 + dt * (dt * aw).exp_m1() / (dt * aw) * fw;
        let st = g.states();
        assert!((to_f64_vec(st.f("V")).expect("V")[0] - v).abs() < 1e-12);
        assert!((to_f64_vec(st.f("w")).expect("w")[0] - w).abs() < 1e-12);
        // The default V0 = 0 spikes on the first step: V = V_reset, w = w* + b.
        let mut g = AdExIf::new(1, AdExIfConfig::default(), &c, Mode::NonBatching).expect("g");
        g.step_with(&StepTime::new(0, dt), None).expect("step");
        let st = g.states();
        assert_eq!(to_f64_vec(st.f("V")).expect("V"), vec![-68.0]);
        let fw = (65.0 - 0.0) / tau_w;
        let w = dt * (dt * aw).exp_m1() / (dt * aw) * fw + 1.0;
        assert!((to_f64_vec(st.f("w")).expect("w")[0] - w).abs() < 1e-12);
    }

    #[test]
    fn keys_are_brainpys() {
        assert_eq!(
            <AdExIfParams<f64> as Fields<f64>>::KEYS,
            &[
                "V_rest", "V_reset", "V_th", "V_T", "delta_T", "a", "b", "tau", "tau_w", "R",
                "tau_ref"
            ]
        );
        assert_eq!(
            <AdExIfState<f64> as Fields<f64>>::KEYS,
            &["V", "w", "t_last_spike"]
        );
    }
}
