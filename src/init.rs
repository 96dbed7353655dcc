//! Initializers (BrainPy's `bp.init`): seeded, drawn on the host so that every backend gets the
//! same numbers (Burn's device RNGs differ between backends).

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How to fill a parameter or a state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Initializer {
    /// Every element equals `value` (BrainPy `Constant`).
    Constant { value: f64 },
    /// Zeros (BrainPy `ZeroInit`).
    Zero,
    /// Every element equals `value` (BrainPy `OneInit(value=1.)`).
    OneInit { value: f64 },
    /// Uniform in `[min, max)`, seeded (BrainPy `Uniform`).
    Uniform { min: f64, max: f64, seed: u64 },
    /// Normal with `mean` and standard deviation `std`, seeded (BrainPy `Normal`).
    Normal { mean: f64, std: f64, seed: u64 },
    /// Explicit values for the unbatched shape; repeated along a batch axis.
    Values { values: Vec<f64> },
}

impl Initializer {
    /// `Constant { value }`.
    pub fn constant(value: f64) -> Self {
        Initializer::Constant { value }
    }

    /// `Uniform { min, max, seed }`.
    pub fn uniform(min: f64, max: f64, seed: u64) -> Self {
        Initializer::Uniform { min, max, seed }
    }

    /// `Normal { mean, std, seed }`.
    pub fn normal(mean: f64, std: f64, seed: u64) -> Self {
        Initializer::Normal { mean, std, seed }
    }

    /// Checks the initializer's own arguments (`what` names the parameter or state it fills).
    pub fn validate(&self, what: &str) -> Result<()> {
        let finite = |x: f64, a: &str| {
            if x.is_finite() {
                Ok(())
            } else {
                Err(Error::arg(
                    format!("{what}.{a}"),
                    format!("must be finite, got {x}"),
                ))
            }
        };
        match self {
            Initializer::Constant { value } | Initializer::OneInit { value } => {
                finite(*value, "value")
            }
            Initializer::Zero => Ok(()),
            Initializer::Uniform { min, max, .. } => {
                finite(*min, "min")?;
                finite(*max, "max")?;
                if min >= max {
                    return Err(Error::arg(
                        what,
                        format!("Uniform needs min < max, got [{min}, {max})"),
                    ));
                }
                Ok(())
            }
            Initializer::Normal { mean, std, .. } => {
                finite(*mean, "mean")?;
                finite(*std, "std")?;
                if *std < 0.0 {
                    return Err(Error::arg(
                        format!("{what}.std"),
                        format!("must be >= 0, got {std}"),
                    ));
                }
                Ok(())
            }
            Initializer::Values { values } => {
                if let Some(x) = values.iter().find(|x| !x.is_finite()) {
                    return Err(Error::arg(what, format!("values must be finite, got {x}")));
                }
                Ok(())
            }
        }
    }

    /// [`validate`](Self::validate), and for `Values` that there is one value per element of
    /// `unbatched` (checked when a group is built, before any state is filled).
    pub fn validate_for(&self, what: &str, unbatched: &[usize]) -> Result<()> {
        self.validate(what)?;
        let num: usize = unbatched.iter().product();
        match self {
            Initializer::Values { values } if values.len() != num => Err(Error::ShapeMismatch {
                what: what.to_string(),
                expected: unbatched.to_vec(),
                got: vec![values.len()],
            }),
            _ => Ok(()),
        }
    }

    /// Values for a state or parameter.
    ///
    /// `unbatched` is the shape without batch axis and `rows` the number of batch rows (1 without
    /// a batch axis). Random initializers draw `rows * num` numbers in row-major order, as
    /// BrainPy draws them for the full `(batch, ...varshape)` shape; `Values` must match
    /// `unbatched` and is repeated per row.
    pub fn generate(&self, what: &str, unbatched: &[usize], rows: usize) -> Result<Vec<f64>> {
        self.validate(what)?;
        let num: usize = unbatched.iter().product();
        let total = num * rows;
        Ok(match self {
            Initializer::Constant { value } | Initializer::OneInit { value } => vec![*value; total],
            Initializer::Zero => vec![0.0; total],
            Initializer::Uniform { min, max, seed } => {
                let mut rng = StdRng::seed_from_u64(*seed);
                let dist = Uniform::new(*min, *max)
                    .map_err(|e| Error::arg(what, format!("bad Uniform bounds: {e}")))?;
                (0..total).map(|_| dist.sample(&mut rng)).collect()
            }
            Initializer::Normal { mean, std, seed } => {
                let mut rng = StdRng::seed_from_u64(*seed);
                let dist = Normal::new(*mean, *std)
                    .map_err(|e| Error::arg(what, format!("bad Normal parameters: {e}")))?;
                (0..total).map(|_| dist.sample(&mut rng)).collect()
            }
            Initializer::Values { values } => {
                if values.len() != num {
                    return Err(Error::ShapeMismatch {
                        what: what.to_string(),
                        expected: unbatched.to_vec(),
                        got: vec![values.len()],
                    });
                }
                values.iter().cycle().take(total).copied().collect()
            }
        })
    }
}

impl From<f64> for Initializer {
    fn from(value: f64) -> Self {
        Initializer::Constant { value }
    }
}

impl From<Vec<f64>> for Initializer {
    fn from(values: Vec<f64>) -> Self {
        Initializer::Values { values }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_draws_repeat_and_respect_bounds() {
        let u = Initializer::uniform(-70.0, -60.0, 3);
        let a = u.generate("V", &[50], 2).unwrap();
        assert_eq!(a, u.generate("V", &[50], 2).unwrap());
        assert_eq!(a.len(), 100);
        assert!(a.iter().all(|&x| (-70.0..-60.0).contains(&x)));
        let n = Initializer::normal(-55.0, 2.0, 1)
            .generate("V", &[4000], 1)
            .unwrap();
        let mean = n.iter().sum::<f64>() / n.len() as f64;
        let var = n.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n.len() as f64;
        assert!((mean + 55.0).abs() < 0.1, "mean {mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.1, "std {}", var.sqrt());
    }

    #[test]
    fn values_repeat_per_row_and_check_length() {
        let v = Initializer::from(vec![1.0, 2.0]);
        assert_eq!(
            v.generate("x", &[2], 3).unwrap(),
            vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
        );
        assert!(matches!(
            v.generate("x", &[3], 1),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(
            Initializer::uniform(1.0, 1.0, 0)
                .generate("w", &[1], 1)
                .is_err()
        );
        assert!(Initializer::normal(0.0, -1.0, 0).validate("w").is_err());
        assert!(v.validate_for("x", &[2]).is_ok());
        assert!(matches!(
            v.validate_for("x", &[3]),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}
