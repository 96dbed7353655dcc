//! Fitting readouts without backpropagation: BrainPy 2.4.6's `SupportOffline` /
//! `SupportOnline` nodes and its `OfflineTrainer` / `RidgeTrainer` / `OnlineTrainer` /
//! `ForceTrainer` (`brainpy/_src/train/{offline,online}.py`).
//!
//! A model is anything that steps `[batch, features]` inputs and exposes the [`Dense`] readouts
//! to fit ([`FitModel`]); [`Sequential`] chains [`Node`]s (a [`crate::rates::Reservoir`] or
//! [`crate::rates::Nvar`], then a `Dense`). A model of one's own (a spiking reservoir of
//! brainburn neuron groups, a network fed back its readout's output) implements `FitModel`.
//!
//! Data are `[batch, time, features]` (BrainPy's `data_first_axis='B'`); series without a batch
//! axis are `[time, features]` through the trainers' `*_unbatched` methods. Targets are
//! `[batch, time, outputs]`, one per readout ([`Targets`]).

pub mod dense;
pub mod offline_trainer;
pub mod online_trainer;
pub mod sequential;

use burn::tensor::Tensor;

use crate::error::{Error, Result};

pub use dense::Dense;
pub use offline_trainer::{OfflineTrainer, RidgeTrainer};
pub use online_trainer::{ForceTrainer, OnlineTrainer};
pub use sequential::Sequential;

/// One step of a node: `[batch, in]` in, `[batch, out]` out.
pub trait Node: std::fmt::Debug {
    /// The node's name (readouts' targets are keyed by it).
    fn name(&self) -> &str;

    /// Output features.
    fn num_out(&self) -> usize;

    /// Zeroes the state for `batch` rows.
    fn reset_state(&mut self, batch: usize) -> Result<()>;

    /// Advances one step.
    fn update(&mut self, x: Tensor<2>) -> Result<Tensor<2>>;

    /// The node as a readout the trainers fit, if it is one.
    fn as_readout(&mut self) -> Option<&mut Dense>;
}

/// A network the trainers can run and whose readouts they fit.
pub trait FitModel {
    /// Zeroes every state for `batch` rows.
    fn reset_state(&mut self, batch: usize) -> Result<()>;

    /// Advances one step: `[batch, in]` to the network's output `[batch, out]`.
    fn update(&mut self, x: Tensor<2>) -> Result<Tensor<2>>;

    /// The readouts to fit, in a fixed order (BrainPy's nodes in training mode).
    fn readouts_mut(&mut self) -> Vec<&mut Dense>;
}

/// What the readouts are fitted to: one `[batch, time, out]` tensor when the model has one
/// readout, or one per readout name.
#[derive(Clone, Debug)]
pub enum Targets {
    /// The only readout's targets.
    One(Box<Tensor<3>>),
    /// Targets by readout name.
    Named(Vec<(String, Tensor<3>)>),
}

impl From<Tensor<3>> for Targets {
    fn from(t: Tensor<3>) -> Self {
        Targets::One(Box::new(t))
    }
}

impl Targets {
    /// The targets of each readout, in `names`' order (BrainPy's `format_ys`).
    pub(crate) fn resolve(self, names: &[String]) -> Result<Vec<Tensor<3>>> {
        match self {
            Targets::One(t) => {
                if names.len() != 1 {
                    return Err(Error::arg(
                        "targets",
                        format!(
                            "the model has {} readouts ({names:?}); give targets by name",
                            names.len()
                        ),
                    ));
                }
                Ok(vec![*t])
            }
            Targets::Named(mut v) => {
                if let Some((k, _)) = v.iter().find(|(k, _)| !names.contains(k)) {
                    return Err(Error::UnknownKey {
                        key: format!("targets.{k}"),
                        hint: format!(" (the readouts are {names:?})"),
                    });
                }
                names
                    .iter()
                    .map(|n| {
                        let pos = v.iter().position(|(k, _)| k == n).ok_or_else(|| {
                            Error::arg(format!("targets.{n}"), "no targets for this readout")
                        })?;
                        Ok(v.swap_remove(pos).1)
                    })
                    .collect()
            }
        }
    }
}

/// The readouts' names, checked unique and non-empty.
pub(crate) fn readout_names<M: FitModel>(model: &mut M) -> Result<Vec<String>> {
    let names: Vec<String> = model
        .readouts_mut()
        .iter()
        .map(|d| d.name().to_string())
        .collect();
    if names.is_empty() {
        return Err(Error::arg(
            "model",
            "has no readouts to fit (readouts_mut is empty)",
        ));
    }
    for (k, n) in names.iter().enumerate() {
        if names[..k].contains(n) {
            return Err(Error::DuplicateName(format!("readout {n}")));
        }
    }
    Ok(names)
}

/// Steps `model` over `xs: [batch, time, in]`, calling `after_step(t, model)` after each step,
/// and returns the outputs `[batch, time, out]`.
pub(crate) fn run_steps<M: FitModel>(
    model: &mut M,
    xs: &Tensor<3>,
    mut after_step: impl FnMut(usize, &mut M) -> Result<()>,
) -> Result<Tensor<3>> {
    let [b, t, f] = xs.dims();
    if t == 0 {
        return Err(Error::arg("inputs", "have no time steps"));
    }
    let mut outs = Vec::with_capacity(t);
    for k in 0..t {
        let x = xs.clone().narrow(1, k, 1).reshape([b, f]);
        outs.push(model.update(x)?);
        after_step(k, model)?;
    }
    Ok(Tensor::stack(outs, 1))
}

/// Runs `model` over `xs: [batch, time, in]` without recording (after `reset_state(batch)`
/// when asked): the trainers' `predict`.
pub(crate) fn predict<M: FitModel>(
    model: &mut M,
    xs: Tensor<3>,
    reset_state: bool,
) -> Result<Tensor<3>> {
    if reset_state {
        model.reset_state(xs.dims()[0])?;
    }
    run_steps(model, &xs, |_, _| Ok(()))
}

/// `[time, features]` as `[1, time, features]`.
pub(crate) fn batch_of_one(x: Tensor<2>) -> Tensor<3> {
    x.unsqueeze_dim(0)
}
