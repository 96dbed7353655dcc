//! Computing modes (BrainPy's `NonBatchingMode`, `BatchingMode`, `TrainingMode`).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a model runs: without a batch axis, with one, or with one and differentiable spikes.
///
/// States have shape `varshape` in `NonBatching` and `(batch, ...varshape)` otherwise. Spikes
/// are boolean except in `Training`, where they are floats (0/1) carrying a surrogate gradient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Mode {
    /// One simulation, no batch axis.
    #[default]
    NonBatching,
    /// `batch_size` independent simulations along a leading batch axis.
    Batching { batch_size: usize },
    /// Like `Batching`, with float spikes and surrogate gradients for BPTT.
    Training { batch_size: usize },
}

impl Mode {
    /// The batch size, `None` without a batch axis.
    pub fn batch_size(self) -> Option<usize> {
        match self {
            Mode::NonBatching => None,
            Mode::Batching { batch_size } | Mode::Training { batch_size } => Some(batch_size),
        }
    }

    /// Number of rows of the internal `[rows, num]` layout (1 without a batch axis).
    pub fn rows(self) -> usize {
        self.batch_size().unwrap_or(1)
    }

    /// Whether spikes carry surrogate gradients.
    pub fn is_training(self) -> bool {
        matches!(self, Mode::Training { .. })
    }

    /// Whether states have a batch axis.
    pub fn is_batched(self) -> bool {
        !matches!(self, Mode::NonBatching)
    }

    /// Checks the mode itself (a batch size of zero is an error).
    pub fn validate(self) -> Result<Self> {
        if self.batch_size() == Some(0) {
            return Err(Error::arg("batch_size", "must be at least 1"));
        }
        Ok(self)
    }

    /// The mode after `reset_state(batch)`: the batch size may change, but the batch axis can
    /// be neither added nor removed (as in BrainPy).
    pub fn with_batch(self, batch: Option<usize>) -> Result<Self> {
        match (self, batch) {
            (Mode::NonBatching, None) => Ok(self),
            (Mode::NonBatching, Some(b)) => Err(Error::Mode(format!(
                "cannot add a batch axis (batch size {b}) to a NonBatching model on reset_state"
            ))),
            (_, None) => Err(Error::Mode(
                "cannot remove the batch axis of a batched model on reset_state; pass a batch size"
                    .into(),
            )),
            (Mode::Batching { .. }, Some(b)) => Mode::Batching { batch_size: b }.validate(),
            (Mode::Training { .. }, Some(b)) => Mode::Training { batch_size: b }.validate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_may_change_batch_size_but_not_the_axis() {
        let m = Mode::Batching { batch_size: 2 };
        assert_eq!(
            m.with_batch(Some(5)).unwrap(),
            Mode::Batching { batch_size: 5 }
        );
        assert!(matches!(m.with_batch(None), Err(Error::Mode(_))));
        assert!(matches!(
            Mode::NonBatching.with_batch(Some(3)),
            Err(Error::Mode(_))
        ));
        assert_eq!(
            Mode::NonBatching.with_batch(None).unwrap(),
            Mode::NonBatching
        );
        assert!(
            Mode::Training { batch_size: 1 }
                .with_batch(Some(0))
                .is_err()
        );
    }
}
