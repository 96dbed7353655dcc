//! Leaky integrator (BrainPy's legacy `bp.neurons.LeakyIntegrator`).

use super::lif::LeakyOde;
use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;

crate::model_config! {
    /// Configuration of a [`LeakyIntegrator`]; `Default` gives BrainPy's defaults.
    pub struct LeakyIntegratorConfig;
    /// The parameters of [`LeakyIntegratorModel`], in any number type.
    pub struct LeakyIntegratorParams {
        /// Resting potential `V_rest` (mV). Default 0.
        v_rest: "V_rest" = 0.0, Any;
        /// Membrane resistance `R`. Default 1.
        r: "R" = 1.0, Any;
        /// Membrane time constant `tau` (ms). Default 10.
        tau: "tau" = 10.0, Positive;
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
    }
}

crate::model_states! {
    /// The state of [`LeakyIntegratorModel`] (besides `input`).
    pub struct LeakyIntegratorState {
        /// Membrane potential (mV).
        v: "V",
    }
}

/// Leaky integrator: a membrane without threshold or spikes.
///
/// **Equation**: `τ dV/dt = −(V − V_rest) + R·I`, `I` the accumulated `input`.
/// **Discrete update**: `V ← method(V, I)`; with exp_auto exactly
/// `V + (1 − e^{−dt/τ})(V_rest + R·I − V)` for the step's constant I; plus `σ√dt·ξ` with
/// noise. No spike, no reset.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest` | mV | 0 |
/// | `R` | — | 1 |
/// | `tau` | ms | 10 |
/// | `V_initializer` | mV | 0 |
///
/// States: `V`, `input`. Reference: BrainPy 2.4.6
/// `brainpy/_src/dynold/neurons/reduced_models.py::LeakyIntegrator`; oracle case a.
#[derive(Clone, Debug)]
pub struct LeakyIntegratorModel {
    method: Method,
}

/// A group of leaky integrators ([`LeakyIntegratorModel`]).
pub type LeakyIntegrator = NeuGroup<LeakyIntegratorModel>;

impl NeuronModel for LeakyIntegratorModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "LeakyIntegrator";
    const SPIKES: bool = false;
    type Config = LeakyIntegratorConfig;
    type Params<R> = LeakyIntegratorParams<R>;
    type State<R> = LeakyIntegratorState<R>;

    fn build(cfg: &LeakyIntegratorConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: LeakyIntegratorModel { method: cfg.method },
            params: cfg.params(),
            states: LeakyIntegratorState {
                v: StateStart::Init(cfg.v_initializer.clone()),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &LeakyIntegratorParams<R>,
        s: &mut LeakyIntegratorState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = LeakyOde {
            v_rest: p.v_rest.clone(),
            r: p.r.clone(),
            tau: p.tau.clone(),
            i: input,
        };
        let [v] = integrate_array(&sys, self.method, [s.v.clone()], cx.t(), cx.dt());
        s.v = match cx.noise() {
            Some(n) => v + n,
            None => v,
        };
        Spike::None
    }
}
