//! `OnlineTrainer` and `ForceTrainer`: fit readouts at every step while the model runs.
//! BrainPy 2.4.6: `brainpy/_src/train/online.py`.
//!
//! At construction each readout gets its own copy of the algorithm (`online_init`: RLS's
//! `P = α·I`), kept across `fit` calls as BrainPy keeps it. `fit(xs, targets, reset_state)`
//! runs over `xs: [batch, time, in]`; after the model's step `t`, each readout's weights move
//! by the algorithm's `ΔW` for that step's record and `targets[:, t]` (BrainPy's
//! `_step_func_fit`), so the output of step `t` is computed with the weights fitted up to
//! `t − 1`. It returns those outputs. A step that fails (non-finite record or target) stops
//! the fit with an error; the updates of earlier steps stay, as in BrainPy.

use burn::tensor::Tensor;

use crate::algorithms::linalg::{Mat, from_rows};
use crate::algorithms::{OnlineAlgorithm, Rls};
use crate::error::{Error, Result};
use crate::fit::{FitModel, Targets, batch_of_one, readout_names, run_steps};

/// Fits a model's readouts online (see the module doc).
#[derive(Debug)]
pub struct OnlineTrainer<M: FitModel> {
    model: M,
    method: Box<dyn OnlineAlgorithm>,
}

/// BrainPy's `ForceTrainer`: an [`OnlineTrainer`] with RLS (FORCE learning).
pub struct ForceTrainer;

impl ForceTrainer {
    /// An online trainer fitting by RLS with `P₀ = alpha·I` (BrainPy's default `alpha = 1`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new<M: FitModel>(model: M, alpha: f64) -> Result<OnlineTrainer<M>> {
        OnlineTrainer::new(model, Box::new(Rls::new(alpha)))
    }
}

impl<M: FitModel> OnlineTrainer<M> {
    /// A trainer for `model`'s readouts (an error if it has none or the algorithm's
    /// parameters are bad).
    pub fn new(mut model: M, method: Box<dyn OnlineAlgorithm>) -> Result<Self> {
        readout_names(&mut model)?;
        for d in model.readouts_mut() {
            d.online_init(method.as_ref())?;
        }
        Ok(OnlineTrainer { model, method })
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

    /// The algorithm (its template; each readout holds its own state).
    pub fn method(&self) -> &dyn OnlineAlgorithm {
        self.method.as_ref()
    }

    /// Runs over `xs: [batch, time, in]`, fitting every readout after every step; returns the
    /// outputs `[batch, time, out]`.
    pub fn fit(
        &mut self,
        xs: Tensor<3>,
        targets: impl Into<Targets>,
        reset_state: bool,
    ) -> Result<Tensor<3>> {
        let names = readout_names(&mut self.model)?;
        let [b, t, _] = xs.dims();
        let mut host = Vec::with_capacity(names.len());
        for (name, y) in names.iter().zip(targets.into().resolve(&names)?) {
            let [yb, yt, yo] = y.dims();
            if yb != b || yt != t {
                return Err(Error::ShapeMismatch {
                    what: format!("targets.{name} ([batch, time, out] of the inputs)"),
                    expected: vec![b, t, yo],
                    got: vec![yb, yt, yo],
                });
            }
            host.push((yo, crate::tensor_io::to_f64_vec(y)?));
        }
        if reset_state {
            self.model.reset_state(b)?;
        }
        self.model
            .readouts_mut()
            .into_iter()
            .for_each(|d| d.record_online());
        let run = run_steps(&mut self.model, &xs, |k, model| {
            for (d, (o, y)) in model.readouts_mut().into_iter().zip(&host) {
                let rows: Vec<f64> = (0..b)
                    .flat_map(|bi| {
                        let at = (bi * t + k) * o;
                        y[at..at + o].iter().copied()
                    })
                    .collect();
                let target: Mat = from_rows(b, *o, &rows);
                d.online_fit(&target)?;
            }
            Ok(())
        });
        self.model
            .readouts_mut()
            .into_iter()
            .for_each(|d| d.stop_recording());
        run
    }

    /// [`OnlineTrainer::fit`] for one series without a batch axis: `xs: [time, in]`, targets
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

    /// Runs over `xs: [batch, time, in]` without fitting and returns the outputs.
    pub fn predict(&mut self, xs: Tensor<3>, reset_state: bool) -> Result<Tensor<3>> {
        crate::fit::predict(&mut self.model, xs, reset_state)
    }

    /// [`OnlineTrainer::predict`] for `[time, in]`.
    pub fn predict_unbatched(&mut self, xs: Tensor<2>, reset_state: bool) -> Result<Tensor<2>> {
        Ok(self.predict(batch_of_one(xs), reset_state)?.squeeze_dim(0))
    }
}
