//! What every synapse type shares: the two groups, connectivity and weights, the output, the
//! delay line, optional STP and `stop_spike_gradient` (BrainPy's `TwoEndConn` plumbing).

use burn::tensor::{Tensor, TensorData};

use super::comm::{Comm, CommInput, CompMethod};
use super::conn::{Connectivity, Connector};
use super::delay::{Delay, DelayStep};
use super::output::Output;
use super::stp::ShortTermPlasticity;
use crate::dynamics::{Core, Dynamics, StepTime, reshape_data};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::neuron::NeuronGroup;
use crate::spikes::Spikes;

/// The arguments every synapse takes besides its kinetics.
pub(crate) struct ProjectionSpec<'a> {
    pub conn: &'a Connector,
    pub comp_method: CompMethod,
    pub g_max: &'a crate::param::ParamSpec,
    pub output: &'a Output,
    pub delay_step: Option<&'a DelayStep>,
    pub stp: Option<&'a ShortTermPlasticity>,
    pub stop_spike_gradient: bool,
    pub method: Method,
}

/// The shared parts of a synapse.
#[derive(Clone, Debug)]
pub(crate) struct Projection {
    pub pre: String,
    pub post: String,
    pub pre_varshape: Vec<usize>,
    pub n_pre: usize,
    pub comm: Comm,
    pub output: Output,
    pub delay: Delay,
    pub stp: Option<ShortTermPlasticity>,
    pub stop_spike_gradient: bool,
    pub method: Method,
}

impl Projection {
    /// Checks the groups, builds connectivity, weights (`g_max`), output parameters, STP
    /// parameters and states, and the delay line into `core`.
    pub fn new(
        core: &mut Core,
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        spec: ProjectionSpec<'_>,
    ) -> Result<Self> {
        if pre.mode() != post.mode() {
            return Err(Error::arg(
                "post",
                format!(
                    "`{}` runs in {:?} but `{}` in {:?}: the groups of a synapse need the same mode and batch size",
                    pre.name(),
                    pre.mode(),
                    post.name(),
                    post.mode()
                ),
            ));
        }
        if pre.spike().is_none() {
            return Err(Error::arg(
                "pre",
                format!("`{}` has no spikes to send", pre.name()),
            ));
        }
        if spec.output.target() == super::OutputTarget::Input && !post.has_input() {
            return Err(Error::arg(
                "post",
                format!("`{}` takes no input", post.name()),
            ));
        }
        let ctx = core.ctx.clone();
        let (n_pre, n_post) = (pre.num(), post.num());
        let conn = Connectivity::build(spec.conn, n_pre, n_post)?;
        let (comm, weight) = Comm::build(&conn, spec.comp_method, spec.g_max, "g_max", &ctx)?;
        if spec.output.is_conductance() {
            // A COBA (or MgBlock) weight is a conductance; inhibition comes from E below rest.
            // (A CUBA weight is a current and may be negative.)
            crate::param::Domain::NonNegative
                .check("g_max", &weight.host_values()?)
                .map_err(|e| match e {
                    Error::InvalidArgument { arg, reason } => Error::arg(
                        arg,
                        format!(
                            "{reason}: with a COBA output g_max is a conductance (inhibition comes from a reversal potential E below rest; a negative weight needs CUBA)"
                        ),
                    ),
                    other => other,
                })?;
        }
        core.params.insert("g_max", weight);
        let post_vs = post.geometry().varshape();
        spec.output.build(
            &mut core.params,
            &post_vs,
            post.v().is_some(),
            post.name(),
            &ctx,
        )?;
        let pre_varshape = pre.geometry().varshape();
        if let Some(stp) = spec.stp {
            stp.build(&mut core.params, &mut core.states, &pre_varshape, &ctx)
                .map_err(|e| e.within("stp"))?;
        }
        let delay = Delay::new(spec.delay_step, n_pre, &ctx)?;
        Ok(Projection {
            pre: pre.name().to_string(),
            post: post.name().to_string(),
            pre_varshape,
            n_pre,
            comm,
            output: spec.output.clone(),
            delay,
            stp: spec.stp.cloned(),
            stop_spike_gradient: spec.stop_spike_gradient,
            method: spec.method,
        })
    }

    /// Moves the tensors kept outside the core (connectivity, delay masks) to the core's
    /// (new) context.
    pub fn on_ctx_change(&mut self, core: &Core) {
        self.comm.rebuild_for(&core.ctx);
        self.delay.rebuild_for(&core.ctx);
    }

    /// Resets the delay buffer to the batch size of the (already reset) core states.
    pub fn reset(&mut self, core: &Core) {
        self.delay
            .reset(core.states.rows(), core.mode.is_training(), &core.ctx);
    }

    /// The spikes the synapse acts on this step: the presynaptic group's current spikes through
    /// the delay, detached with `stop_spike_gradient`. Checks their shape.
    pub fn presynaptic(&self, core: &Core, pre_spike: &Spikes) -> Result<Spikes> {
        let want = [core.states.rows(), self.n_pre];
        if pre_spike.dims() != want {
            return Err(Error::ShapeMismatch {
                what: format!("{}: spikes of `{}`", core.name, self.pre),
                expected: want.to_vec(),
                got: pre_spike.dims().to_vec(),
            });
        }
        let s = self.delay.read(pre_spike);
        Ok(if self.stop_spike_gradient {
            s.detach()
        } else {
            s
        })
    }

    /// `comm(s·a)` with weights `g_max`, for the presynaptic spikes `s` this step sees (from
    /// [`Projection::presynaptic`]): the synapses aligned with the postsynaptic group
    /// (Exponential, Delta). With STP its `u`/`x` advance first and each spike is scaled by its
    /// release factor `a`; boolean spikes go event-driven where the comm is sparse.
    pub fn jump(&self, core: &mut Core, s: Spikes, ts: &StepTime) -> Tensor<2> {
        let dtype = core.ctx.dtype();
        let input = match (&self.stp, s) {
            (None, Spikes::Bool(mask)) => CommInput::Events { mask, scale: None },
            (Some(stp), Spikes::Bool(mask)) => {
                let f = Spikes::Bool(mask.clone()).to_float(dtype);
                let scale = stp.step(&core.params, &mut core.states, f, self.method, ts);
                CommInput::Events {
                    mask,
                    scale: Some(scale),
                }
            }
            (None, Spikes::Float(f)) => CommInput::Values(f),
            (Some(stp), Spikes::Float(f)) => {
                let scale = stp.step(&core.params, &mut core.states, f.clone(), self.method, ts);
                CommInput::Values(f * scale)
            }
        };
        self.comm.apply(input, core.params.get("g_max"))
    }

    /// Feeds the delay buffer with the presynaptic spikes of the step that just ended.
    pub fn push(&mut self, pre_spike: &Spikes) {
        if self.delay.len() > 0 {
            self.delay.push(if self.stop_spike_gradient {
                pre_spike.detach()
            } else {
                pre_spike.clone()
            });
        }
    }

    /// The host form of the shared parts for the fused CPU path ([`crate::fused::synapses`]):
    /// connectivity and weights, output, delay line with its buffer, short-term plasticity
    /// scaled by STP where the synapse has it.
    pub(crate) fn host<E: crate::fused::HostFloat>(
        &self,
        core: &Core,
    ) -> Result<crate::fused::synapses::HostProjection<E>> {
        use crate::fused::HParam;
        use crate::fused::synapses::{HostComm, HostDelay, HostOutput, HostProjection, HostStp};
        let rows = core.states.rows();
        let n_post = self.comm.n_post();
        let comm = HostComm::new(
            self.comm.host_conn(),
            &core.params.get("g_max").host_values()?,
            n_post,
        )?;
        let output = match &self.output {
            Output::Coba { .. } => HostOutput::Coba(HParam::of_core(core, "E", n_post)?),
            Output::MgBlock { .. } => HostOutput::MgBlock {
                e: HParam::of_core(core, "E", n_post)?,
                cc_mg: HParam::of_core(core, "cc_Mg", n_post)?,
                alpha: HParam::of_core(core, "Mg_alpha", n_post)?,
                beta: HParam::of_core(core, "Mg_beta", n_post)?,
            },
            // Into `input` or into `V`: the kernel adds `g_post` into whichever slice the
            // engine hands it (`HostProjection::target`).
            Output::Cuba | Output::CubaV => HostOutput::Cuba,
            Output::None => HostOutput::None,
        };
        let buffer = if self.delay.len() > 0 {
            let d = self.delay.to_data()?;
            d.convert::<f64>()
                .try_into_vec::<f64>()
                .map_err(|e| Error::Backend(format!("{e:?}")))?
                .into_iter()
                .map(|x| x > 0.0)
                .collect()
        } else {
            Vec::new()
        };
        let stp = match &self.stp {
            Some(st) => Some(HostStp::new(
                core,
                matches!(st, ShortTermPlasticity::Stp { .. }),
                self.n_pre,
            )?),
            None => None,
        };
        Ok(HostProjection {
            comm,
            delay: HostDelay::new(self.delay.slots().to_vec(), buffer, rows)?,
            output,
            rows,
            n_pre: self.n_pre,
            n_post,
            method: self.method,
            stp,
            target: self.output.target(),
        })
    }

    /// The user shape of the delay buffer, `[L, (batch,) ...pre varshape]`.
    fn buffer_shape(&self, core: &Core) -> Vec<usize> {
        let mut s = vec![self.delay.len()];
        if let Some(b) = core.mode.batch_size() {
            s.push(b);
        }
        s.extend(self.pre_varshape.iter().copied());
        s
    }

    /// The core's states (as [`Dynamics`] saves them) plus `delay_buffer`.
    pub fn save_states(&self, core: &Core) -> Result<Vec<(String, TensorData)>> {
        let mut v = CoreView(core).save_states()?;
        if self.delay.len() > 0 {
            let data = reshape_data(self.delay.to_data()?, self.buffer_shape(core));
            v.push(("delay_buffer".into(), data));
        }
        Ok(v)
    }

    /// The core's state layout plus `delay_buffer`.
    pub fn state_layout(&self, core: &Core) -> Vec<(String, Vec<usize>)> {
        let mut v = CoreView(core).state_layout();
        if self.delay.len() > 0 {
            v.push(("delay_buffer".into(), self.buffer_shape(core)));
        }
        v
    }

    /// Loads one state (`delay_buffer` or a core state).
    pub fn load_state(&mut self, core: &mut Core, key: &str, data: TensorData) -> Result<()> {
        if key == "delay_buffer" && self.delay.len() > 0 {
            let rows = core.states.rows();
            self.delay
                .load(data, rows, core.mode.is_training(), &core.ctx)
        } else if core.states.contains(key) {
            CoreViewMut(core).load_state(key, data)
        } else {
            Err(Error::unknown_key(
                format!("{}.{key}", core.name),
                "not a state of this synapse",
            ))
        }
    }
}

/// A read-only view of a core that uses [`Dynamics`]' default state handling.
#[derive(Debug)]
struct CoreView<'a>(&'a Core);

impl Dynamics for CoreView<'_> {
    fn core(&self) -> &Core {
        self.0
    }
    fn core_mut(&mut self) -> &mut Core {
        unreachable!("CoreView is only used to read states")
    }
    fn class_name(&self) -> &'static str {
        "CoreView"
    }
}

/// A mutable view of a core that uses [`Dynamics`]' default state handling.
#[derive(Debug)]
struct CoreViewMut<'a>(&'a mut Core);

impl Dynamics for CoreViewMut<'_> {
    fn core(&self) -> &Core {
        self.0
    }
    fn core_mut(&mut self) -> &mut Core {
        self.0
    }
    fn class_name(&self) -> &'static str {
        "CoreViewMut"
    }
}

/// Implements [`Dynamics`] and [`super::Synapse`] for a synapse type with fields `core: Core`
/// and `proj: Projection` and an inherent
/// `step(&mut self, &StepTime, &Spikes, Option<Tensor<2>>) -> Result<Option<Tensor<2>>>`
/// (`None`: the synapse's output writes nothing).
macro_rules! impl_synapse {
    ($T:ty, $class:literal) => {
        impl $crate::dynamics::Dynamics for $T {
            fn core(&self) -> &$crate::dynamics::Core {
                &self.core
            }
            fn core_mut(&mut self) -> &mut $crate::dynamics::Core {
                &mut self.core
            }
            fn class_name(&self) -> &'static str {
                $class
            }
            fn reset_state(&mut self, batch: Option<usize>) -> $crate::error::Result<()> {
                self.core.reset(batch)?;
                self.proj.reset(&self.core);
                Ok(())
            }
            fn save_states(
                &self,
            ) -> $crate::error::Result<Vec<(String, burn::tensor::TensorData)>> {
                self.proj.save_states(&self.core)
            }
            fn state_layout(&self) -> Vec<(String, Vec<usize>)> {
                self.proj.state_layout(&self.core)
            }
            fn load_state(
                &mut self,
                key: &str,
                data: burn::tensor::TensorData,
            ) -> $crate::error::Result<()> {
                self.proj.load_state(&mut self.core, key, data)
            }
            fn detach_states(&mut self) {
                self.core.states.detach();
                self.proj.delay.detach();
            }
            fn on_ctx_change(&mut self) {
                self.proj.on_ctx_change(&self.core);
            }
        }

        impl $crate::synapse::Synapse for $T {
            fn pre(&self) -> &str {
                &self.proj.pre
            }
            fn post(&self) -> &str {
                &self.proj.post
            }
            fn update(
                &mut self,
                ts: &$crate::dynamics::StepTime,
                pre_spike: &$crate::spikes::Spikes,
                post_v: Option<burn::tensor::Tensor<2>>,
            ) -> $crate::error::Result<Option<burn::tensor::Tensor<2>>> {
                self.step(ts, pre_spike, post_v)
            }
            fn target(&self) -> $crate::synapse::OutputTarget {
                self.proj.output.target()
            }
            fn push(&mut self, pre_spike: &$crate::spikes::Spikes) -> $crate::error::Result<()> {
                self.proj.push(pre_spike);
                Ok(())
            }
            fn clone_box(&self) -> Box<dyn $crate::synapse::Synapse> {
                Box::new(self.clone())
            }
            fn fused_kernel(
                &self,
            ) -> Option<$crate::error::Result<$crate::fused::HostSynapseKernel>> {
                self.host_kernel()
            }
        }
    };
}

pub(crate) use impl_synapse;
