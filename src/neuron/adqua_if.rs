//! Adaptive quadratic integrate-and-fire neuron (BrainPy's legacy `bp.neurons.AdQuaIF`).

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
    /// Configuration of an [`AdQuaIf`] group; `Default` gives BrainPy's defaults.
    pub struct AdQuaIfConfig;
    /// The parameters of [`AdQuaIfModel`], in any number type.
    pub struct AdQuaIfParams {
        /// Resting potential `V_rest` (mV). Default −65.
        v_rest: "V_rest" = -65.0, Any;
        /// Reset potential `V_reset` (mV). Default −68.
        v_reset: "V_reset" = -68.0, Any;
        /// Spike cut-off `V_th` (mV). Default −30.
        v_th: "V_th" = -30.0, Any;
        /// Critical voltage `V_c` of spike initiation (mV). Default −50.
        v_c: "V_c" = -50.0, Any;
        /// Subthreshold adaptation `a`. Default 1.
        a: "a" = 1.0, Any;
        /// Spike-triggered adaptation `b`. Default 0.1.
        b: "b" = 0.1, Any;
        /// Coefficient `c` of the quadratic (1/mV). Default 0.07.
        c: "c" = 0.07, Any;
        /// Membrane time constant `tau` (ms). Default 10.
        tau: "tau" = 10.0, Positive;
        /// Adaptation time constant `tau_w` (ms). Default 10.
        tau_w: "tau_w" = 10.0, Positive;
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
    /// The states of [`AdQuaIfModel`] (besides `input` and `spike`).
    pub struct AdQuaIfState {
        /// Membrane potential (mV).
        v: "V",
        /// Adaptation current.
        w: "w",
        /// Time of the last spike (ms; −1e8 at reset, as BrainPy's `AdExIFRef`).
        t_last_spike: "t_last_spike",
    }
}

/// `τ dV/dt = c(V − V_rest)(V − V_c) − w + I`, `τ_w dw/dt = a(V − V_rest) − w`.
struct AdQuaIfOde<'a, R> {
    p: &'a AdQuaIfParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for AdQuaIfOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, w, p) = (x[0].clone(), x[1].clone(), self.p);
        if k == 0 {
            // BrainPy's operation order: ((c·(V − V_rest))·(V − V_c) − w + I)/τ.
            (c(&p.c) * (v.clone() - c(&p.v_rest)) * (v - c(&p.v_c)) - w + c(&self.i)) / c(&p.tau)
        } else {
            (c(&p.a) * (v - c(&p.v_rest)) - w) / c(&p.tau_w)
        }
    }
}

/// Adaptive quadratic integrate-and-fire neuron (Izhikevich 2007), BrainPy
/// `bp.neurons.AdQuaIF` (2.4.6: `AdQuaIFRef` with an `input` state).
///
/// **Equations**: `τ dV/dt = c(V − V_rest)(V − V_c) − w + I` (no `R`, as in BrainPy),
/// `τ_w dw/dt = a(V − V_rest) − w`, `I` the accumulated `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `(V*, w*) = method(V, w, I)` (exp_auto: each
/// variable from the old values of both; plus `σ√dt·ξ` on V with noise); refractory neurons
/// (`t − t_last_spike ≤ tau_ref`) keep their old V while w integrates.
/// * NonBatching/Batching: `spike = V* ≥ V_th`; there `V = V_reset`, `w = w* + b`,
///   `t_last_spike = t`.
/// * Training: `spike = surrogate(V* − V_th)`; soft (default) or hard reset of V;
///   `w = w* + b·spike` (the spike detached when `detach_spk`).
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest` | mV | −65 |
/// | `V_reset` | mV | −68 |
/// | `V_th` | mV | −30 |
/// | `V_c` | mV | −50 |
/// | `a` | — | 1 |
/// | `b` | — | 0.1 |
/// | `c` | 1/mV | 0.07 |
/// | `tau` | ms | 10 |
/// | `tau_w` | ms | 10 |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer` | mV | 0 |
/// | `w_initializer` | — | 0 |
///
/// States: `V`, `w`, `input`, `spike`, `t_last_spike` (−1e8 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/lif.py::AdQuaIFRefLTC`; oracle
/// `tests/data/oracle_zoo/adquaif_*` (docs/zoo-reference.md). BrainPy's legacy wrapper puts its
/// `noise` on both V and w; brainburn adds it to V only.
#[derive(Clone, Debug)]
pub struct AdQuaIfModel {
    method: Method,
    spiking: IfSpiking,
}

/// A group of exponential IF neurons ([`AdQuaIfModel`]).
pub type AdQuaIf = NeuGroup<AdQuaIfModel>;

impl NeuronModel for AdQuaIfModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "AdQuaIF";
    type Config = AdQuaIfConfig;
    type Params<R> = AdQuaIfParams<R>;
    type State<R> = AdQuaIfState<R>;

    fn build(cfg: &AdQuaIfConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: AdQuaIfModel {
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
            states: AdQuaIfState {
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
        p: &AdQuaIfParams<R>,
        s: &mut AdQuaIfState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = AdQuaIfOde { p, i: input };
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
        let cfg = AdQuaIfConfig {
            v_initializer: Initializer::constant(-60.0),
            w_initializer: Initializer::constant(0.5),
            ..Default::default()
        };
        let mut g = AdQuaIf::new(1, cfg, &c, Mode::NonBatching).expect("group");
        let (dt, i) = (0.1, 12.0);
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i], [1, 1])))
            .expect("step");
        let (v0, w0) = (-60.0f64, 0.5);
        let f = (0.07 * (v0 + 65.0) * (v0 + 50.0) - w0 + i) / 10.0;
        let a = 0.07 * (2.0 * v0 + 65.0 + 50.0) / 10.0;
        let v = v0 + dt * (dt * a).exp_m1() / (dt * a) * f;
        let fw = ((v0 + 65.0) - w0) / 10.0;
        let aw = -1.0 / 10.0;
        let w = w0 + dt * (dt * aw).exp_m1() / (dt * aw) * fw;
        let st = g.states();
        assert!((to_f64_vec(st.f("V")).expect("V")[0] - v).abs() < 1e-12);
        assert!((to_f64_vec(st.f("w")).expect("w")[0] - w).abs() < 1e-12);
        // The default V0 = 0 spikes on the first step: V = V_reset, w = w* + b.
        let mut g = AdQuaIf::new(1, AdQuaIfConfig::default(), &c, Mode::NonBatching).expect("g");
        g.step_with(&StepTime::new(0, dt), None).expect("step");
        let st = g.states();
        assert_eq!(to_f64_vec(st.f("V")).expect("V"), vec![-68.0]);
        let w = dt * (dt * aw).exp_m1() / (dt * aw) * (65.0 / 10.0) + 0.1;
        assert!((to_f64_vec(st.f("w")).expect("w")[0] - w).abs() < 1e-12);
    }

    #[test]
    fn keys_are_brainpys() {
        assert_eq!(
            <AdQuaIfParams<f64> as Fields<f64>>::KEYS,
            &[
                "V_rest", "V_reset", "V_th", "V_c", "a", "b", "c", "tau", "tau_w", "tau_ref"
            ]
        );
        assert_eq!(
            <AdQuaIfState<f64> as Fields<f64>>::KEYS,
            &["V", "w", "t_last_spike"]
        );
    }
}
