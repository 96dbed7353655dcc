//! Exponential integrate-and-fire neuron (BrainPy's legacy `bp.neurons.ExpIF`).

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
    /// Configuration of an [`ExpIf`] group; `Default` gives BrainPy's defaults.
    pub struct ExpIfConfig;
    /// The parameters of [`ExpIfModel`], in any number type.
    pub struct ExpIfParams {
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
        /// Membrane resistance `R`. Default 1.
        r: "R" = 1.0, Any;
        /// Membrane time constant `tau` (ms). Default 10.
        tau: "tau" = 10.0, Positive;
        /// Refractory period `tau_ref` (ms). Default 0.
        tau_ref: "tau_ref" = 0.0, NonNegative;
    }
    options {
        /// Initial membrane potential. Default 0 (BrainPy's `ZeroInit`, above `V_th`: every
        /// neuron spikes on the first step).
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::Zero;
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
    /// The states of [`ExpIfModel`] (besides `input` and `spike`).
    pub struct ExpIfState {
        /// Membrane potential (mV).
        v: "V",
        /// Time of the last spike (ms; −1e7 at reset).
        t_last_spike: "t_last_spike",
    }
}

/// `τ dV/dt = −(V − V_rest) + Δ_T·exp((V − V_T)/Δ_T) + R·I`.
struct ExpIfOde<'a, R> {
    p: &'a ExpIfParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for ExpIfOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, _k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, p) = (x[0].clone(), self.p);
        let exp_v = ((v.clone() - c(&p.v_t)) / c(&p.delta_t)).exp() * c(&p.delta_t);
        (-(v - c(&p.v_rest)) + exp_v + c(&p.r) * c(&self.i)) / c(&p.tau)
    }
}

/// Exponential integrate-and-fire neuron (Fourcaud-Trocmé et al. 2003), BrainPy
/// `bp.neurons.ExpIF` (2.4.6: `ExpIFRef` with an `input` state).
///
/// **Equation**: `τ dV/dt = −(V − V_rest) + Δ_T·e^{(V − V_T)/Δ_T} + R·I`, `I` the accumulated
/// `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `V* = method(V, I)` (plus `σ√dt·ξ` with noise);
/// refractory neurons (`t − t_last_spike ≤ tau_ref`) keep their old V.
/// * NonBatching/Batching: `spike = V* ≥ V_th` (bool); `V = V_reset`, `t_last_spike = t` there.
/// * Training: `spike = surrogate(V* − V_th)`; soft reset `V = V* − (V_th − V_reset)·spike`
///   (default) or hard `V = V* + (V_reset − V*)·spike`.
///
/// With BrainPy's default `V0 = 0` the exponential overflows `exp_auto`'s factor on the first
/// step; `V*` is then huge (or infinite), crosses `V_th` and is reset, as in BrainPy.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest` | mV | −65 |
/// | `V_reset` | mV | −68 |
/// | `V_th` | mV | −55 |
/// | `V_T` | mV | −59.9 |
/// | `delta_T` | mV | 3.48 |
/// | `R` | — | 1 |
/// | `tau` | ms | 10 |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer` | mV | 0 |
///
/// States: `V`, `input`, `spike`, `t_last_spike` (−1e7 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/lif.py::ExpIFRefLTC`; oracle
/// `tests/data/oracle_zoo/expif_*` (docs/zoo-reference.md).
#[derive(Clone, Debug)]
pub struct ExpIfModel {
    method: Method,
    spiking: IfSpiking,
}

/// A group of exponential IF neurons ([`ExpIfModel`]).
pub type ExpIf = NeuGroup<ExpIfModel>;

impl NeuronModel for ExpIfModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "ExpIF";
    type Config = ExpIfConfig;
    type Params<R> = ExpIfParams<R>;
    type State<R> = ExpIfState<R>;

    fn build(cfg: &ExpIfConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: ExpIfModel {
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
            states: ExpIfState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                t_last_spike: StateStart::Init(Initializer::constant(-1e7)),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &ExpIfParams<R>,
        s: &mut ExpIfState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = ExpIfOde { p, i: input };
        let [v_new] = integrate_array(&sys, self.method, [s.v.clone()], cx.t(), cx.dt());
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

    /// One exp_auto step by hand: `A = (−1 + e^{(V−V_T)/Δ_T})/τ`, `V⁺ = V + dt·φ(dt·A)·f`.
    #[test]
    fn one_step_is_exp_auto_of_the_equation_and_fires_at_v_th() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = ExpIfConfig {
            v_initializer: Initializer::constant(-60.0),
            ..Default::default()
        };
        let mut g = ExpIf::new(2, cfg, &c, Mode::NonBatching).expect("group");
        let (dt, i) = (0.1, 12.0);
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i, 0.0], [1, 2])))
            .expect("step");
        let v = to_f64_vec(g.v().expect("V")).expect("read");
        let (vr, vt, d, tau) = (-65.0, -59.9, 3.48, 10.0);
        for (j, i) in [(0, i), (1, 0.0)] {
            let v0 = -60.0f64;
            let e = ((v0 - vt) / d).exp();
            let f = (-(v0 - vr) + d * e + i) / tau;
            let a = (-1.0 + e) / tau;
            let want = v0 + dt * (dt * a).exp_m1() / (dt * a) * f;
            assert!(
                (v[j] - want).abs() < 1e-12,
                "neuron {j}: {} vs {want}",
                v[j]
            );
        }
        // V0 = 0 (the default) crosses V_th on the first step and is reset to V_reset.
        let mut g = ExpIf::new(1, ExpIfConfig::default(), &c, Mode::NonBatching).expect("group");
        g.step_with(&StepTime::new(0, dt), None).expect("step");
        assert_eq!(to_f64_vec(g.v().expect("V")).expect("read"), vec![-68.0]);
        let st = g.states();
        assert_eq!(to_f64_vec(st.f("t_last_spike")).expect("read"), vec![0.0]);
    }

    #[test]
    fn keys_are_brainpys() {
        assert_eq!(
            <ExpIfParams<f64> as Fields<f64>>::KEYS,
            &[
                "V_rest", "V_reset", "V_th", "V_T", "delta_T", "R", "tau", "tau_ref"
            ]
        );
        assert_eq!(
            <ExpIfState<f64> as Fields<f64>>::KEYS,
            &["V", "t_last_spike"]
        );
    }
}
