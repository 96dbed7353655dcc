//! Burn [`Module`] integration: brainburn groups, synapses and networks are Burn modules.
//!
//! Burn users expect `GradientsParams::from_grads(grads, &model)`, `optimizer.step(lr, model,
//! grads)`, `model.to_device(..)`, `model.valid()` / `model.train()` and `#[derive(Module)]`
//! structs that embed other modules. This file makes every brainburn model one:
//!
//! * **Parameters** are the tensor parameters of [`Params`](crate::param::Params) (trainable or
//!   frozen `Param<Tensor<2>>`, see [`NParam`]); untrainable scalars are host constants and
//!   not Burn parameters. A module visits them under their BrainPy names (`tau`, `V_th`), so
//!   inside a `#[derive(Module)]` struct a field `hidden: Lif` gives the path `hidden.tau`, and
//!   inside a [`Network`] the path is the BrainPy key `LIF0.tau`.
//! * **States** (`V`, `spike`, delay buffers, ...) are not parameters: device moves
//!   (`to_device`, `fork`) and the autodiff transitions (`valid`, `train`) move them along,
//!   optimizers and records never see them (use [`crate::state_dict`] for checkpoints with
//!   states).
//! * The model's context ([`Ctx`]) follows its tensors: after `to_device(&wgpu)` new states
//!   are created on wgpu, after `valid()` on the plain device.
//!
//! `Module` cannot be implemented for every `T: Dynamics` at once (the orphan rule), so each
//! model type opts in with one line, [`impl_module!`](crate::impl_module):
//!
//! ```text
//! brainburn::impl_module!(MyNeuron);
//! ```
//!
//! The type must implement [`Dynamics`] (and be `Clone + Send + Debug`). Its tensors must live
//! in its [`Core`](crate::dynamics::Core) (`params` and `states`), or, for states kept
//! elsewhere (e.g. a synapse's delay buffer), be exposed through
//! [`Dynamics::save_states`] / [`Dynamics::state_layout`] / [`Dynamics::load_state`]: such
//! states are moved between devices through the host. Any other tensor it keeps (a
//! connectivity mask, index tensors) it moves itself in [`Dynamics::on_ctx_change`].

use burn::module::{Content, Devices, Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Bool, Device, Tensor};

use crate::backend::{BackendKind, Ctx};
use crate::dynamics::Dynamics;
use crate::network::Network;
use crate::param::NParam;
use crate::state::StateTensor;

/// Makes types that implement [`Dynamics`] Burn [`Module`]s (plus `ModuleDisplay`, so they can
/// be fields of a `#[derive(Module)]` struct).
///
/// ```text
/// brainburn::impl_module!(Lif, LeakyIntegrator);
/// ```
///
/// Every brainburn model type gets one invocation in `src/module.rs`; a new model type (in
/// brainburn or in a user crate) opts in the same way. Requirements: the type implements
/// [`Dynamics`] and `Clone + Send + Debug`; every tensor it holds lives in its `Core`
/// (`params`, `states`), is a state exposed through `save_states` / `state_layout` /
/// `load_state` (moved between devices through the host), or is moved by the type's own
/// [`Dynamics::on_ctx_change`].
#[macro_export]
macro_rules! impl_module {
    (@impl [$($gen:tt)*] $ty:ty) => {
        impl $($gen)* $crate::burn::module::Module for $ty {
            fn collect_devices(
                &self,
                devices: $crate::burn::module::Devices,
            ) -> $crate::burn::module::Devices {
                $crate::module::collect_devices(self, devices)
            }

            fn fork(mut self, device: &$crate::burn::tensor::Device) -> Self {
                $crate::module::transition(&mut self, $crate::module::Transition::Fork(device));
                self
            }

            fn to_device(mut self, device: &$crate::burn::tensor::Device) -> Self {
                $crate::module::transition(&mut self, $crate::module::Transition::To(device));
                self
            }

            fn train(mut self) -> Self {
                $crate::module::transition(&mut self, $crate::module::Transition::Train);
                self
            }

            fn valid(&self) -> Self {
                let mut copy = ::core::clone::Clone::clone(self);
                $crate::module::transition(&mut copy, $crate::module::Transition::Valid);
                copy
            }

            fn materialize(mut self) -> Self {
                $crate::module::materialize(&mut self);
                self
            }

            fn visit<V: $crate::burn::module::ModuleVisitor>(&self, visitor: &mut V) {
                $crate::module::visit_dynamics(self, visitor)
            }

            fn map<M: $crate::burn::module::ModuleMapper>(mut self, mapper: &mut M) -> Self {
                $crate::module::map_dynamics(&mut self, mapper);
                self
            }
        }

        impl $($gen)* $crate::burn::module::ModuleDisplayDefault for $ty {
            fn content(
                &self,
                content: $crate::burn::module::Content,
            ) -> Option<$crate::burn::module::Content> {
                $crate::module::display_content(self, content)
            }

            fn num_params(&self) -> usize {
                $crate::burn::module::Module::num_params(self)
            }
        }

        impl $($gen)* $crate::burn::module::ModuleDisplay for $ty {}
    };
    (impl<$g:ident: $bound:path> $ty:ty) => {
        $crate::impl_module!(@impl [<$g: $bound>] $ty);
    };
    ($($ty:ty),+ $(,)?) => {$(
        $crate::impl_module!(@impl [] $ty);
    )+};
}

impl_module!(impl<Model: crate::model::NeuronModel> crate::model::NeuGroup<Model>);

impl_module!(
    crate::neuron::SpikeTimeGroup,
    crate::neuron::PoissonGroup,
    crate::neuron::CondNeuGroup,
);

/// The backend a device belongs to (`fallback` when it cannot be told).
pub fn backend_of(device: &Device, fallback: BackendKind) -> BackendKind {
    let plain = device.clone().without_autodiff();
    for kind in BackendKind::compiled() {
        if let Ok(d) = kind.device()
            && d == plain
        {
            return kind;
        }
    }
    // Devices of the same backend with another index or kind (`DiscreteGpu(1)`, ...).
    let text = format!("{plain:?}");
    if text.contains("Wgpu") || text.contains("Vulkan") || text.contains("Metal") {
        BackendKind::Wgpu
    } else if text.contains("Cuda") {
        BackendKind::Cuda
    } else if text.contains("NdArray") {
        BackendKind::NdArray
    } else if text.contains("Flex") {
        BackendKind::Flex
    } else {
        fallback
    }
}

/// The same context on another device (the backend is inferred from the device).
pub fn ctx_on(ctx: &Ctx, device: Device) -> Ctx {
    Ctx {
        backend: backend_of(&device, ctx.backend),
        device,
        precision: ctx.precision,
    }
}

/// A device move or autodiff transition of a whole model (what [`Module`]'s `to_device`,
/// `fork`, `valid` and `train` do).
#[derive(Clone, Copy, Debug)]
pub enum Transition<'a> {
    /// `to_device`: tensors keep their autodiff association (and graph).
    To(&'a Device),
    /// `fork`: like `To`, with a fresh graph (states detached, trainable parameters new leaves).
    Fork(&'a Device),
    /// `valid`: everything on the plain (non-autodiff) device.
    Valid,
    /// `train`: everything on the autodiff device, trainable parameters requiring gradients.
    Train,
}

fn move_param(p: Param<Tensor<2>>, tr: Transition<'_>) -> Param<Tensor<2>> {
    match tr {
        Transition::To(d) => p.to_device(d),
        Transition::Fork(d) => p.fork(d),
        Transition::Valid => Module::valid(&p),
        Transition::Train => p.train(),
    }
}

fn move_state(s: StateTensor, tr: Transition<'_>) -> StateTensor {
    match (s, tr) {
        (StateTensor::Float(t), Transition::To(d)) => StateTensor::Float(t.to_device(d)),
        (StateTensor::Float(t), Transition::Fork(d)) => StateTensor::Float(t.to_device(d).detach()),
        (StateTensor::Float(t), Transition::Valid) => StateTensor::Float(t.without_autodiff()),
        (StateTensor::Float(t), Transition::Train) => StateTensor::Float(t.autodiff()),
        (StateTensor::Bool(t), Transition::To(d) | Transition::Fork(d)) => {
            StateTensor::Bool(move_bool(t, d))
        }
        (StateTensor::Bool(t), Transition::Valid) => StateTensor::Bool(t.without_autodiff()),
        (StateTensor::Bool(t), Transition::Train) => StateTensor::Bool(t.autodiff()),
    }
}

/// A boolean tensor on another device. Burn 0.22.1's `Tensor<_, Bool>::to_device` from a CPU
/// backend to wgpu panics (`Unsupported dtype for bool_from_data Bool(Native)` in
/// burn-cubecl), so booleans move through the host, where `from_data` converts the storage.
///
/// # Panics
///
/// If the source backend cannot read the tensor back (a device failure).
fn move_bool(t: Tensor<2, Bool>, device: &Device) -> Tensor<2, Bool> {
    if t.device() == *device {
        return t;
    }
    let data = t
        .try_into_data()
        .unwrap_or_else(|e| panic!("cannot read a boolean state back for a device move: {e:?}"));
    Tensor::from_data(data, device)
}

/// Applies a [`Transition`] to one model: its context, parameters and states (including states
/// kept outside its `Core`, moved through the host).
///
/// # Panics
///
/// If the backend fails to read back or re-create a state kept outside the model's `Core`
/// (a device failure, not a user error: `Module`'s methods cannot return errors).
pub fn transition<D: Dynamics + ?Sized>(d: &mut D, tr: Transition<'_>) {
    // States that the model keeps outside `core.states` (exposed through save/load_state).
    let outside: Vec<String> = d
        .state_layout()
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| !d.states().contains(k))
        .collect();
    let saved = if outside.is_empty() {
        Vec::new()
    } else {
        d.save_states()
            .unwrap_or_else(|e| panic!("{}: cannot read states back: {e}", d.name()))
            .into_iter()
            .filter(|(k, _)| outside.contains(k))
            .collect()
    };
    let core = d.core_mut();
    let old = core.ctx.device.clone();
    let device = match tr {
        Transition::To(dev) | Transition::Fork(dev) => dev.clone().with_autodiff_context_from(&old),
        Transition::Valid => old.without_autodiff(),
        Transition::Train => old.autodiff(),
    };
    core.ctx = ctx_on(&core.ctx, device);
    core.params.map_tensors(|_, p| move_param(p, tr));
    core.states.map(|s| move_state(s, tr));
    let name = d.name().to_string();
    for (k, data) in saved {
        d.load_state(&k, data)
            .unwrap_or_else(|e| panic!("{name}: cannot re-create state `{k}`: {e}"));
    }
    d.on_ctx_change();
}

/// Every device the model's context and parameters are on.
pub fn collect_devices<D: Dynamics + ?Sized>(d: &D, mut devices: Devices) -> Devices {
    let own = d.ctx().device.clone();
    if !devices.contains(&own) {
        devices.push(own);
    }
    for (_, p) in d.params().iter() {
        if let NParam::Tensor(t) = p {
            devices = t.collect_devices(devices);
        }
    }
    devices
}

/// Folds parameter reparameterizations (LoRA, ...) into the parameters.
pub fn materialize<D: Dynamics + ?Sized>(d: &mut D) {
    d.core_mut()
        .params
        .map_tensors(|_, p| Module::materialize(p));
}

fn container(d: &(impl Dynamics + ?Sized)) -> String {
    format!("Struct:{}", d.class_name())
}

/// Visits every tensor parameter under its BrainPy name (`tau`, `V_th`, `g_max`).
pub fn visit_dynamics<D: Dynamics + ?Sized, V: ModuleVisitor>(d: &D, visitor: &mut V) {
    let container = container(d);
    for (k, p) in d.params().iter() {
        if let NParam::Tensor(t) = p {
            visitor.enter_module(k, &container);
            t.visit(visitor);
            visitor.exit_module(k, &container);
        }
    }
}

/// Maps every tensor parameter (optimizer steps, device moves, record loads).
pub fn map_dynamics<D: Dynamics + ?Sized, M: ModuleMapper>(d: &mut D, mapper: &mut M) {
    let container = container(d);
    d.core_mut().params.map_tensors(|k, p| {
        mapper.enter_module(k, &container);
        let p = Module::map(p, mapper);
        mapper.exit_module(k, &container);
        p
    });
}

/// What `println!("{model}")`-style displays show: the name, the tensor parameters and the
/// host constants.
pub fn display_content<D: Dynamics + ?Sized>(d: &D, content: Content) -> Option<Content> {
    let mut content = content
        .set_top_level_type(d.class_name())
        .add_debug_attribute("name", &d.name());
    for (k, p) in d.params().iter() {
        content = match p {
            NParam::Tensor(t) => content.add(k, t),
            NParam::Const(c) => content.add_debug_attribute(k, c),
        };
    }
    content.optional()
}

/// A network is a module whose submodules are its members, entered under their names: the
/// parameter paths are the BrainPy keys (`LIF0.tau`, `GABAa0.g_max`).
impl Module for Network {
    fn collect_devices(&self, mut devices: Devices) -> Devices {
        let own = self.ctx().device.clone();
        if !devices.contains(&own) {
            devices.push(own);
        }
        for m in self.members() {
            devices = collect_devices(m, devices);
        }
        devices
    }

    fn fork(mut self, device: &Device) -> Self {
        network_transition(&mut self, Transition::Fork(device));
        self
    }

    fn to_device(mut self, device: &Device) -> Self {
        network_transition(&mut self, Transition::To(device));
        self
    }

    fn train(mut self) -> Self {
        network_transition(&mut self, Transition::Train);
        self
    }

    fn valid(&self) -> Self {
        let mut copy = self.clone();
        network_transition(&mut copy, Transition::Valid);
        copy
    }

    fn materialize(mut self) -> Self {
        for m in self.members_mut() {
            materialize(m);
        }
        self
    }

    fn visit<V: ModuleVisitor>(&self, visitor: &mut V) {
        for m in self.members() {
            visitor.enter_module(m.name(), "Struct:Network");
            visit_dynamics(m, visitor);
            visitor.exit_module(m.name(), "Struct:Network");
        }
    }

    fn map<M: ModuleMapper>(mut self, mapper: &mut M) -> Self {
        for m in self.members_mut() {
            let name = m.name().to_string();
            mapper.enter_module(&name, "Struct:Network");
            map_dynamics(m, mapper);
            mapper.exit_module(&name, "Struct:Network");
        }
        self
    }
}

fn network_transition(net: &mut Network, tr: Transition<'_>) {
    let old = net.ctx().device.clone();
    let device = match tr {
        Transition::To(dev) | Transition::Fork(dev) => dev.clone().with_autodiff_context_from(&old),
        Transition::Valid => old.without_autodiff(),
        Transition::Train => old.autodiff(),
    };
    let ctx = ctx_on(net.ctx(), device);
    net.set_ctx(ctx);
    for m in net.members_mut() {
        transition(m, tr);
    }
}

impl burn::module::ModuleDisplayDefault for Network {
    fn content(&self, content: Content) -> Option<Content> {
        let mut content = content.set_top_level_type("Network");
        for m in self.members() {
            let mut names = Vec::new();
            for (k, p) in m.params().iter() {
                if let NParam::Tensor(_) = p {
                    names.push(k.to_string());
                }
            }
            content = content.add_debug_attribute(
                m.name(),
                &format!("{} (tensor parameters {names:?})", m.class_name()),
            );
        }
        content.optional()
    }

    fn num_params(&self) -> usize {
        Module::num_params(self)
    }
}

impl burn::module::ModuleDisplay for Network {}
