//! Leaky integrate-and-fire neuron (BrainPy's legacy `bp.neurons.LIF`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::{SpikeFunction, Surrogate, SurrogateFunction};

/// How the membrane is reset after a spike in Training mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeReset {
    /// `V ← V − (V_th − V_reset)·spike` (BrainPy's default in Training mode).
    #[default]
    Soft,
    /// `V ← V + (V_reset − V)·spike`.
    Hard,
}

crate::model_config! {
    /// Configuration of a [`Lif`] group; `Default` gives BrainPy's defaults.
    pub struct LifConfig;
    /// The parameters of [`LifModel`], in any number type.
    pub struct LifParams {
        /// Resting potential `V_rest` (mV). Default 0.
        v_rest: "V_rest" = 0.0, Any;
        /// Reset potential `V_reset` (mV). Default −5.
        v_reset: "V_reset" = -5.0, Any;
        /// Threshold `V_th` (mV). Default 20.
        v_th: "V_th" = 20.0, Any;
        /// Membrane resistance `R`. Default 1.
        r: "R" = 1.0, Any;
        /// Membrane time constant `tau` (ms). Default 10.
        tau: "tau" = 10.0, Positive;
        /// Refractory period `tau_ref` (ms). Default 0.
        tau_ref: "tau_ref" = 0.0, NonNegative;
    }
    options {
        /// Initial membrane potential. Default 0.
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
    /// The states of [`LifModel`] (besides `input` and `spike`).
    pub struct LifState {
        /// Membrane potential (mV).
        v: "V",
        /// Time of the last spike (ms; −1e7 at reset).
        t_last_spike: "t_last_spike",
    }
}

/// `τ dV/dt = −(V − V_rest) + R·I`, written once for every number type.
#[inline(always)]
pub(crate) fn lif_dv<T: Num>(v: T, v_rest: T, r: T, i: T, tau: T) -> T {
    (-v + v_rest + r * i) / tau
}

/// The leaky membrane as an ODE system (shared with [`super::LeakyIntegrator`]).
pub(crate) struct LeakyOde<R> {
    pub v_rest: R,
    pub r: R,
    pub tau: R,
    pub i: R,
}

impl<R: Num> OdeSystem<R> for LeakyOde<R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        lif_dv(
            x[0].clone(),
            T::from(self.v_rest.clone()),
            T::from(self.r.clone()),
            T::from(self.i.clone()),
            T::from(self.tau.clone()),
        )
    }
}

/// Leaky integrate-and-fire neuron with refractoriness (BrainPy `bp.neurons.LIF`, 2.4.6).
///
/// **Equation**: `τ dV/dt = −(V − V_rest) + R·I`, `I` the accumulated `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `V* = method(V, I)` (exp_auto: exactly
/// `V + (1 − e^{−dt/τ})(V_rest + R·I − V)`), plus `σ√dt·ξ` with noise; refractory neurons
/// (`t − t_last_spike ≤ tau_ref`) keep their old V.
/// * NonBatching/Batching: `spike = V* ≥ V_th` (bool); `V = V_reset` where it spiked;
///   `t_last_spike = t` there.
/// * Training: `spike = surrogate(V* − V_th)` (float, Heaviside forward); soft reset
///   `V = V* − (V_th − V_reset)·spike` (default) or hard `V = V* + (V_reset − V*)·spike`, with
///   the gradient through the reset unless `detach_spk`.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest` | mV | 0 |
/// | `V_reset` | mV | −5 |
/// | `V_th` | mV | 20 |
/// | `R` | — | 1 |
/// | `tau` | ms | 10 |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer` | mV | 0 |
///
/// States: `V`, `input`, `spike`, `t_last_spike` (−1e7 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/neurons/reduced_models.py::LIF`;
/// `oracle/data/g_training_lif_bptt.json` pins its Training-mode BPTT.
#[derive(Clone, Debug)]
pub struct LifModel {
    method: Method,
    spk_reset: SpikeReset,
    detach_spk: bool,
    spike_fn: SpikeFunction,
}

/// A group of LIF neurons ([`LifModel`]).
pub type Lif = NeuGroup<LifModel>;

impl LifModel {
    /// The integration method.
    pub fn method(&self) -> Method {
        self.method
    }
}

impl NeuronModel for LifModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "LIF";
    type Config = LifConfig;
    type Params<R> = LifParams<R>;
    type State<R> = LifState<R>;

    fn build(cfg: &LifConfig) -> Result<ModelParts<Self>> {
        let spike_fn = match &cfg.custom_surrogate {
            Some(c) => SpikeFunction::from_arc(c.clone()),
            None => SpikeFunction::new(cfg.surrogate.clone()),
        }
        .forward_use_surrogate(cfg.forward_use_surrogate);
        Ok(ModelParts {
            model: LifModel {
                method: cfg.method,
                spk_reset: cfg.spk_reset,
                detach_spk: cfg.detach_spk,
                spike_fn,
            },
            params: cfg.params(),
            states: LifState {
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
        p: &LifParams<R>,
        s: &mut LifState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = LeakyOde {
            v_rest: p.v_rest.clone(),
            r: p.r.clone(),
            tau: p.tau.clone(),
            i: input,
        };
        let [v_new] = integrate_array(&sys, self.method, [s.v.clone()], cx.t(), cx.dt());
        let v_new = match cx.noise() {
            Some(n) => v_new + n,
            None => v_new,
        };
        // Refractory neurons (t − t_last ≤ tau_ref) keep their old V.
        let refractory = (-s.t_last_spike.clone() + cx.t()).le(&p.tau_ref);
        let v_new = R::select(&refractory, s.v.clone(), v_new);
        if cx.training() {
            let spike = cx.spike(v_new.clone() - p.v_th.clone(), &self.spike_fn);
            let s_reset = if self.detach_spk {
                spike.clone().detach()
            } else {
                spike.clone()
            };
            s.v = match self.spk_reset {
                SpikeReset::Soft => v_new - (p.v_th.clone() - p.v_reset.clone()) * s_reset,
                SpikeReset::Hard => v_new.clone() + (p.v_reset.clone() - v_new) * s_reset,
            };
            let fired = spike.clone().detach().gt(&R::cst(0.0));
            s.t_last_spike = R::select(&fired, cx.time(), s.t_last_spike.clone()).detach();
            Spike::Float(spike)
        } else {
            let fired = v_new.ge(&p.v_th);
            s.v = R::select(&fired, p.v_reset.clone(), v_new);
            s.t_last_spike = R::select(&fired, cx.time(), s.t_last_spike.clone());
            Spike::Mask(fired)
        }
    }
}
