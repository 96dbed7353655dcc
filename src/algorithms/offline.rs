//! Offline (closed-form and batch gradient-descent) readout fits: BrainPy 2.4.6's
//! `brainpy/algorithms/offline.py`, computed on the host in float64.
//!
//! Every algorithm maps `targets: [n, out]` and `inputs: [n, in]` (samples in rows; the trainers
//! flatten `[batch, time, ·]` batch-major as BrainPy does) to weights `W: [in', out]` with
//! predictions `X'·W` (`X'` the algorithm's features of `X`).
//!
//! | algorithm | BrainPy defaults | fit |
//! |---|---|---|
//! | [`LinearRegression`] | `gradient_descent=False`, `max_iter=1000`, `learning_rate=1e-3` | `lstsq(X, Y)` |
//! | [`RidgeRegression`] | `alpha=1e-7`, closed form | `pinv(XᵀX + αI)·XᵀY` (no `αI` when `α = 0`; a singular `XᵀX` with `α = 0` is an error) |
//! | [`LassoRegression`] | `alpha=1`, `degree=2`, gradient descent only | GD on `normalize(poly(X))` with `α·sign(W)` |
//! | [`LogisticRegression`] | `learning_rate=0.1`, `max_iter=4000`, GD | GD or Newton (IRLS) on `σ(X·w)`, one target |
//! | [`PolynomialRegression`] | `degree=2`, `gradient_descent=True` | linear regression on `poly(X)` |
//! | [`PolynomialRidgeRegression`] | `alpha=1`, `degree=2`, `gradient_descent=True` | ridge on `poly(X)` |
//! | [`ElasticNetRegression`] | `alpha=1`, `degree=2`, `l1_ratio=0.5`, GD only | GD on `normalize(poly(X, bias))` with `α(ρ·sign W + (1-ρ)W)` |
//!
//! Gradient descent is BrainPy's `gradient_descent_solve`: `W ← W − lr·(Xᵀ(XW − Y) + ∇R(W))`
//! (a sum over samples, not a mean), starting from `W₀ ~ U(−1/√in', 1/√in')` (seeded here, see
//! [`WeightInit`]), and stopping after `max_iter` steps or when `allclose(W_old, W_new)`
//! (`|a − b| ≤ 1e-8 + 1e-5·|b|` everywhere, numpy's defaults). BrainPy seeds the loop with
//! `W_old = W₀ − 1e-8`, already "close" to `W₀`, so its loop would stop before the first step;
//! brainburn seeds it with `W₀ + 1` as BrainPy's own `LogisticRegression` does.
//!
//! Where BrainPy 2.4.6 cannot run its own code (all its gradient-descent solvers call `.value`
//! on a traced array and fail; `LogisticRegression` also indexes `targets.shape[1]` after
//! flattening the targets), brainburn runs what the code evidently means — the same loop, and
//! logistic weights of shape `[in', 1]` — and the oracle (`tools/oracle_extra/gen_reservoir.py`)
//! patches exactly those lines in BrainPy. `ElasticNetRegression` fits on
//! `polynomial_features(X, degree)` with that function's default bias column whatever its
//! `add_bias` (BrainPy's `call`); its `predict` uses the same features (BrainPy's uses
//! `add_bias` and fails on the shape when they differ).

use std::fmt;

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::features::{normalize, polynomial_features};
use super::linalg::{Mat, check_finite, lstsq, pinv, pinv_with_rank};
use crate::error::{Error, Result};

/// Weights fitted by an offline algorithm.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// `[features, outputs]` (the algorithm's features, see each algorithm).
    pub weights: Mat,
    /// Gradient-descent or Newton iterations run; `None` for closed forms.
    pub iterations: Option<usize>,
}

/// An offline training algorithm (BrainPy's `OfflineAlgorithm`).
pub trait OfflineAlgorithm: fmt::Debug + Send + Sync {
    /// BrainPy's class name.
    fn name(&self) -> &'static str;

    /// Fits weights to `targets: [n, out]` from `inputs: [n, in]`.
    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit>;

    /// The algorithm's features of `inputs` (identity for linear and ridge regression).
    fn features(&self, inputs: &Mat) -> Mat {
        inputs.clone()
    }

    /// Predictions `features(x)·w`.
    fn predict(&self, w: &Mat, x: &Mat) -> Result<Mat> {
        let f = self.features(x);
        if f.ncols() != w.nrows() {
            return Err(Error::ShapeMismatch {
                what: format!("{}.predict: weights", self.name()),
                expected: vec![f.ncols(), w.ncols()],
                got: vec![w.nrows(), w.ncols()],
            });
        }
        Ok(f * w)
    }

    /// A copy behind a box.
    fn clone_box(&self) -> Box<dyn OfflineAlgorithm>;
}

impl Clone for Box<dyn OfflineAlgorithm> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Where gradient descent starts.
#[derive(Clone, Debug, PartialEq)]
pub enum WeightInit {
    /// BrainPy's `init_weights`: `U(−1/√in, 1/√in)`, drawn from this seed.
    Uniform {
        /// The seed of the draw.
        seed: u64,
    },
    /// These weights (`[features, outputs]`; what the oracle uses, since BrainPy draws its
    /// own from its global generator).
    Given(Mat),
}

impl Default for WeightInit {
    fn default() -> Self {
        WeightInit::Uniform { seed: 0 }
    }
}

impl WeightInit {
    fn weights(&self, what: &str, rows: usize, cols: usize) -> Result<Mat> {
        match self {
            WeightInit::Uniform { seed } => {
                let limit = 1.0 / (rows as f64).sqrt();
                let mut rng = StdRng::seed_from_u64(*seed);
                Ok(Mat::from_fn(rows, cols, |_, _| {
                    rng.random_range(-limit..limit)
                }))
            }
            WeightInit::Given(w) => {
                if w.shape() != (rows, cols) {
                    return Err(Error::ShapeMismatch {
                        what: format!("{what}.init"),
                        expected: vec![rows, cols],
                        got: vec![w.nrows(), w.ncols()],
                    });
                }
                check_finite(&format!("{what}.init"), w)?;
                Ok(w.clone())
            }
        }
    }
}

/// Batch gradient descent's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Descent {
    /// Most iterations.
    pub max_iter: usize,
    /// Step length.
    pub learning_rate: f64,
    /// Starting weights.
    pub init: WeightInit,
}

impl Descent {
    /// `max_iter` steps of `learning_rate` from seeded uniform weights.
    pub fn new(max_iter: usize, learning_rate: f64) -> Self {
        Descent {
            max_iter,
            learning_rate,
            init: WeightInit::default(),
        }
    }

    fn validate(&self, what: &str) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::arg(
                format!("{what}.learning_rate"),
                format!("must be finite and > 0, got {}", self.learning_rate),
            ));
        }
        Ok(())
    }
}

/// A regulariser's gradient (BrainPy's `Regularization` classes).
#[derive(Clone, Copy, Debug)]
enum Penalty {
    None,
    L1(f64),
    L2(f64),
    L1L2 { alpha: f64, l1_ratio: f64 },
}

/// `jnp.sign`: 0 at 0.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

impl Penalty {
    fn add_grad(self, grad: &mut Mat, w: &Mat) {
        match self {
            Penalty::None => {}
            Penalty::L2(a) => grad.zip_apply(w, |g, w| *g += a * w),
            Penalty::L1(a) => grad.zip_apply(w, |g, w| *g += a * sign(w)),
            Penalty::L1L2 { alpha, l1_ratio } => grad.zip_apply(w, |g, w| {
                *g += alpha * (l1_ratio * sign(w) + (1.0 - l1_ratio) * w)
            }),
        }
    }
}

/// numpy's `allclose(a, b)` with its defaults (`rtol = 1e-5`, `atol = 1e-8`); NaN is never close.
fn allclose(a: &Mat, b: &Mat) -> bool {
    a.iter()
        .zip(b.iter())
        .all(|(&a, &b)| (a - b).abs() <= 1e-8 + 1e-5 * b.abs())
}

/// BrainPy's `gradient_descent_solve` from `w0`.
fn gradient_descent(targets: &Mat, inputs: &Mat, mut w: Mat, d: &Descent, penalty: Penalty) -> Fit {
    let xt = inputs.transpose();
    // BrainPy starts from `(W₀ − 1e-8, W₀)`, which `allclose` already calls converged (the
    // 1e-8 gap is below `1e-5·|W₀|`), so its loop would return W₀ untouched; start as its
    // LogisticRegression does, from `(W₀ + 1, W₀)`, so that the first step is taken.
    let mut old = w.add_scalar(1.0);
    let mut i = 0;
    while !allclose(&old, &w) && i < d.max_iter {
        let mut grad = &xt * (inputs * &w - targets);
        penalty.add_grad(&mut grad, &w);
        let new = &w - grad * d.learning_rate;
        old = std::mem::replace(&mut w, new);
        i += 1;
    }
    Fit {
        weights: w,
        iterations: Some(i),
    }
}

/// Shapes and values every fit checks before it starts.
fn check_data(what: &str, targets: &Mat, inputs: &Mat) -> Result<()> {
    if targets.nrows() != inputs.nrows() {
        return Err(Error::ShapeMismatch {
            what: format!("{what}: targets (rows must match the inputs' samples)"),
            expected: vec![inputs.nrows(), targets.ncols()],
            got: vec![targets.nrows(), targets.ncols()],
        });
    }
    if inputs.nrows() == 0 || inputs.ncols() == 0 || targets.ncols() == 0 {
        return Err(Error::arg(
            format!("{what}: inputs"),
            format!(
                "needs at least one sample, feature and target (inputs {:?}, targets {:?})",
                inputs.shape(),
                targets.shape()
            ),
        ));
    }
    check_finite(&format!("{what}: inputs"), inputs)?;
    check_finite(&format!("{what}: targets"), targets)
}

/// The fitted weights, or an error if the fit produced a non-finite number.
fn finite_fit(what: &str, fit: Fit) -> Result<Fit> {
    if let Some(k) = fit.weights.iter().position(|x| !x.is_finite()) {
        let it = fit
            .iterations
            .map(|i| format!(" after {i} iterations"))
            .unwrap_or_default();
        return Err(Error::arg(
            what,
            format!(
                "the fit diverged{it}: weight {k} is {} (lower the learning rate, scale the \
                 inputs, or regularise)",
                fit.weights[k]
            ),
        ));
    }
    Ok(fit)
}

fn check_alpha(what: &str, alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(Error::arg(
            format!("{what}.alpha"),
            format!("must be finite and >= 0, got {alpha}"),
        ));
    }
    Ok(())
}

fn check_degree(what: &str, degree: usize) -> Result<()> {
    if degree == 0 {
        return Err(Error::arg(format!("{what}.degree"), "must be >= 1"));
    }
    Ok(())
}

/// Ridge's closed form `pinv(XᵀX + αI)·XᵀY` (no `αI` for `α = 0`).
///
/// With `α = 0` and a singular `XᵀX` the system has no unique solution; BrainPy returns
/// pinv's minimum-norm one without a word, brainburn refuses it (the caller wanted ridge, so
/// either a regulariser or [`LinearRegression`]'s explicit minimum-norm least squares).
fn ridge_closed(what: &str, targets: &Mat, inputs: &Mat, alpha: f64) -> Result<Fit> {
    let xt = inputs.transpose();
    let mut gram = &xt * inputs;
    if alpha > 0.0 {
        for k in 0..gram.nrows() {
            gram[(k, k)] += alpha;
        }
    }
    let (inv, rank) = pinv_with_rank(&gram);
    if alpha == 0.0 && rank < gram.nrows() {
        return Err(Error::arg(
            format!("{what}.alpha"),
            format!(
                "is 0 and XᵀX is singular (rank {rank} of {}): the fit has no unique solution; \
                 set alpha > 0, or use LinearRegression for the minimum-norm one",
                gram.nrows()
            ),
        ));
    }
    Ok(Fit {
        weights: inv * (xt * targets),
        iterations: None,
    })
}

/// Least squares: `lstsq(X, Y)` (BrainPy's default) or gradient descent.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearRegression {
    /// Gradient descent instead of `lstsq`.
    pub gradient_descent: bool,
    /// Its settings (`max_iter = 1000`, `learning_rate = 1e-3`).
    pub descent: Descent,
}

impl Default for LinearRegression {
    fn default() -> Self {
        LinearRegression {
            gradient_descent: false,
            descent: Descent::new(1000, 1e-3),
        }
    }
}

impl OfflineAlgorithm for LinearRegression {
    fn name(&self) -> &'static str {
        "LinearRegression"
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_data(self.name(), targets, inputs)?;
        let fit = if self.gradient_descent {
            self.descent.validate(self.name())?;
            let w0 = self
                .descent
                .init
                .weights(self.name(), inputs.ncols(), targets.ncols())?;
            gradient_descent(targets, inputs, w0, &self.descent, Penalty::None)
        } else {
            Fit {
                weights: lstsq(inputs, targets),
                iterations: None,
            }
        };
        finite_fit(self.name(), fit)
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Ridge (Tikhonov) regression.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeRegression {
    /// The L2 coefficient (BrainPy's default `1e-7`).
    pub alpha: f64,
    /// Gradient descent instead of the closed form.
    pub gradient_descent: bool,
    /// Its settings (`max_iter = 1000`, `learning_rate = 1e-3`).
    pub descent: Descent,
}

impl Default for RidgeRegression {
    fn default() -> Self {
        RidgeRegression {
            alpha: 1e-7,
            gradient_descent: false,
            descent: Descent::new(1000, 1e-3),
        }
    }
}

impl RidgeRegression {
    /// The closed form with coefficient `alpha`.
    pub fn new(alpha: f64) -> Self {
        RidgeRegression {
            alpha,
            ..Default::default()
        }
    }
}

impl OfflineAlgorithm for RidgeRegression {
    fn name(&self) -> &'static str {
        "RidgeRegression"
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_alpha(self.name(), self.alpha)?;
        check_data(self.name(), targets, inputs)?;
        let fit = if self.gradient_descent {
            self.descent.validate(self.name())?;
            let w0 = self
                .descent
                .init
                .weights(self.name(), inputs.ncols(), targets.ncols())?;
            gradient_descent(targets, inputs, w0, &self.descent, Penalty::L2(self.alpha))
        } else {
            ridge_closed(self.name(), targets, inputs, self.alpha)?
        };
        finite_fit(self.name(), fit)
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Lasso: gradient descent with an L1 penalty on row-normalised polynomial features.
#[derive(Clone, Debug, PartialEq)]
pub struct LassoRegression {
    /// The L1 coefficient (default 1).
    pub alpha: f64,
    /// Polynomial degree of the features (default 2).
    pub degree: usize,
    /// A bias column in the features (default false).
    pub add_bias: bool,
    /// Gradient descent (`max_iter = 1000`, `learning_rate = 1e-3`).
    pub descent: Descent,
}

impl Default for LassoRegression {
    fn default() -> Self {
        LassoRegression {
            alpha: 1.0,
            degree: 2,
            add_bias: false,
            descent: Descent::new(1000, 1e-3),
        }
    }
}

impl OfflineAlgorithm for LassoRegression {
    fn name(&self) -> &'static str {
        "LassoRegression"
    }

    fn features(&self, inputs: &Mat) -> Mat {
        normalize(&polynomial_features(inputs, self.degree, self.add_bias))
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_alpha(self.name(), self.alpha)?;
        check_degree(self.name(), self.degree)?;
        self.descent.validate(self.name())?;
        check_data(self.name(), targets, inputs)?;
        let x = self.features(inputs);
        let w0 = self
            .descent
            .init
            .weights(self.name(), x.ncols(), targets.ncols())?;
        let fit = gradient_descent(targets, &x, w0, &self.descent, Penalty::L1(self.alpha));
        finite_fit(self.name(), fit)
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Logistic regression of one binary target: `σ(X·w)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticRegression {
    /// Gradient descent (default) or Newton's method (BrainPy's `gradient_descent=False`).
    pub gradient_descent: bool,
    /// Its settings (`max_iter = 4000`, `learning_rate = 0.1`).
    pub descent: Descent,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            gradient_descent: true,
            descent: Descent::new(4000, 0.1),
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl OfflineAlgorithm for LogisticRegression {
    fn name(&self) -> &'static str {
        "LogisticRegression"
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_data(self.name(), targets, inputs)?;
        if targets.ncols() != 1 {
            return Err(Error::arg(
                format!("{}: targets", self.name()),
                format!(
                    "must be one scalar per sample, got {} columns",
                    targets.ncols()
                ),
            ));
        }
        self.descent.validate(self.name())?;
        let t = targets.column(0).into_owned();
        let mut p = self
            .descent
            .init
            .weights(self.name(), inputs.ncols(), 1)?
            .column(0)
            .into_owned();
        let xt = inputs.transpose();
        let mut old = p.add_scalar(1.0);
        let mut i = 0;
        let close = |a: &nalgebra::DVector<f64>, b: &nalgebra::DVector<f64>| {
            a.iter()
                .zip(b.iter())
                .all(|(&a, &b)| (a - b).abs() <= 1e-8 + 1e-5 * b.abs())
        };
        while !close(&old, &p) && i < self.descent.max_iter {
            let z = inputs * &p;
            let y = z.map(sigmoid);
            let new = if self.gradient_descent {
                &p - (&xt * (&y - &t)) * self.descent.learning_rate
            } else {
                // BrainPy: pinv(XᵀDX)·Xᵀ·(DXp + t − y), D = diag(σ'(Xp)).
                let g = z.map(|z| {
                    let e = (-z).exp();
                    e / ((1.0 + e) * (1.0 + e))
                });
                let mut dx = inputs.clone();
                for (mut row, &gi) in dx.row_iter_mut().zip(g.iter()) {
                    row *= gi;
                }
                let h = &xt * &dx;
                pinv(&h) * (&xt * (&dx * &p + &t - &y))
            };
            old = std::mem::replace(&mut p, new);
            i += 1;
        }
        let fit = Fit {
            weights: Mat::from_column_slice(p.len(), 1, p.as_slice()),
            iterations: Some(i),
        };
        finite_fit(self.name(), fit)
    }

    fn predict(&self, w: &Mat, x: &Mat) -> Result<Mat> {
        if x.ncols() != w.nrows() {
            return Err(Error::ShapeMismatch {
                what: format!("{}.predict: weights", self.name()),
                expected: vec![x.ncols(), w.ncols()],
                got: vec![w.nrows(), w.ncols()],
            });
        }
        Ok((x * w).map(sigmoid))
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Linear regression on polynomial features.
#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialRegression {
    /// Polynomial degree (default 2).
    pub degree: usize,
    /// A bias column (default false).
    pub add_bias: bool,
    /// Gradient descent (BrainPy's default) instead of `lstsq`.
    pub gradient_descent: bool,
    /// Its settings (`max_iter = 1000`, `learning_rate = 1e-3`).
    pub descent: Descent,
}

impl Default for PolynomialRegression {
    fn default() -> Self {
        PolynomialRegression {
            degree: 2,
            add_bias: false,
            gradient_descent: true,
            descent: Descent::new(1000, 1e-3),
        }
    }
}

impl OfflineAlgorithm for PolynomialRegression {
    fn name(&self) -> &'static str {
        "PolynomialRegression"
    }

    fn features(&self, inputs: &Mat) -> Mat {
        polynomial_features(inputs, self.degree, self.add_bias)
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_degree(self.name(), self.degree)?;
        check_data(self.name(), targets, inputs)?;
        LinearRegression {
            gradient_descent: self.gradient_descent,
            descent: self.descent.clone(),
        }
        .fit(targets, &self.features(inputs))
        .map_err(|e| rename(e, "LinearRegression", self.name()))
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Ridge regression on polynomial features.
#[derive(Clone, Debug, PartialEq)]
pub struct PolynomialRidgeRegression {
    /// The L2 coefficient (default 1).
    pub alpha: f64,
    /// Polynomial degree (default 2).
    pub degree: usize,
    /// A bias column (default false).
    pub add_bias: bool,
    /// Gradient descent (BrainPy's default) instead of the closed form.
    pub gradient_descent: bool,
    /// Its settings (`max_iter = 1000`, `learning_rate = 1e-3`).
    pub descent: Descent,
}

impl Default for PolynomialRidgeRegression {
    fn default() -> Self {
        PolynomialRidgeRegression {
            alpha: 1.0,
            degree: 2,
            add_bias: false,
            gradient_descent: true,
            descent: Descent::new(1000, 1e-3),
        }
    }
}

impl OfflineAlgorithm for PolynomialRidgeRegression {
    fn name(&self) -> &'static str {
        "PolynomialRidgeRegression"
    }

    fn features(&self, inputs: &Mat) -> Mat {
        polynomial_features(inputs, self.degree, self.add_bias)
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_degree(self.name(), self.degree)?;
        check_data(self.name(), targets, inputs)?;
        RidgeRegression {
            alpha: self.alpha,
            gradient_descent: self.gradient_descent,
            descent: self.descent.clone(),
        }
        .fit(targets, &self.features(inputs))
        .map_err(|e| rename(e, "RidgeRegression", self.name()))
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// Elastic net: gradient descent with `α(ρ·L1 + (1 − ρ)·L2)` on row-normalised polynomial
/// features with a bias column (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct ElasticNetRegression {
    /// The penalty's coefficient (default 1).
    pub alpha: f64,
    /// Polynomial degree (default 2).
    pub degree: usize,
    /// The L1 share `ρ` in [0, 1] (default 0.5).
    pub l1_ratio: f64,
    /// Gradient descent (`max_iter = 1000`, `learning_rate = 1e-3`).
    pub descent: Descent,
}

impl Default for ElasticNetRegression {
    fn default() -> Self {
        ElasticNetRegression {
            alpha: 1.0,
            degree: 2,
            l1_ratio: 0.5,
            descent: Descent::new(1000, 1e-3),
        }
    }
}

impl OfflineAlgorithm for ElasticNetRegression {
    fn name(&self) -> &'static str {
        "ElasticNetRegression"
    }

    fn features(&self, inputs: &Mat) -> Mat {
        normalize(&polynomial_features(inputs, self.degree, true))
    }

    fn fit(&self, targets: &Mat, inputs: &Mat) -> Result<Fit> {
        check_alpha(self.name(), self.alpha)?;
        check_degree(self.name(), self.degree)?;
        if !(0.0..=1.0).contains(&self.l1_ratio) {
            return Err(Error::arg(
                format!("{}.l1_ratio", self.name()),
                format!("must be in [0, 1], got {}", self.l1_ratio),
            ));
        }
        self.descent.validate(self.name())?;
        check_data(self.name(), targets, inputs)?;
        let x = self.features(inputs);
        let w0 = self
            .descent
            .init
            .weights(self.name(), x.ncols(), targets.ncols())?;
        let penalty = Penalty::L1L2 {
            alpha: self.alpha,
            l1_ratio: self.l1_ratio,
        };
        finite_fit(
            self.name(),
            gradient_descent(targets, &x, w0, &self.descent, penalty),
        )
    }

    fn clone_box(&self) -> Box<dyn OfflineAlgorithm> {
        Box::new(self.clone())
    }
}

/// An error of the inner algorithm named after the outer one.
fn rename(e: Error, inner: &str, outer: &str) -> Error {
    match e {
        Error::InvalidArgument { arg, reason } => Error::InvalidArgument {
            arg: arg.replacen(inner, outer, 1),
            reason,
        },
        Error::ShapeMismatch {
            what,
            expected,
            got,
        } => Error::ShapeMismatch {
            what: what.replacen(inner, outer, 1),
            expected,
            got,
        },
        e => e,
    }
}

/// The shortcut names of BrainPy's `get_supported_offline_methods()`.
pub const OFFLINE_METHODS: [&str; 8] = [
    "linear",
    "lstsq",
    "ridge",
    "lasso",
    "logistic",
    "polynomial",
    "polynomial_ridge",
    "elastic_net",
];

/// The algorithm with BrainPy's defaults for a shortcut name (`"ridge"`, ...).
pub fn offline_method(name: &str) -> Result<Box<dyn OfflineAlgorithm>> {
    Ok(match name {
        "linear" | "lstsq" => Box::new(LinearRegression::default()),
        "ridge" => Box::new(RidgeRegression::default()),
        "lasso" => Box::new(LassoRegression::default()),
        "logistic" => Box::new(LogisticRegression::default()),
        "polynomial" => Box::new(PolynomialRegression::default()),
        "polynomial_ridge" => Box::new(PolynomialRidgeRegression::default()),
        "elastic_net" => Box::new(ElasticNetRegression::default()),
        _ => {
            return Err(Error::arg(
                "fit_method",
                format!("unknown offline method `{name}` (one of: {OFFLINE_METHODS:?})"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::linalg::from_rows;

    fn line() -> (Mat, Mat) {
        // y = 3 x0 - 2 x1 + 0.5, with a ones column for the intercept.
        let xs: Vec<f64> = (0..12)
            .flat_map(|i| {
                let a = i as f64 * 0.1;
                [1.0, a, (a * 7.0).sin()]
            })
            .collect();
        let x = from_rows(12, 3, &xs);
        let y = Mat::from_fn(12, 1, |r, _| 0.5 + 3.0 * x[(r, 1)] - 2.0 * x[(r, 2)]);
        (x, y)
    }

    #[test]
    fn closed_forms_recover_an_exact_linear_map() {
        let (x, y) = line();
        for alg in [
            Box::new(LinearRegression::default()) as Box<dyn OfflineAlgorithm>,
            Box::new(RidgeRegression::new(0.0)),
            Box::new(RidgeRegression::new(1e-12)),
        ] {
            let w = alg.fit(&y, &x).unwrap().weights;
            let want = [0.5, 3.0, -2.0];
            for (k, &v) in want.iter().enumerate() {
                assert!((w[(k, 0)] - v).abs() < 1e-9, "{alg:?}: {w}");
            }
        }
    }

    #[test]
    fn gradient_descent_approaches_the_closed_form() {
        let (x, y) = line();
        let gd = LinearRegression {
            gradient_descent: true,
            descent: Descent::new(200_000, 0.05),
        };
        let fit = gd.fit(&y, &x).unwrap();
        let exact = LinearRegression::default().fit(&y, &x).unwrap().weights;
        assert!((fit.weights - exact).abs().max() < 1e-3);
        assert!(fit.iterations.unwrap() < 200_000, "stopped by allclose");
    }

    #[test]
    fn divergence_is_an_error_naming_the_algorithm() {
        let (x, y) = line();
        let gd = LinearRegression {
            gradient_descent: true,
            descent: Descent::new(5000, 10.0),
        };
        let e = gd.fit(&y, &x).unwrap_err().to_string();
        assert!(
            e.contains("LinearRegression") && e.contains("diverged"),
            "{e}"
        );
    }

    #[test]
    fn bad_data_is_named() {
        let (x, y) = line();
        let short = y.rows(0, 5).into_owned();
        let e = RidgeRegression::new(0.1).fit(&short, &x).unwrap_err();
        assert!(e.to_string().contains("targets"), "{e}");
        let mut bad = x.clone();
        bad[(3, 1)] = f64::NAN;
        let e = RidgeRegression::new(0.1).fit(&y, &bad).unwrap_err();
        assert!(
            e.to_string().contains("inputs") && e.to_string().contains("NaN"),
            "{e}"
        );
        let e = RidgeRegression::new(-1.0).fit(&y, &x).unwrap_err();
        assert!(e.to_string().contains("RidgeRegression.alpha"), "{e}");
        let e = LogisticRegression::default()
            .fit(&Mat::zeros(12, 2), &x)
            .unwrap_err();
        assert!(e.to_string().contains("one scalar"), "{e}");
        // A repeated column makes XᵀX singular: ridge without regularisation refuses it,
        // the least-squares fit gives the minimum-norm answer.
        let dup = Mat::from_fn(12, 2, |r, _| x[(r, 1)]);
        let e = RidgeRegression::new(0.0)
            .fit(&y, &dup)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("RidgeRegression.alpha") && e.contains("singular"),
            "{e}"
        );
        assert!(RidgeRegression::new(1e-3).fit(&y, &dup).is_ok());
        let w = LinearRegression::default().fit(&y, &dup).unwrap().weights;
        assert!(
            (w[(0, 0)] - w[(1, 0)]).abs() < 1e-12,
            "minimum norm splits evenly: {w}"
        );
        assert!(offline_method("ridge").is_ok());
        let e = offline_method("nope").unwrap_err().to_string();
        assert!(e.contains("fit_method") && e.contains("elastic_net"), "{e}");
    }

    #[test]
    fn logistic_regression_separates_two_classes() {
        let x = from_rows(
            6,
            2,
            &[
                1.0, -2.0, 1.0, -1.5, 1.0, -1.0, 1.0, 1.0, 1.0, 1.5, 1.0, 2.0,
            ],
        );
        let t = from_rows(6, 1, &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        let alg = LogisticRegression {
            descent: Descent::new(200, 0.1),
            ..Default::default()
        };
        let w = alg.fit(&t, &x).unwrap().weights;
        let p = alg.predict(&w, &x).unwrap();
        for r in 0..6 {
            assert_eq!(p[(r, 0)] > 0.5, t[(r, 0)] > 0.5, "{p}");
        }
    }
}
