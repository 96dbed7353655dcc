//! `OfflineTrainer` and `RidgeTrainer`: run a model over the whole input, record what its
//! readouts see, then fit every readout at once. BrainPy 2.4.6:
//! `brainpy/_src/train/offline.py`.
//!
//! `fit(xs, targets, reset_state)` runs the model over `xs: [batch, time, in]` (after
//! `reset_state(batch)` when asked), fits each readout to its `[batch, time, out]` targets with
//! the trainer's algorithm ([`crate::algorithms::offline`]; BrainPy's default is ridge with
//! `alpha = 1e-7`) and returns the run's outputs. All readouts are solved before any is
//! assigned, so a failed fit changes no weights. `predict(xs, reset_state)` runs without
//! recording. The model's state carries over between calls unless reset, as in BrainPy.

use burn::tensor::Tensor;

use crate::algorithms::{OfflineAlgorithm, RidgeRegression};
use crate::error::Result;
use crate::fit::{FitModel, Targets, batch_of_one, readout_names, run_steps};

/// Fits a model's readouts offline (see the module doc).
#[derive(Debug)]
pub struct OfflineTrainer<M: FitModel> {
    model: M,
    method: Box<dyn OfflineAlgorithm>,
}

/// BrainPy's `RidgeTrainer`: an [`OfflineTrainer`] with ridge regression.
pub struct RidgeTrainer;

impl RidgeTrainer {
    /// An offline trainer fitting by ridge regression with coefficient `alpha`
    /// (BrainPy's default `1e-7`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new<M: FitModel>(model: M, alpha: f64) -> Result<OfflineTrainer<M>> {
        OfflineTrainer::new(model, Box::new(RidgeRegression::new(alpha)))
    }
}

impl<M: FitModel> OfflineTrainer<M> {
    /// A trainer for `model`'s readouts (an error if it has none).
    pub fn new(mut model: M, method: Box<dyn OfflineAlgorithm>) -> Result<Self> {
        readout_names(&mut model)?;
        Ok(OfflineTrainer { model, method })
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, mutably.
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The model back.
    pub fn into_model(self) -> M {
        self.model
    }

    /// The algorithm.
    pub fn method(&self) -> &dyn OfflineAlgorithm {
        self.method.as_ref()
    }

    /// Runs over `xs: [batch, time, in]`, fits the readouts to `targets`, and returns the
    /// outputs of the run `[batch, time, out]` (computed with the weights before the fit).
    pub fn fit(
        &mut self,
        xs: Tensor<3>,
        targets: impl Into<Targets>,
        reset_state: bool,
    ) -> Result<Tensor<3>> {
        let names = readout_names(&mut self.model)?;
        let targets = targets.into().resolve(&names)?;
        if reset_state {
            self.model.reset_state(xs.dims()[0])?;
        }
        self.model
            .readouts_mut()
            .into_iter()
            .for_each(|d| d.record_offline());
        let run = run_steps(&mut self.model, &xs, |_, _| Ok(()));
        let solved = run.and_then(|outs| {
            let readouts = self.model.readouts_mut();
            let solved = readouts
                .iter()
                .zip(targets)
                .map(|(d, t)| d.offline_solve(self.method.as_ref(), t))
                .collect::<Result<Vec<_>>>()?;
            Ok((outs, solved))
        });
        let mut readouts = self.model.readouts_mut();
        readouts.iter_mut().for_each(|d| d.stop_recording());
        let (outs, solved) = solved?;
        for (d, (w, b)) in readouts.into_iter().zip(solved) {
            d.assign(&w, b);
        }
        Ok(outs)
    }

    /// [`OfflineTrainer::fit`] for one series without a batch axis: `xs: [time, in]`, targets
    /// `[time, out]`.
    pub fn fit_unbatched(
        &mut self,
        xs: Tensor<2>,
        targets: Tensor<2>,
        reset_state: bool,
    ) -> Result<Tensor<2>> {
        let out = self.fit(batch_of_one(xs), batch_of_one(targets), reset_state)?;
        Ok(out.squeeze_dim(0))
    }

    /// Runs over `xs: [batch, time, in]` and returns the outputs.
    pub fn predict(&mut self, xs: Tensor<3>, reset_state: bool) -> Result<Tensor<3>> {
        crate::fit::predict(&mut self.model, xs, reset_state)
    }

    /// [`OfflineTrainer::predict`] for `[time, in]`.
    pub fn predict_unbatched(&mut self, xs: Tensor<2>, reset_state: bool) -> Result<Tensor<2>> {
        Ok(self.predict(batch_of_one(xs), reset_state)?.squeeze_dim(0))
    }
}
