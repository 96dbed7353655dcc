//! The single-exponential synapse aligned with the postsynaptic group (BrainPy's legacy
//! `bp.synapses.Exponential`, the synapse of the COBA/CUBA benchmark networks).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::comm::CompMethod;
use super::conn::Connector;
use super::delay::DelayStep;
use super::kinetics::Decay;
use super::output::Output;
use super::proj::{Projection, ProjectionSpec, impl_synapse};
use super::stp::ShortTermPlasticity;
use crate::dynamics::{Core, StepTime};
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::integrate::{Method, integrate};
use crate::math::TVal;
use crate::neuron::NeuronGroup;
use crate::param::ParamSpec;
use crate::spikes::Spikes;
use crate::state::StateInit;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExponentialRepr {
    conn: Connector,
    comp_method: Option<CompMethod>,
    g_max: Option<ParamSpec>,
    tau: Option<ParamSpec>,
    output: Option<Output>,
    delay_step: Option<DelayStep>,
    stp: Option<ShortTermPlasticity>,
    stop_spike_gradient: Option<bool>,
    method: Option<Method>,
}

/// Configuration of an [`Exponential`] synapse; [`ExponentialConfig::new`] gives BrainPy's
/// defaults: `g_max` 1, τ 8 ms, `CUBA`, sparse. In files `conn` is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ExponentialRepr")]
pub struct ExponentialConfig {
    /// Connectivity (required in files).
    pub conn: Connector,
    /// `sparse` (default, event-driven on spikes) or `dense`.
    pub comp_method: CompMethod,
    /// Jump of g per presynaptic spike: a scalar, one value per synapse, or an initializer;
    /// trainable on request (parameter key `g_max`).
    pub g_max: ParamSpec,
    /// Decay time constant τ (ms), scalar or per postsynaptic neuron. Default 8.
    pub tau: ParamSpec,
    /// Output into the postsynaptic `input`. Default `CUBA`.
    pub output: Output,
    /// Delay in steps (none: the spikes of the previous step).
    pub delay_step: Option<DelayStep>,
    /// Short-term plasticity scaling each jump.
    pub stp: Option<ShortTermPlasticity>,
    /// Detach the presynaptic spikes (no gradient reaches the presynaptic group).
    pub stop_spike_gradient: bool,
    /// Integration method of the decay. Default `exp_auto`.
    pub method: Method,
}

impl ExponentialConfig {
    /// BrainPy's defaults with connectivity `conn`.
    pub fn new(conn: Connector) -> Self {
        ExponentialConfig {
            conn,
            comp_method: CompMethod::Sparse,
            g_max: 1.0.into(),
            tau: 8.0.into(),
            output: Output::Cuba,
            delay_step: None,
            stp: None,
            stop_spike_gradient: false,
            method: Method::ExpAuto,
        }
    }
}

impl Default for ExponentialConfig {
    /// BrainPy's defaults, all-to-all (files must name `conn`).
    fn default() -> Self {
        Self::new(Connector::all2all(true))
    }
}

impl From<ExponentialRepr> for ExponentialConfig {
    fn from(r: ExponentialRepr) -> Self {
        let d = ExponentialConfig::new(r.conn);
        ExponentialConfig {
            comp_method: r.comp_method.unwrap_or(d.comp_method),
            g_max: r.g_max.unwrap_or(d.g_max),
            tau: r.tau.unwrap_or(d.tau),
            output: r.output.unwrap_or(d.output),
            delay_step: r.delay_step,
            stp: r.stp,
            stop_spike_gradient: r.stop_spike_gradient.unwrap_or(false),
            method: r.method.unwrap_or(d.method),
            conn: d.conn,
        }
    }
}

/// Single-exponential synapse (BrainPy `bp.synapses.Exponential`, 2.4.6): one conductance per
/// **postsynaptic** neuron that jumps by the weights of the presynaptic spikes and decays with τ.
///
/// **Equations**: `dg/dt = −g/τ + Σ_k g_max·δ(t − t_k)`; output `CUBA` (default):
/// `I = g`, or `COBA`: `I = g·(E − V_post)`, added into the postsynaptic `input`.
///
/// **Discrete update** (step k; BrainPy's order — its `Expon` integrates, then adds the
/// communicated spikes, then the output reads the new g):
/// 1. `s` = the presynaptic spikes through the delay (SPEC §4), detached with
///    `stop_spike_gradient`; with STP, `u`/`x` advance and each spike is scaled by its
///    release factor `a` (see [`super::stp`]).
/// 2. `g ← method(g)` (exp_auto: exactly `g·e^{−dt/τ}`), then `g ← g + comm(s·a)` with weights
///    `g_max` — event-driven for boolean spikes with `comp_method = sparse` (only the rows
///    of the neurons that spiked are read), a full mat-vec for Training-mode float spikes.
/// 3. The output current from the new g, with V_post from before this step's neuron update.
///
/// **Gradients** (Training mode): through `g_max`, τ, E, V_post and the presynaptic spikes
/// (the jump is linear in the float spike, so every presynaptic neuron receives its surrogate
/// gradient), unless `stop_spike_gradient`.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `g_max` | (per synapse) | 1 |
/// | `tau` | ms | 8 |
/// | output | — | `CUBA` |
/// | `comp_method` | — | sparse |
///
/// States: `g` (per postsynaptic neuron), plus `u`/`x` with STP and `delay_buffer` with a
/// delay. Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/abstract_models.py::Exponential`
/// (with `dyn/synapses/abstract_models.py::Expon`); Sterratt et al., *Principles of
/// Computational Modelling in Neuroscience* (2011), ch. 7.
#[derive(Clone, Debug)]
pub struct Exponential {
    core: Core,
    proj: Projection,
}

impl Exponential {
    /// A synapse from `pre` to `post` named `Exponential<k>`.
    pub fn new(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: ExponentialConfig,
    ) -> Result<Self> {
        Self::named(pre, post, cfg, None)
    }

    /// With an explicit name (`None` for the default).
    pub fn named(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: ExponentialConfig,
        name: Option<&str>,
    ) -> Result<Self> {
        if let Some(t) = cfg.tau.as_scalar()
            && (t.is_nan() || t <= 0.0)
        {
            return Err(Error::arg("tau", format!("must be > 0 ms, got {t}")));
        }
        let mut core = Core::new("Exponential", name, pre.ctx(), pre.mode())?;
        let spec = ProjectionSpec {
            conn: &cfg.conn,
            comp_method: cfg.comp_method,
            g_max: &cfg.g_max,
            output: &cfg.output,
            delay_step: cfg.delay_step.as_ref(),
            stp: cfg.stp.as_ref(),
            stop_spike_gradient: cfg.stop_spike_gradient,
            method: cfg.method,
        };
        let mut proj = Projection::new(&mut core, pre, post, spec)?;
        let ctx = core.ctx.clone();
        let post_vs = post.geometry().varshape();
        core.params.build("tau", &cfg.tau, &post_vs, &ctx)?;
        core.states
            .declare("g", StateInit::Float(Initializer::Zero), post_vs);
        core.states.reset(&ctx, core.mode)?;
        proj.reset(&core);
        Ok(Exponential { core, proj })
    }

    /// The fused host kernel.
    fn host_kernel(&self) -> Option<Result<crate::fused::HostSynapseKernel>> {
        let (core, proj) = (&self.core, &self.proj);
        Some(crate::host_synapse_kernel!(core.ctx.precision, E => {
            proj.host::<E>(core)
                .and_then(|p| crate::fused::synapses::ExponentialKernel::<E>::new(core, p))
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostSynapse<E>>)
        }))
    }

    fn step(
        &mut self,
        ts: &StepTime,
        pre_spike: &Spikes,
        post_v: Option<Tensor<2>>,
    ) -> Result<Option<Tensor<2>>> {
        let core = &mut self.core;
        let proj = &self.proj;
        let s = proj.presynaptic(core, pre_spike)?;
        let jump = proj.jump(core, s, ts);
        let g_old = core.states.f("g");
        let sys = Decay {
            tau: core.params.tval("tau"),
        };
        let g = integrate(&sys, proj.method, &[TVal::T(g_old.clone())], ts.t, ts.dt)
            .remove(0)
            .into_tensor_like(&g_old)
            + jump;
        let current = proj
            .output
            .current(&core.params, g.clone(), post_v, &core.name)?;
        core.states.set_f("g", g);
        Ok(current)
    }
}

impl_synapse!(Exponential, "Exponential");
