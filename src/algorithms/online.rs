//! Online (one step at a time) readout fits: BrainPy 2.4.6's `brainpy/algorithms/online.py`,
//! on the host in float64.
//!
//! At each step a readout with input `x: [batch, in]` (a ones column first when it has a bias),
//! output `y: [batch, out]` and target `t: [batch, out]` asks its algorithm for `ΔW: [in, out]`.
//!
//! | algorithm | BrainPy default | state | update |
//! |---|---|---|---|
//! | [`Rls`] (FORCE) | `alpha = 0.1` (`ForceTrainer`: 1.0) | `P = α·I` per readout | `k = P·xᵀ`, `c = Σ 1/(1 + x·k)`, `P ← P − c·k·kᵀ`, `ΔW = −c·k·(y − t)` |
//! | [`Lms`] | `alpha = 0.1` | none | `ΔW = −α·Σ_b x_bᵀ·(y_b − t_b)` |
//!
//! BrainPy's RLS sums `1/(1 + x·k)` over every element of the `[batch, batch]` matrix `x·P·xᵀ`
//! (for one sample per step, the textbook gain); brainburn does the same.

use std::fmt;

use super::linalg::Mat;
use crate::error::{Error, Result};

/// An online training algorithm (BrainPy's `OnlineAlgorithm`). Each readout owns its own
/// instance: [`OnlineAlgorithm::init`] sizes its state (RLS's `P`).
pub trait OnlineAlgorithm: fmt::Debug + Send + Sync {
    /// BrainPy's class name.
    fn name(&self) -> &'static str;

    /// Sets up the state for `feature_in` input features (bias column included). BrainPy's
    /// `register_target`.
    fn init(&mut self, feature_in: usize) -> Result<()>;

    /// The weight change for one step: `input: [batch, in]`, `output` and `target:
    /// [batch, out]`.
    fn step(&mut self, target: &Mat, input: &Mat, output: &Mat) -> Result<Mat>;

    /// A copy behind a box (with its state).
    fn clone_box(&self) -> Box<dyn OnlineAlgorithm>;
}

impl Clone for Box<dyn OnlineAlgorithm> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

fn check_alpha(what: &str, alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::arg(
            format!("{what}.alpha"),
            format!("must be finite and > 0, got {alpha}"),
        ));
    }
    Ok(())
}

fn check_step(what: &str, target: &Mat, input: &Mat, output: &Mat) -> Result<()> {
    if target.shape() != output.shape() {
        return Err(Error::ShapeMismatch {
            what: format!("{what}: target"),
            expected: vec![output.nrows(), output.ncols()],
            got: vec![target.nrows(), target.ncols()],
        });
    }
    if input.nrows() != output.nrows() {
        return Err(Error::ShapeMismatch {
            what: format!("{what}: input"),
            expected: vec![output.nrows(), input.ncols()],
            got: vec![input.nrows(), input.ncols()],
        });
    }
    Ok(())
}

/// Recursive least squares (the FORCE rule of Sussillo & Abbott 2009).
#[derive(Clone, Debug, PartialEq)]
pub struct Rls {
    /// `P`'s initial scale, `P₀ = α·I` (BrainPy calls it the learning rate).
    pub alpha: f64,
    /// The inverse-correlation estimate `P: [in, in]`, once [`OnlineAlgorithm::init`] ran.
    pub p: Option<Mat>,
}

impl Rls {
    /// RLS with `P₀ = alpha·I`.
    pub fn new(alpha: f64) -> Self {
        Rls { alpha, p: None }
    }
}

impl Default for Rls {
    fn default() -> Self {
        Rls::new(0.1)
    }
}

impl OnlineAlgorithm for Rls {
    fn name(&self) -> &'static str {
        "RLS"
    }

    fn init(&mut self, feature_in: usize) -> Result<()> {
        check_alpha(self.name(), self.alpha)?;
        self.p = Some(Mat::identity(feature_in, feature_in) * self.alpha);
        Ok(())
    }

    fn step(&mut self, target: &Mat, input: &Mat, output: &Mat) -> Result<Mat> {
        check_step(self.name(), target, input, output)?;
        let name = self.name();
        let p = self
            .p
            .as_mut()
            .ok_or_else(|| Error::Mode(format!("{name}: init was not called before step")))?;
        if p.nrows() != input.ncols() {
            return Err(Error::ShapeMismatch {
                what: format!("{name}: input features"),
                expected: vec![input.nrows(), p.nrows()],
                got: vec![input.nrows(), input.ncols()],
            });
        }
        let k = &*p * input.transpose(); // [in, batch]
        let hph = input * &k; // [batch, batch]
        let c: f64 = hph.iter().map(|v| 1.0 / (1.0 + v)).sum();
        let new_p = &*p - (&k * k.transpose()) * c;
        let dw = (&k * (output - target)) * (-c);
        if !c.is_finite() || new_p.iter().any(|v| !v.is_finite()) {
            return Err(Error::arg(
                name,
                format!("the update is not finite (gain c = {c}); P is left unchanged"),
            ));
        }
        *p = new_p;
        Ok(dw)
    }

    fn clone_box(&self) -> Box<dyn OnlineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Least mean squares (Widrow–Hoff).
#[derive(Clone, Debug, PartialEq)]
pub struct Lms {
    /// The learning rate.
    pub alpha: f64,
}

impl Default for Lms {
    fn default() -> Self {
        Lms { alpha: 0.1 }
    }
}

impl OnlineAlgorithm for Lms {
    fn name(&self) -> &'static str {
        "LMS"
    }

    fn init(&mut self, _feature_in: usize) -> Result<()> {
        check_alpha(self.name(), self.alpha)
    }

    fn step(&mut self, target: &Mat, input: &Mat, output: &Mat) -> Result<Mat> {
        check_step(self.name(), target, input, output)?;
        Ok((input.transpose() * (output - target)) * (-self.alpha))
    }

    fn clone_box(&self) -> Box<dyn OnlineAlgorithm> {
        Box::new(self.clone())
    }
}

/// The shortcut names of BrainPy's `get_supported_online_methods()`.
pub const ONLINE_METHODS: [&str; 2] = ["rls", "lms"];

/// The algorithm with BrainPy's defaults for a shortcut name (`"rls"`, `"lms"`).
pub fn online_method(name: &str) -> Result<Box<dyn OnlineAlgorithm>> {
    match name {
        "rls" => Ok(Box::new(Rls::default())),
        "lms" => Ok(Box::new(Lms::default())),
        _ => Err(Error::arg(
            "fit_method",
            format!("unknown online method `{name}` (one of: {ONLINE_METHODS:?})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::linalg::from_rows;

    #[test]
    fn rls_learns_a_linear_map_in_a_few_steps() {
        // Targets y = x·[2, -1]ᵀ; RLS with a large P₀ converges in about `in` steps.
        let mut rls = Rls::new(1e4);
        rls.init(2).unwrap();
        let mut w = Mat::zeros(2, 1);
        for k in 0..20 {
            let a = (k as f64 * 0.7).sin();
            let x = from_rows(1, 2, &[1.0, a]);
            let t = from_rows(1, 1, &[2.0 - a]);
            let y = &x * &w;
            w += rls.step(&t, &x, &y).unwrap();
        }
        assert!(
            (w[(0, 0)] - 2.0).abs() < 1e-3 && (w[(1, 0)] + 1.0).abs() < 1e-3,
            "{w}"
        );
    }

    #[test]
    fn lms_moves_against_the_error() {
        let mut lms = Lms { alpha: 0.5 };
        lms.init(1).unwrap();
        let x = from_rows(1, 1, &[2.0]);
        let dw = lms
            .step(&from_rows(1, 1, &[1.0]), &x, &from_rows(1, 1, &[0.0]))
            .unwrap();
        assert_eq!(dw[(0, 0)], 1.0);
    }

    #[test]
    fn shapes_and_state_are_checked() {
        let mut rls = Rls::default();
        let x = from_rows(1, 2, &[1.0, 0.0]);
        let t = Mat::zeros(1, 1);
        let e = rls.step(&t, &x, &t).unwrap_err().to_string();
        assert!(e.contains("init"), "{e}");
        rls.init(3).unwrap();
        let e = rls.step(&t, &x, &t).unwrap_err().to_string();
        assert!(e.contains("input features"), "{e}");
        let e = rls.step(&Mat::zeros(1, 2), &x, &t).unwrap_err().to_string();
        assert!(e.contains("target"), "{e}");
        assert!(Rls::new(0.0).init(2).is_err());
        assert!(online_method("force").is_err());
    }
}
