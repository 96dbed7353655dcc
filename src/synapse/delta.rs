//! The voltage-jump synapse (BrainPy's legacy `bp.synapses.Delta`): no kinetics, each
//! presynaptic spike moves the postsynaptic V (or `input`) by its weight in the same step.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::comm::CompMethod;
use super::conn::Connector;
use super::delay::DelayStep;
use super::output::Output;
use super::proj::{Projection, ProjectionSpec, impl_synapse};
use super::stp::ShortTermPlasticity;
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::integrate::Method;
use crate::neuron::NeuronGroup;
use crate::param::ParamSpec;
use crate::spikes::Spikes;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeltaRepr {
    conn: Connector,
    comp_method: Option<CompMethod>,
    g_max: Option<ParamSpec>,
    output: Option<Output>,
    delay_step: Option<DelayStep>,
    stp: Option<ShortTermPlasticity>,
    stop_spike_gradient: Option<bool>,
    method: Option<Method>,
}

/// Configuration of a [`Delta`] synapse; [`DeltaConfig::new`] gives BrainPy's defaults:
/// `g_max` 1, output `CUBA(target_var='V')`, sparse. In files `conn` is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "DeltaRepr")]
pub struct DeltaConfig {
    /// Connectivity (required in files).
    pub conn: Connector,
    /// `sparse` (default, event-driven on spikes) or `dense`.
    pub comp_method: CompMethod,
    /// The jump per presynaptic spike: a scalar, one value per synapse, or an initializer;
    /// trainable on request (parameter key `g_max`).
    pub g_max: ParamSpec,
    /// Where the jump goes. Default [`Output::CubaV`] (into the postsynaptic V);
    /// [`Output::Cuba`] adds it into `input`, [`Output::Coba`] makes it `g_max·(E − V)`.
    pub output: Output,
    /// Delay in steps (none: the spikes of the previous step).
    pub delay_step: Option<DelayStep>,
    /// Short-term plasticity scaling each jump.
    pub stp: Option<ShortTermPlasticity>,
    /// Detach the presynaptic spikes (no gradient reaches the presynaptic group).
    pub stop_spike_gradient: bool,
    /// Integration method of the STP variables (the synapse itself has no ODE). Default
    /// `exp_auto`.
    pub method: Method,
}

impl DeltaConfig {
    /// BrainPy's defaults with connectivity `conn`.
    pub fn new(conn: Connector) -> Self {
        DeltaConfig {
            conn,
            comp_method: CompMethod::Sparse,
            g_max: 1.0.into(),
            output: Output::CubaV,
            delay_step: None,
            stp: None,
            stop_spike_gradient: false,
            method: Method::ExpAuto,
        }
    }
}

impl Default for DeltaConfig {
    /// BrainPy's defaults, all-to-all (files must name `conn`).
    fn default() -> Self {
        Self::new(Connector::all2all(true))
    }
}

impl From<DeltaRepr> for DeltaConfig {
    fn from(r: DeltaRepr) -> Self {
        let d = DeltaConfig::new(r.conn);
        DeltaConfig {
            comp_method: r.comp_method.unwrap_or(d.comp_method),
            g_max: r.g_max.unwrap_or(d.g_max),
            output: r.output.unwrap_or(d.output),
            delay_step: r.delay_step,
            stp: r.stp,
            stop_spike_gradient: r.stop_spike_gradient.unwrap_or(false),
            method: r.method.unwrap_or(d.method),
            conn: d.conn,
        }
    }
}

/// Voltage-jump synapse (BrainPy `bp.synapses.Delta`, 2.4.6): no state of its own; each
/// presynaptic spike adds its weight to the postsynaptic neurons it reaches.
///
/// **Equation**: `V_post ← V_post + Σ_i g_max,ij · s_i` with `s_i` the presynaptic spikes
/// (through the delay), at the start of the step, before the postsynaptic neurons integrate —
/// BrainPy's default output `CUBA(target_var='V')`. With output `CUBA` the same sum goes into
/// the postsynaptic `input` (a current for this step), with `COBA(E)` it is `Σ g·(E − V)`.
///
/// **Discrete update** (step k, BrainPy's order — synapses before neurons):
/// 1. `s` = the presynaptic spikes of step k−1 through the delay (SPEC §4), detached with
///    `stop_spike_gradient`; with STP, `u`/`x` advance and each spike is scaled by its release
///    factor (see [`super::stp`]).
/// 2. `g_post = comm(s)` with weights `g_max` — event-driven for boolean spikes with
///    `comp_method = sparse`, a mat-vec for Training-mode float spikes.
/// 3. The output adds `g_post` into V (default) or turns it into a current for `input`.
///
/// **Gradients** (Training mode): through `g_max` and the presynaptic spikes (linear in the
/// float spike), unless `stop_spike_gradient`.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `g_max` | mV per spike into V (per synapse) | 1 |
/// | output | — | `CUBA(target_var='V')` |
/// | `comp_method` | — | sparse |
///
/// States: none, plus `u`/`x` with STP and `delay_buffer` with a delay. Not copied from
/// BrainPy: `post_ref_key` (multiplying the jump by `1 − post.<key>`). Reference: BrainPy
/// 2.4.6 `brainpy/_src/dynold/synapses/abstract_models.py::Delta`.
#[derive(Clone, Debug)]
pub struct Delta {
    core: Core,
    proj: Projection,
}

impl Delta {
    /// A synapse from `pre` to `post` named `Delta<k>`.
    pub fn new(pre: &dyn NeuronGroup, post: &dyn NeuronGroup, cfg: DeltaConfig) -> Result<Self> {
        Self::named(pre, post, cfg, None)
    }

    /// With an explicit name (`None` for the default).
    pub fn named(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: DeltaConfig,
        name: Option<&str>,
    ) -> Result<Self> {
        let mut core = Core::new("Delta", name, pre.ctx(), pre.mode())?;
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
        core.states.reset(&ctx, core.mode)?;
        proj.reset(&core);
        Ok(Delta { core, proj })
    }

    /// The fused host kernel.
    fn host_kernel(&self) -> Option<Result<crate::fused::HostSynapseKernel>> {
        let (core, proj) = (&self.core, &self.proj);
        Some(crate::host_synapse_kernel!(core.ctx.precision, E => {
            proj.host::<E>(core).map(|p| {
                Box::new(crate::fused::synapses::DeltaKernel::<E>::new(p))
                    as Box<dyn crate::fused::HostSynapse<E>>
            })
        }))
    }

    fn step(
        &mut self,
        ts: &StepTime,
        pre_spike: &Spikes,
        post_v: Option<Tensor<2>>,
    ) -> Result<Option<Tensor<2>>> {
        let s = self.proj.presynaptic(&self.core, pre_spike)?;
        let g_post = self.proj.jump(&mut self.core, s, ts);
        self.proj
            .output
            .current(&self.core.params, g_post, post_v, &self.core.name)
    }
}

impl_synapse!(Delta, "Delta");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{BackendKind, Ctx, Precision};
    use crate::mode::Mode;
    use crate::neuron::{
        LeakyIntegrator, LeakyIntegratorConfig, SpikeTimeGroup, SpikeTimeGroupConfig,
    };
    use crate::synapse::{OutputTarget, Synapse};

    fn groups(ctx: &Ctx) -> (SpikeTimeGroup, LeakyIntegrator) {
        let pre = SpikeTimeGroup::new(
            2,
            SpikeTimeGroupConfig {
                indices: vec![0],
                times: vec![0.0],
            },
            ctx,
            Mode::NonBatching,
        )
        .unwrap();
        let post =
            LeakyIntegrator::new(3, LeakyIntegratorConfig::default(), ctx, Mode::NonBatching)
                .unwrap();
        (pre, post)
    }

    #[test]
    fn defaults_are_brainpys_and_target_v() {
        let ctx = Ctx::new(BackendKind::Flex, Precision::F64).unwrap();
        let (pre, post) = groups(&ctx);
        let d = Delta::new(&pre, &post, DeltaConfig::default()).unwrap();
        assert_eq!(d.target(), OutputTarget::V);
        let cfg: DeltaConfig = toml::from_str("conn = { kind = \"all2all\" }").unwrap();
        assert_eq!(cfg.output, Output::CubaV);
        assert_eq!(cfg.comp_method, CompMethod::Sparse);
        let into_input: DeltaConfig = toml::from_str(
            "conn = { kind = \"all2all\" }\noutput = { kind = \"cuba\", target_var = \"input\" }",
        )
        .unwrap();
        assert_eq!(into_input.output, Output::Cuba);
        let bad = toml::from_str::<DeltaConfig>(
            "conn = { kind = \"all2all\" }\noutput = { kind = \"cuba\", target_var = \"v\" }",
        );
        assert!(bad.unwrap_err().to_string().contains("`V`"));
    }

    #[test]
    fn into_v_needs_a_v() {
        let ctx = Ctx::new(BackendKind::Flex, Precision::F64).unwrap();
        let (pre, _) = groups(&ctx);
        let err = Delta::new(&pre, &pre, DeltaConfig::default()).unwrap_err();
        assert!(err.to_string().contains("membrane potential V"), "{err}");
    }
}
