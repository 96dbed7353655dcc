//! Networks: groups and synapses stepped in BrainPy's order (SPEC §4).

use burn::tensor::Tensor;

use crate::backend::Ctx;
use crate::dynamics::{Dynamics, StepTime, check_dt};
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::neuron::NeuronGroup;
use crate::state_dict::{LoadOptions, LoadResult, StateDict};
use crate::synapse::{OutputTarget, Synapse};

/// A network of neuron groups and synapses.
///
/// One step ([`Network::update`]) follows BrainPy's order: (inputs were added by the caller)
/// → every synapse updates, reading presynaptic spikes of the previous step through its delay
/// and adding its output into the postsynaptic `input` (gap junctions and couplings read both
/// groups' V instead and may add into both `input`s) → every group updates → delay buffers
/// push the new spikes. [`Network::clear_input`] then zeroes every `input`; a runner records
/// monitors in between. Names are unique within a network; all members share its mode.
#[derive(Debug)]
pub struct Network {
    ctx: Ctx,
    mode: Mode,
    groups: Vec<Box<dyn NeuronGroup>>,
    synapses: Vec<Box<dyn Synapse>>,
    /// (pre, post) group indices of each synapse.
    links: Vec<(usize, usize)>,
    step: u64,
}

impl Clone for Network {
    fn clone(&self) -> Self {
        Network {
            ctx: self.ctx.clone(),
            mode: self.mode,
            groups: self.groups.iter().map(|g| g.clone_box()).collect(),
            synapses: self.synapses.iter().map(|s| s.clone_box()).collect(),
            links: self.links.clone(),
            step: self.step,
        }
    }
}

impl Network {
    /// An empty network whose members run in `mode` on `ctx`.
    pub fn new(ctx: &Ctx, mode: Mode) -> Result<Self> {
        Ok(Network {
            ctx: ctx.clone(),
            mode: mode.validate()?,
            groups: Vec::new(),
            synapses: Vec::new(),
            links: Vec::new(),
            step: 0,
        })
    }

    /// Device and precision.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The mode of every member.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The index of the next step.
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// Sets the index of the next step (e.g. after loading a checkpoint).
    pub fn set_step_index(&mut self, step: u64) {
        self.step = step;
    }

    /// Replaces the context after a device move or autodiff transition (`crate::module`).
    pub(crate) fn set_ctx(&mut self, ctx: Ctx) {
        self.ctx = ctx;
    }

    /// Every trainable tensor by BrainPy-style key (`LIF0.tau`, `GABAa0.g_max`): BrainPy's
    /// `train_vars()`. Only these receive gradients and optimizer updates.
    pub fn train_vars(&self) -> Vec<(String, burn::module::Param<Tensor<2>>)> {
        crate::train::TrainVars::train_vars(self)
    }

    /// Parameters and states of every member under BrainPy-style keys, plus the step index
    /// (see [`crate::state_dict`]).
    pub fn state_dict(&self) -> Result<StateDict> {
        crate::state_dict::network_state_dict(self)
    }

    /// Loads a state dict strictly (keys, shapes and dtypes must match; nothing changes on
    /// error). Returns the (empty) missing and unexpected key lists.
    pub fn load_state_dict(&mut self, sd: &StateDict) -> Result<LoadResult> {
        self.load_state_dict_with(sd, &LoadOptions::default())
    }

    /// Loads a state dict with options (e.g. [`LoadOptions::lenient`], which returns the
    /// missing keys in this network's order and the unexpected ones in the dict's order).
    pub fn load_state_dict_with(
        &mut self,
        sd: &StateDict,
        opts: &LoadOptions,
    ) -> Result<LoadResult> {
        crate::state_dict::load_network(self, sd, opts)
    }

    /// Saves the state dict to one checkpoint file (burnpack with a checksum).
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.state_dict()?.save(path)
    }

    /// Loads a checkpoint file strictly (nothing changes on error).
    pub fn load(&mut self, path: impl AsRef<std::path::Path>) -> Result<LoadResult> {
        self.load_with(path, &LoadOptions::default())
    }

    /// Loads a checkpoint file with options (nothing changes on error).
    pub fn load_with(
        &mut self,
        path: impl AsRef<std::path::Path>,
        opts: &LoadOptions,
    ) -> Result<LoadResult> {
        let sd = StateDict::load(path)?;
        self.load_state_dict_with(&sd, opts)
    }

    fn check_member(&self, name: &str, mode: Mode) -> Result<()> {
        if self.name_taken(name) {
            return Err(Error::DuplicateName(name.to_string()));
        }
        if mode != self.mode {
            return Err(Error::Mode(format!(
                "`{name}` runs in {mode:?} but the network in {:?} (batch sizes and modes must match)",
                self.mode
            )));
        }
        Ok(())
    }

    fn name_taken(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g.name() == name)
            || self.synapses.iter().any(|s| s.name() == name)
    }

    /// Adds a neuron group; returns its name.
    pub fn add<G: NeuronGroup + 'static>(&mut self, group: G) -> Result<String> {
        self.add_boxed(Box::new(group))
    }

    /// Adds a boxed neuron group; returns its name.
    pub fn add_boxed(&mut self, group: Box<dyn NeuronGroup>) -> Result<String> {
        self.check_member(group.name(), group.mode())?;
        let name = group.name().to_string();
        self.groups.push(group);
        Ok(name)
    }

    /// Adds a synapse between two groups already in the network; returns its name.
    pub fn connect<S: Synapse + 'static>(&mut self, synapse: S) -> Result<String> {
        self.connect_boxed(Box::new(synapse))
    }

    /// Adds a boxed synapse; returns its name.
    pub fn connect_boxed(&mut self, synapse: Box<dyn Synapse>) -> Result<String> {
        self.check_member(synapse.name(), synapse.mode())?;
        let pre = self.group_index(synapse.pre())?;
        let post = self.group_index(synapse.post())?;
        let name = synapse.name().to_string();
        self.synapses.push(synapse);
        self.links.push((pre, post));
        Ok(name)
    }

    fn group_index(&self, name: &str) -> Result<usize> {
        self.groups
            .iter()
            .position(|g| g.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.groups.iter().map(|g| g.name()).collect();
                Error::unknown_key(name, format!("groups in the network: {known:?}"))
            })
    }

    /// The group `name`.
    pub fn group(&self, name: &str) -> Result<&dyn NeuronGroup> {
        Ok(self.groups[self.group_index(name)?].as_ref())
    }

    /// The group `name`, mutably (e.g. to add input).
    pub fn group_mut(&mut self, name: &str) -> Result<&mut dyn NeuronGroup> {
        let i = self.group_index(name)?;
        Ok(self.groups[i].as_mut())
    }

    /// The synapse `name`.
    pub fn synapse(&self, name: &str) -> Result<&dyn Synapse> {
        self.synapses
            .iter()
            .find(|s| s.name() == name)
            .map(|s| s.as_ref())
            .ok_or_else(|| Error::unknown_key(name, "no synapse of that name"))
    }

    /// The synapse `name`, mutably.
    pub fn synapse_mut(&mut self, name: &str) -> Result<&mut dyn Synapse> {
        match self.synapses.iter_mut().find(|s| s.name() == name) {
            Some(s) => Ok(s.as_mut()),
            None => Err(Error::unknown_key(name, "no synapse of that name")),
        }
    }

    /// All groups in insertion order.
    pub fn groups(&self) -> impl Iterator<Item = &dyn NeuronGroup> {
        self.groups.iter().map(|g| g.as_ref())
    }

    /// All synapses in insertion order.
    pub fn synapses(&self) -> impl Iterator<Item = &dyn Synapse> {
        self.synapses.iter().map(|s| s.as_ref())
    }

    /// Every member (groups, then synapses) as [`Dynamics`].
    pub fn members(&self) -> Vec<&dyn Dynamics> {
        let mut v: Vec<&dyn Dynamics> = Vec::new();
        for g in &self.groups {
            v.push(g.as_ref() as &dyn Dynamics);
        }
        for s in &self.synapses {
            v.push(s.as_ref() as &dyn Dynamics);
        }
        v
    }

    /// Every member, mutably.
    pub fn members_mut(&mut self) -> Vec<&mut dyn Dynamics> {
        let mut v: Vec<&mut dyn Dynamics> = Vec::new();
        for g in self.groups.iter_mut() {
            v.push(g.as_mut() as &mut dyn Dynamics);
        }
        for s in self.synapses.iter_mut() {
            v.push(s.as_mut() as &mut dyn Dynamics);
        }
        v
    }

    /// Adds `x` into the `input` of group `name`.
    pub fn add_input(&mut self, name: &str, x: Tensor<2>) -> Result<()> {
        self.group_mut(name)?.add_input(x)
    }

    /// One network step of size `dt` (inputs must already be added): synapses, neurons,
    /// delay pushes. Advances the step index.
    pub fn update(&mut self, dt: f64) -> Result<()> {
        let dt = check_dt(dt)?;
        let ts = StepTime::new(self.step, dt);
        for (k, syn) in self.synapses.iter_mut().enumerate() {
            let (pre, post) = self.links[k];
            if syn.reads_v() {
                let v_of = |g: &dyn NeuronGroup, side: &str| {
                    g.v().ok_or_else(|| {
                        Error::arg(
                            syn.name(),
                            format!("{side} group `{}` has no membrane potential V", g.name()),
                        )
                    })
                };
                let pre_v = v_of(self.groups[pre].as_ref(), "presynaptic")?;
                let post_v = v_of(self.groups[post].as_ref(), "postsynaptic")?;
                let out = syn.update_v(&ts, pre_v, post_v)?;
                if let Some(x) = out.into_post {
                    self.groups[post].add_input(x)?;
                }
                if let Some(x) = out.into_pre {
                    self.groups[pre].add_input(x)?;
                }
                continue;
            }
            let spike = self.groups[pre].spike().ok_or_else(|| {
                Error::arg(
                    syn.name(),
                    format!("presynaptic group `{}` has no spikes", syn.pre()),
                )
            })?;
            let v = self.groups[post].v();
            if let Some(out) = syn.update(&ts, &spike, v)? {
                match syn.target() {
                    OutputTarget::Input => self.groups[post].add_input(out)?,
                    OutputTarget::V => self.groups[post].add_to_v(out)?,
                }
            }
        }
        for g in self.groups.iter_mut() {
            g.update(&ts)?;
        }
        for (k, syn) in self.synapses.iter_mut().enumerate() {
            let (pre, _) = self.links[k];
            if syn.reads_v() {
                continue;
            }
            if let Some(spike) = self.groups[pre].spike() {
                syn.push(&spike)?;
            }
        }
        self.step += 1;
        Ok(())
    }

    /// Zeroes every group's `input` (the end of a runner step).
    pub fn clear_input(&mut self) {
        for g in self.groups.iter_mut() {
            g.clear_input();
        }
    }

    /// [`Network::update`] then [`Network::clear_input`].
    pub fn step(&mut self, dt: f64) -> Result<()> {
        self.update(dt)?;
        self.clear_input();
        Ok(())
    }

    /// Resets every member's state (the batch size may change, the axis may not appear or
    /// vanish) and the step index.
    pub fn reset_state(&mut self, batch: Option<usize>) -> Result<()> {
        let mode = self.mode.with_batch(batch)?;
        for m in self.members_mut() {
            m.reset_state(batch)?;
        }
        self.mode = mode;
        self.step = 0;
        Ok(())
    }

    /// Cuts the gradient history of every state (truncated BPTT).
    pub fn detach_states(&mut self) {
        for m in self.members_mut() {
            m.detach_states();
        }
    }
}
