//! Model states under BrainPy's names (`V`, `h`, `n`, `input`, `spike`, `g`, ...).
//!
//! Internally every state is a `[rows, cols]` tensor (`rows` = batch size, 1 without a batch
//! axis); users and `state_dict` see BrainPy's shapes (`varshape` or `(batch, ...varshape)`),
//! see [`StateSet::user_shape`]. Each state remembers how it is initialised, so `reset_state`
//! is one generic function.

use burn::tensor::{Bool, Tensor, TensorData};

use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::mode::Mode;
use crate::spikes::Spikes;

/// A state tensor.
#[derive(Clone, Debug)]
pub enum StateTensor {
    /// A float state.
    Float(Tensor<2>),
    /// A boolean state.
    Bool(Tensor<2, Bool>),
}

impl StateTensor {
    /// `[rows, cols]`.
    pub fn dims(&self) -> [usize; 2] {
        match self {
            StateTensor::Float(t) => t.dims(),
            StateTensor::Bool(t) => t.dims(),
        }
    }

    /// Moves the tensor to `ctx`'s device.
    pub fn to_device(self, ctx: &Ctx) -> Self {
        match self {
            StateTensor::Float(t) => StateTensor::Float(t.to_device(&ctx.device)),
            StateTensor::Bool(t) => StateTensor::Bool(t.to_device(&ctx.device)),
        }
    }

    /// Without gradient history.
    pub fn detach(self) -> Self {
        match self {
            StateTensor::Float(t) => StateTensor::Float(t.detach()),
            b => b,
        }
    }

    /// The values (a device read-back).
    pub fn to_data(&self) -> Result<TensorData> {
        let r = match self {
            StateTensor::Float(t) => t.try_to_data(),
            StateTensor::Bool(t) => t.try_to_data(),
        };
        r.map_err(|e| Error::Backend(format!("{e:?}")))
    }
}

/// How a state is (re)initialised.
#[derive(Clone, Debug)]
pub enum StateInit {
    /// A float state from an initializer (called with the unbatched shape, repeated or drawn
    /// per batch row as BrainPy does).
    Float(Initializer),
    /// A boolean state, all false.
    BoolFalse,
    /// A spike state: bool false outside Training, float zeros in Training.
    Spike,
}

#[derive(Clone, Debug)]
struct Entry {
    key: String,
    init: StateInit,
    unbatched: Vec<usize>,
    value: Option<StateTensor>,
}

/// The states of one model.
#[derive(Clone, Debug, Default)]
pub struct StateSet {
    entries: Vec<Entry>,
    rows: usize,
}

impl StateSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a state with its unbatched (user) shape; it is created by [`StateSet::reset`].
    pub fn declare(&mut self, key: &str, init: StateInit, unbatched: Vec<usize>) {
        assert!(
            self.entries.iter().all(|e| e.key != key),
            "state `{key}` declared twice"
        );
        self.entries.push(Entry {
            key: key.to_string(),
            init,
            unbatched,
            value: None,
        });
    }

    /// (Re)creates every state for `mode` on `ctx`.
    pub fn reset(&mut self, ctx: &Ctx, mode: Mode) -> Result<()> {
        let rows = mode.rows();
        let mut fresh = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let cols: usize = e.unbatched.iter().product();
            let value = match &e.init {
                StateInit::Float(init) => {
                    let v = init.generate(&e.key, &e.unbatched, rows)?;
                    StateTensor::Float(ctx.tensor(v, [rows, cols]))
                }
                StateInit::BoolFalse => {
                    StateTensor::Bool(ctx.zeros([rows, cols]).greater_elem(0.0))
                }
                StateInit::Spike => {
                    let z = ctx.zeros([rows, cols]);
                    if mode.is_training() {
                        StateTensor::Float(z)
                    } else {
                        StateTensor::Bool(z.greater_elem(0.0))
                    }
                }
            };
            fresh.push(value);
        }
        for (e, v) in self.entries.iter_mut().zip(fresh) {
            e.value = Some(v);
        }
        self.rows = rows;
        Ok(())
    }

    /// Number of batch rows (1 without a batch axis).
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn entry(&self, key: &str) -> &Entry {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("state `{key}` was never declared"))
    }

    /// Whether `key` is declared.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// The state `key`. Panics for an undeclared key (a programmer bug).
    pub fn get(&self, key: &str) -> &StateTensor {
        self.entry(key)
            .value
            .as_ref()
            .unwrap_or_else(|| panic!("state `{key}` used before reset"))
    }

    /// The float state `key`.
    pub fn f(&self, key: &str) -> Tensor<2> {
        match self.get(key) {
            StateTensor::Float(t) => t.clone(),
            StateTensor::Bool(_) => panic!("state `{key}` is boolean, not float"),
        }
    }

    /// The spike state `key`.
    pub fn spikes(&self, key: &str) -> Spikes {
        match self.get(key) {
            StateTensor::Float(t) => Spikes::Float(t.clone()),
            StateTensor::Bool(t) => Spikes::Bool(t.clone()),
        }
    }

    /// Replaces the state `key` (same kind and shape; checked in debug builds).
    pub fn set(&mut self, key: &str, value: StateTensor) {
        let e = self
            .entries
            .iter_mut()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("state `{key}` was never declared"));
        debug_assert!(
            e.value
                .as_ref()
                .is_none_or(|old| old.dims() == value.dims()),
            "state `{key}` changed shape"
        );
        e.value = Some(value);
    }

    /// Replaces the float state `key`.
    pub fn set_f(&mut self, key: &str, value: Tensor<2>) {
        self.set(key, StateTensor::Float(value));
    }

    /// Replaces the spike state `key`.
    pub fn set_spikes(&mut self, key: &str, value: Spikes) {
        self.set(
            key,
            match value {
                Spikes::Bool(b) => StateTensor::Bool(b),
                Spikes::Float(f) => StateTensor::Float(f),
            },
        );
    }

    /// The unbatched (user) shape of `key`.
    pub fn unbatched_shape(&self, key: &str) -> &[usize] {
        &self.entry(key).unbatched
    }

    /// The user-visible shape of `key` in `mode`: `unbatched` or `[batch, ...unbatched]`.
    pub fn user_shape(&self, key: &str, mode: Mode) -> Vec<usize> {
        let mut s = Vec::new();
        if let Some(b) = mode.batch_size() {
            s.push(b);
        }
        s.extend(self.entry(key).unbatched.iter().copied());
        s
    }

    /// All states in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &StateTensor)> {
        self.entries
            .iter()
            .filter_map(|e| e.value.as_ref().map(|v| (e.key.as_str(), v)))
    }

    /// Applies `f` to every state (device moves, detaching).
    pub fn map(&mut self, mut f: impl FnMut(StateTensor) -> StateTensor) {
        for e in self.entries.iter_mut() {
            if let Some(v) = e.value.take() {
                e.value = Some(f(v));
            }
        }
    }

    /// Cuts the gradient history of every state (truncated BPTT between windows).
    pub fn detach(&mut self) {
        self.map(StateTensor::detach);
    }
}
