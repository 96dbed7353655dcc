#![doc = include_str!("../README.md")]

pub mod algorithms;
pub mod backend;
pub mod channel;
pub mod cli;
pub mod datasets;
pub mod dynamics;
pub mod error;
pub mod finite;
pub mod fit;
pub mod fused;
pub mod geometry;
pub mod init;
pub mod inputs;
pub mod integrate;
pub mod math;
pub mod measure;
pub mod mode;
pub mod model;
pub mod module;
pub mod monitor;
pub mod netfile;
pub mod network;
pub mod neuron;
pub mod param;
pub mod plot;
pub mod rates;
pub mod run_engine;
pub mod runner;
pub mod spikes;
pub mod state;
pub mod state_dict;
pub mod surrogate;
pub mod synapse;
pub mod tensor_io;
pub mod train;
pub mod workloads;

pub use burn;

/// The names most programs need.
pub mod prelude {
    pub use crate::backend::{BackendKind, Ctx, Precision};
    pub use crate::channel::{Channel, ChannelModel, IKHH1952, IKTM1991, IL, INaHH1952, INaTM1991};
    pub use crate::dynamics::{Dynamics, StepTime};
    pub use crate::error::{Error, Result};
    pub use crate::geometry::Geometry;
    pub use crate::init::Initializer;
    pub use crate::integrate::Method;
    pub use crate::math::Num;
    pub use crate::mode::Mode;
    pub use crate::model::{Fields, ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
    pub use crate::monitor::Monitors;
    pub use crate::network::Network;
    pub use crate::neuron::*;
    pub use crate::param::{ParamSpec, trainable};
    pub use crate::run_engine::{Engine, Fallback};
    pub use crate::runner::{InputValue, Runner};
    pub use crate::spikes::Spikes;
    pub use crate::surrogate::{SpikeFunction, Surrogate, SurrogateFunction, TwoInputSurrogate};
    pub use crate::synapse::{
        Alpha, AlphaConfig, Ampa, AmpaConfig, BioNmda, BioNmdaConfig, CompMethod, Connector,
        Coupling, CouplingConfig, CouplingDelay, CouplingKind, DelayStep, Delta, DeltaConfig,
        DualExponential, DualExponentialConfig, Exponential, ExponentialConfig, Gabaa, GabaaConfig,
        GapJunction, GapJunctionConfig, Nmda, NmdaConfig, Output, OutputTarget,
        ShortTermPlasticity, Synapse, TransmitterWindow,
    };
}
