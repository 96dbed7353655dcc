//! Leaky integrator (BrainPy's legacy `bp.neurons.LeakyIntegrator`).

use serde::{Deserialize, Serialize};

use super::{NeuronGroup, add_noise};
use crate::backend::Ctx;
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::Result;
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate};
use crate::math::{Real, TVal};
use crate::mode::Mode;
use crate::param::{NParam, ParamSpec};
use crate::state::StateInit;

use super::lif::lif_dv;

/// Configuration of a [`LeakyIntegrator`]; `Default` gives BrainPy's defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeakyIntegratorConfig {
    /// Resting potential `V_rest` (mV). Default 0.
    #[serde(alias = "V_rest")]
    pub v_rest: ParamSpec,
    /// Resistance `R`. Default 1.
    #[serde(alias = "R")]
    pub r: ParamSpec,
    /// Time constant `tau` (ms). Default 10.
    pub tau: ParamSpec,
    /// Initial V. Default 0.
    #[serde(alias = "V_initializer")]
    pub v_initializer: Initializer,
    /// Noise σ on V, none by default.
    pub noise: Option<ParamSpec>,
    /// Seed of the noise stream.
    pub noise_seed: u64,
    /// Integration method. Default `exp_auto`.
    pub method: Method,
}

impl Default for LeakyIntegratorConfig {
    fn default() -> Self {
        LeakyIntegratorConfig {
            v_rest: 0.0.into(),
            r: 1.0.into(),
            tau: 10.0.into(),
            v_initializer: Initializer::Zero,
            noise: None,
            noise_seed: 0,
            method: Method::ExpAuto,
        }
    }
}

struct LeakyOde {
    v_rest: TVal,
    r: TVal,
    tau: TVal,
    i: TVal,
}

impl OdeSystem<TVal> for LeakyOde {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Real + From<TVal>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        lif_dv(
            x[0].clone(),
            T::from(self.v_rest.clone()),
            T::from(self.r.clone()),
            T::from(self.i.clone()),
            T::from(self.tau.clone()),
        )
    }
}

/// Leaky integrator: a membrane without threshold or spikes.
///
/// **Equation**: `τ dV/dt = −(V − V_rest) + R·I`, `I` the accumulated `input`.
/// **Discrete update**: `V ← method(V, I)`; with exp_auto exactly
/// `V + (1 − e^{−dt/τ})(V_rest + R·I − V)` for the step's constant I. No spike, no reset.
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
pub struct LeakyIntegrator {
    core: Core,
    geometry: Geometry,
    method: Method,
    noise_seed: u64,
}

impl LeakyIntegrator {
    /// A group of `size` neurons named `LeakyIntegrator<k>`.
    pub fn new(
        size: impl IntoGeometry,
        cfg: LeakyIntegratorConfig,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// A group with an explicit name (`None` for the default).
    pub fn named(
        size: impl IntoGeometry,
        cfg: LeakyIntegratorConfig,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        let vs = geometry.varshape();
        let mut core = Core::new("LeakyIntegrator", name, ctx, mode)?;
        core.params.build("V_rest", &cfg.v_rest, &vs, ctx)?;
        core.params.build("R", &cfg.r, &vs, ctx)?;
        core.params.build("tau", &cfg.tau, &vs, ctx)?;
        // In `params` (under `noise`) so that device moves, optimizers and state dicts see it.
        if let Some(n) = &cfg.noise {
            core.params.build("noise", n, &vs, ctx)?;
        }
        cfg.v_initializer.validate("V_initializer")?;
        core.states
            .declare("V", StateInit::Float(cfg.v_initializer.clone()), vs.clone());
        core.states
            .declare("input", StateInit::Float(Initializer::Zero), vs);
        core.states.reset(ctx, core.mode)?;
        Ok(LeakyIntegrator {
            core,
            geometry,
            method: cfg.method,
            noise_seed: cfg.noise_seed,
        })
    }
}

impl Dynamics for LeakyIntegrator {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "LeakyIntegrator"
    }
}

impl NeuronGroup for LeakyIntegrator {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        let (core, method, seed) = (&self.core, self.method, self.noise_seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            // `noise` is a parameter of the core.
            crate::fused::neurons::lif::LeakyKernel::<E>::new(core, method, None, seed)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let core = &self.core;
        let p = &core.params;
        let v = core.states.f("V");
        let sys = LeakyOde {
            v_rest: p.tval("V_rest"),
            r: p.tval("R"),
            tau: p.tval("tau"),
            i: TVal::T(core.states.f("input")),
        };
        let v_new = integrate(&sys, self.method, &[TVal::T(v.clone())], ts.t, ts.dt)
            .remove(0)
            .into_tensor_like(&v);
        let noise = core.params.try_get("noise").map(NParam::tval);
        let v_new = add_noise(v_new, noise.as_ref(), self.noise_seed, ts, &core.ctx);
        self.core.states.set_f("V", v_new);
        Ok(())
    }
}
