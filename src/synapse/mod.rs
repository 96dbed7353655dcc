//! Synapses (SPEC §4): connectivity × kinetics × output × optional STP × delay.
//!
//! * [`conn`]: connectors and the one canonical pre → post connectivity;
//! * [`comm`]: dense / sparse (event-driven) / one-to-one / all-to-all communication with
//!   scalar or per-synapse, trainable weights;
//! * [`kinetics`]: the gating and decay equations; [`output`]: `COBA` / `CUBA`;
//! * [`delay`]: integer delays with the SPEC §4 latency rule; [`stp`]: Tsodyks–Markram STP/STD;
//! * the synapse types [`Ampa`], [`Gabaa`], [`DualExponential`], [`Alpha`], [`Nmda`],
//!   [`BioNmda`] (align-pre), [`Exponential`] (align-post) and [`Delta`] (no kinetics: a
//!   jump of the postsynaptic V);
//! * the synapses that read membrane potentials instead of spikes: [`GapJunction`] and the
//!   delay [`Coupling`]s (diffusive, additive).

mod ampa;
pub mod comm;
pub mod conn;
mod coupling;
pub mod delay;
mod delta;
mod exponential;
mod gap_junction;
pub mod kinetics;
pub mod output;
mod proj;
pub mod stp;
mod two_state;

pub use ampa::{Ampa, AmpaConfig, Gabaa, GabaaConfig};
pub use comm::CompMethod;
pub use conn::{Connectivity, Connector};
pub use coupling::{Coupling, CouplingConfig, CouplingDelay, CouplingKind};
pub use delay::DelayStep;
pub use delta::{Delta, DeltaConfig};
pub use exponential::{Exponential, ExponentialConfig};
pub use gap_junction::{GapJunction, GapJunctionConfig};
pub use kinetics::TransmitterWindow;
pub use output::{Output, OutputTarget};
pub use stp::ShortTermPlasticity;
pub use two_state::{
    Alpha, AlphaConfig, BioNmda, BioNmdaConfig, DualExponential, DualExponentialConfig, Nmda,
    NmdaConfig,
};

// The synapse types are Burn modules too (parameters visited under their BrainPy names;
// connectivity tensors follow device moves through `Dynamics::on_ctx_change`).
crate::impl_module!(
    Ampa,
    Gabaa,
    Exponential,
    DualExponential,
    Alpha,
    Nmda,
    BioNmda,
    Delta,
    GapJunction,
    Coupling
);

use burn::tensor::Tensor;

use crate::dynamics::{Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::spikes::Spikes;

/// The currents a synapse that reads membrane potentials ([`Synapse::update_v`]) adds into
/// the `input` of its two groups.
#[derive(Debug)]
pub struct VCurrents {
    /// Into the presynaptic group's `input` (a gap junction's return current).
    pub into_pre: Option<Tensor<2>>,
    /// Into the postsynaptic group's `input`.
    pub into_post: Option<Tensor<2>>,
}

/// The error of calling a V-reading synapse's spike step.
pub(crate) fn reads_v_error(name: &str) -> Error {
    Error::arg(
        name,
        "this synapse reads the membrane potentials of its groups, not spikes: step it with \
         `update_v` (a network does)",
    )
}

/// A projection from a presynaptic to a postsynaptic group (BrainPy's `TwoEndConn`).
///
/// In a network step every synapse updates before the neurons: it reads the presynaptic
/// spikes of the previous step (through its delay), advances its kinetics and returns the
/// current to add into the postsynaptic `input`, computed with V_post from before this step's
/// neuron update. After all neurons have updated, [`Synapse::push`] hands it the new
/// presynaptic spikes for its delay buffer.
pub trait Synapse: Dynamics {
    /// Name of the presynaptic group.
    fn pre(&self) -> &str;
    /// Name of the postsynaptic group.
    fn post(&self) -> &str;

    /// One step: `pre_spike` is the presynaptic group's current `spike` state (the previous
    /// step's spikes), `post_v` the postsynaptic V before its update. Returns the current to
    /// add into the postsynaptic `input` (`None` when the synapse writes nothing).
    fn update(
        &mut self,
        ts: &StepTime,
        pre_spike: &Spikes,
        post_v: Option<Tensor<2>>,
    ) -> Result<Option<Tensor<2>>>;

    /// Where the value [`Synapse::update`] returns goes: the postsynaptic `input` (a current,
    /// the default) or its `V` (BrainPy's `CUBA(target_var='V')`, [`output::Output::CubaV`]).
    fn target(&self) -> output::OutputTarget {
        output::OutputTarget::Input
    }

    /// Whether this synapse reads the membrane potentials of its groups rather than the
    /// presynaptic spikes (gap junctions, couplings): a network then steps it with
    /// [`Synapse::update_v`] instead of [`Synapse::update`] and [`Synapse::push`].
    fn reads_v(&self) -> bool {
        false
    }

    /// One step of a V-reading synapse from the V of both groups before this step's neuron
    /// update: the currents into both groups' `input` (the postsynaptic one first, as BrainPy
    /// adds them). The default (a spike-reading synapse) is an error.
    fn update_v(
        &mut self,
        _ts: &StepTime,
        _pre_v: Tensor<2>,
        _post_v: Tensor<2>,
    ) -> Result<VCurrents> {
        Err(Error::arg(
            self.name(),
            "this synapse reads presynaptic spikes: step it with `update`",
        ))
    }

    /// Pushes the presynaptic spikes of this step into the delay buffer (no-op without delay).
    fn push(&mut self, pre_spike: &Spikes) -> Result<()>;

    /// A copy behind a box.
    fn clone_box(&self) -> Box<dyn Synapse>;

    /// The synapse's step on host arrays for the fused CPU path ([`crate::fused`]), built
    /// from its current parameters and states (delay buffer included); `None` (the default)
    /// when it has none, and then networks holding it run on the composed-op path.
    fn fused_kernel(&self) -> Option<Result<crate::fused::HostSynapseKernel>> {
        None
    }
}
