//! The Ornstein–Uhlenbeck process as a group (BrainPy's `bp.dyn.OUProcess`).

use crate::error::{Error, Result};
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;

crate::model_config! {
    /// Configuration of an [`OuProcess`] group; `Default` gives BrainPy's defaults.
    pub struct OuProcessConfig;
    /// The parameters of [`OuProcessModel`], in any number type.
    pub struct OuProcessParams {
        /// Mean `mean` the process relaxes to (and starts at). Default 0.
        mean: "mean" = 0.0, Any;
        /// Decay time constant `tau` (ms). Default 10.
        tau: "tau" = 10.0, Positive;
    }
    options {
        /// Noise amplitude `sigma` (≥ 0). Default 1. It is the group's `noise` parameter (the
        /// σ of every model's Euler–Maruyama term), so it trains and checkpoints as `noise`.
        sigma: ParamSpec = ParamSpec::from(1.0);
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method of the drift: `exp_auto` (BrainPy's default `exp_euler`, exact
        /// for this linear drift) or `euler` (BrainPy's SDE `euler`); the Runge–Kutta methods
        /// are not SDE methods and are refused.
        method: Method = Method::ExpAuto;
    }
}

crate::model_states! {
    /// The state of [`OuProcessModel`].
    pub struct OuProcessState {
        /// The process.
        x: "x",
    }
}

/// `dx/dt = (mean − x)/τ`: the drift.
struct OuOde<'a, R> {
    p: &'a OuProcessParams<R>,
}

impl<R: Num> OdeSystem<R> for OuOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        1
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, _k: usize, x: &[T], _t: f64) -> T {
        (T::from(self.p.mean.clone()) - x[0].clone()) / T::from(self.p.tau.clone())
    }
}

/// The Ornstein–Uhlenbeck process, BrainPy `bp.dyn.OUProcess` (2.4.6): a noise source to feed
/// other groups (its `x` through a projection or as a monitored current), with no input and no
/// spikes.
///
/// **Equation**: `τ dx = (mean − x) dt + τ σ dW` as BrainPy writes it, i.e.
/// `dx = (mean − x)/τ dt + σ dW`.
/// **Discrete update** (BrainPy's `sdeint(method='exp_euler')`): the drift by the exponential
/// Euler step, exact for this linear drift, `x + (1 − e^{−dt/τ})(mean − x)`, then the
/// diffusion `+ σ √dt ξ`, ξ ~ N(0, 1) from the group's seeded counter-based stream (the same
/// numbers on every backend and engine; not JAX's). `x` starts at `mean`.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `mean` | — | 0 |
/// | `sigma` | — | 1 (the group's `noise`) |
/// | `tau` | ms | 10 |
///
/// States: `x`. Stationary law: mean `mean`, variance `σ² τ / 2` (the exp-Euler chain's
/// `σ² dt / (1 − e^{−2 dt/τ})`). Reference: BrainPy 2.4.6
/// `brainpy/_src/dyn/others/noise.py::OUProcess`.
#[derive(Clone, Debug)]
pub struct OuProcessModel {
    method: Method,
}

/// A group of Ornstein–Uhlenbeck processes ([`OuProcessModel`]).
pub type OuProcess = NeuGroup<OuProcessModel>;

impl NeuronModel for OuProcessModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "OUProcess";
    const SPIKES: bool = false;
    const INPUT: bool = false;
    type Config = OuProcessConfig;
    type Params<R> = OuProcessParams<R>;
    type State<R> = OuProcessState<R>;

    fn build(cfg: &OuProcessConfig) -> Result<ModelParts<Self>> {
        if !matches!(cfg.method, Method::ExpAuto | Method::Euler) {
            return Err(Error::arg(
                "method",
                format!(
                    "OUProcess integrates a stochastic equation: exp_auto or euler, got {}",
                    cfg.method.name()
                ),
            ));
        }
        Ok(ModelParts {
            model: OuProcessModel { method: cfg.method },
            params: cfg.params(),
            states: OuProcessState {
                x: StateStart::Derived,
            },
            noise: Some(cfg.sigma.clone()),
            noise_seed: cfg.noise_seed,
        })
    }

    fn init_derived<R: Num>(&self, p: &OuProcessParams<R>, s: &mut OuProcessState<R>) {
        s.x = p.mean.clone();
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &OuProcessParams<R>,
        s: &mut OuProcessState<R>,
        _input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let [x] = integrate_array(&OuOde { p }, self.method, [s.x.clone()], cx.t(), cx.dt());
        s.x = match cx.noise() {
            Some(n) => x + n,
            None => x,
        };
        Spike::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn starts_at_the_mean_takes_no_input_and_refuses_rk_methods() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).unwrap();
        let cfg = OuProcessConfig {
            mean: vec![0.5, -1.0].into(),
            ..Default::default()
        };
        let g = OuProcess::named(2, cfg, Some("ou"), &c, Mode::NonBatching).unwrap();
        let x = crate::tensor_io::to_f64_vec(g.states().f("x")).unwrap();
        assert_eq!(x, [0.5, -1.0]);
        assert!(!g.has_input());
        assert!(g.spike().is_none());
        let cfg = OuProcessConfig {
            method: Method::Rk4,
            ..Default::default()
        };
        let e = OuProcess::new(2, cfg, &c, Mode::NonBatching).unwrap_err();
        assert!(e.to_string().contains("`method`"), "{e}");
        let cfg = OuProcessConfig {
            sigma: (-1.0).into(),
            ..Default::default()
        };
        assert!(OuProcess::new(2, cfg, &c, Mode::NonBatching).is_err());
    }
}
