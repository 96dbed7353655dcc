//! `Dense`: the readout `y = x·W + b` that the trainers fit. BrainPy 2.4.6:
//! `brainpy/_src/dnn/linear.py::Dense` with its `SupportOffline` and `SupportOnline` methods.
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `num_in`, `num_out` | — | `W: [num_in, num_out]` |
//! | `W` | XavierNormal: truncated normal in ±2σ, `σ = √(2/(in+out))/0.8796` (seeded) | weights |
//! | `b` | zeros `[num_out]`, or none | bias |
//!
//! While a trainer runs it, the readout keeps a fit record: every step's input for an offline
//! fit, the last step's input and output for an online one (BrainPy's `fit_record`).
//! - `offline_fit(alg, targets: [batch, time, out])`: the records `[batch, time, in]` get a
//!   leading ones column when there is a bias, are flattened batch-major to `[batch·time, ·]`,
//!   and the algorithm's weights are split into `b` (first row) and `W`.
//! - `online_fit(target: [batch, out])`: the algorithm's `ΔW` for `[1, x]` (with a bias) is
//!   added, its first row to `b`.
//!
//! A fit that fails (bad shapes, non-finite records or targets, a diverged solve) returns an
//! error and leaves `W` and `b` as they were.

use burn::tensor::Tensor;
use rand::{SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};

use crate::algorithms::linalg::{Mat, check_finite, from_rows, from_tensor, to_rows, to_tensor};
use crate::algorithms::{OfflineAlgorithm, OnlineAlgorithm};
use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::fit::Node;

/// What the readout records while a trainer runs it.
#[derive(Clone, Debug, Default)]
enum Record {
    #[default]
    Off,
    /// Every step's input `[batch, in]`.
    Offline(Vec<Tensor<2>>),
    /// The last step's input and output.
    Online(Option<Box<(Tensor<2>, Tensor<2>)>>),
}

/// A fittable linear readout (see the module doc).
#[derive(Clone, Debug)]
pub struct Dense {
    name: String,
    ctx: Ctx,
    num_in: usize,
    num_out: usize,
    w: Tensor<2>,
    b: Option<Tensor<2>>,
    record: Record,
    online: Option<Box<dyn OnlineAlgorithm>>,
}

/// BrainPy's XavierNormal draw for `[fan_in, fan_out]`, row-major.
fn xavier_normal(fan_in: usize, fan_out: usize, seed: u64) -> Vec<f64> {
    let std = (2.0 / (fan_in + fan_out) as f64).sqrt() / 0.879_625_661_034_239_8;
    let mut rng = StdRng::seed_from_u64(seed);
    (0..fan_in * fan_out)
        .map(|_| {
            loop {
                let z: f64 = StandardNormal.sample(&mut rng);
                if z.abs() <= 2.0 {
                    break z * std;
                }
            }
        })
        .collect()
}

impl Dense {
    /// A readout with XavierNormal weights drawn from `seed` and a zero bias.
    pub fn new(num_in: usize, num_out: usize, seed: u64, ctx: &Ctx) -> Result<Self> {
        if num_in == 0 || num_out == 0 {
            return Err(Error::arg(
                "Dense.num_out",
                format!("num_in and num_out must be positive, got {num_in} and {num_out}"),
            ));
        }
        let w = from_rows(num_in, num_out, &xavier_normal(num_in, num_out, seed));
        Self::from_weights(w, Some(vec![0.0; num_out]), ctx)
    }

    /// A readout with these weights `W: [in, out]` and bias (`None`: no bias, BrainPy's
    /// `b_initializer=None`).
    pub fn from_weights(w: Mat, b: Option<Vec<f64>>, ctx: &Ctx) -> Result<Self> {
        let (num_in, num_out) = w.shape();
        if num_in == 0 || num_out == 0 {
            return Err(Error::arg("Dense.W", "must not be empty"));
        }
        check_finite("Dense.W", &w)?;
        if let Some(b) = &b {
            if b.len() != num_out {
                return Err(Error::ShapeMismatch {
                    what: "Dense.b".into(),
                    expected: vec![num_out],
                    got: vec![b.len()],
                });
            }
            check_finite("Dense.b", &from_rows(1, num_out, b))?;
        }
        Ok(Dense {
            name: "dense".into(),
            num_in,
            num_out,
            w: to_tensor(&w, ctx),
            b: b.map(|b| ctx.tensor(b, [1, num_out])),
            ctx: ctx.clone(),
            record: Record::Off,
            online: None,
        })
    }

    /// The same readout under another name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Input features.
    pub fn num_in(&self) -> usize {
        self.num_in
    }

    /// Whether the readout has a bias.
    pub fn has_bias(&self) -> bool {
        self.b.is_some()
    }

    /// `W: [in, out]`.
    pub fn weights(&self) -> Result<Mat> {
        from_tensor(self.w.clone())
    }

    /// `b: [out]`, if any.
    pub fn bias(&self) -> Result<Option<Vec<f64>>> {
        self.b.clone().map(crate::tensor_io::to_f64_vec).transpose()
    }

    /// Starts recording for an offline fit (clears earlier records).
    pub(crate) fn record_offline(&mut self) {
        self.record = Record::Offline(Vec::new());
    }

    /// Starts recording for an online fit.
    pub(crate) fn record_online(&mut self) {
        self.record = Record::Online(None);
    }

    /// Stops recording and drops the records.
    pub(crate) fn stop_recording(&mut self) {
        self.record = Record::Off;
    }

    /// BrainPy's `online_init`: gives the readout its own copy of `alg`, sized for its inputs
    /// (plus the bias column).
    pub fn online_init(&mut self, alg: &dyn OnlineAlgorithm) -> Result<()> {
        let mut alg = alg.clone_box();
        alg.init(self.num_in + usize::from(self.has_bias()))
            .map_err(|e| e.within(&self.name))?;
        self.online = Some(alg);
        Ok(())
    }

    /// `x` with a leading ones column when the readout has a bias.
    fn with_bias_column(&self, x: Mat) -> Mat {
        if !self.has_bias() {
            return x;
        }
        x.insert_column(0, 1.0)
    }

    /// Splits fitted `[1 + in, out]` (with a bias) or `[in, out]` weights.
    fn split(&self, w: &Mat) -> (Mat, Option<Vec<f64>>) {
        if self.has_bias() {
            let b = w.row(0).iter().copied().collect();
            (w.rows(1, w.nrows() - 1).into_owned(), Some(b))
        } else {
            (w.clone(), None)
        }
    }

    /// The offline fit's new `W` and `b` from the records and `targets: [batch, time, out]`
    /// (not yet assigned).
    pub(crate) fn offline_solve(
        &self,
        alg: &dyn OfflineAlgorithm,
        targets: Tensor<3>,
    ) -> Result<(Mat, Option<Vec<f64>>)> {
        let name = &self.name;
        let Record::Offline(steps) = &self.record else {
            return Err(Error::Mode(format!(
                "{name}: no fit record (offline_fit runs after an OfflineTrainer's run)"
            )));
        };
        let [tb, tt, to] = targets.dims();
        let (t, b) = match steps.first() {
            Some(x) => (steps.len(), x.dims()[0]),
            None => return Err(Error::Mode(format!("{name}: the fit record is empty"))),
        };
        if [tb, tt, to] != [b, t, self.num_out] {
            return Err(Error::ShapeMismatch {
                what: format!("targets.{name} ([batch, time, out] of the run)"),
                expected: vec![b, t, self.num_out],
                got: vec![tb, tt, to],
            });
        }
        // [time, batch, in] → batch-major rows [batch·time, in].
        let xs: Tensor<3> = Tensor::stack(steps.clone(), 0);
        let raw = crate::tensor_io::to_f64_vec(xs)?;
        let f = self.num_in;
        let mut rows = Vec::with_capacity(raw.len());
        for bi in 0..b {
            for ti in 0..t {
                let at = (ti * b + bi) * f;
                rows.extend_from_slice(&raw[at..at + f]);
            }
        }
        let x = from_rows(b * t, f, &rows);
        check_finite(&format!("{name}.fit_record.input"), &x)?;
        let y = from_rows(b * t, to, &crate::tensor_io::to_f64_vec(targets)?);
        check_finite(&format!("targets.{name}"), &y)?;
        let fit = alg
            .fit(&y, &self.with_bias_column(x))
            .map_err(|e| e.within(name))?;
        let want = f + usize::from(self.has_bias());
        if fit.weights.shape() != (want, self.num_out) {
            return Err(Error::ShapeMismatch {
                what: format!(
                    "{name}: weights of {} (a readout fits linear features; use the \
                     algorithm's predict for feature-expanding ones)",
                    alg.name()
                ),
                expected: vec![want, self.num_out],
                got: vec![fit.weights.nrows(), fit.weights.ncols()],
            });
        }
        Ok(self.split(&fit.weights))
    }

    /// Assigns fitted weights.
    pub(crate) fn assign(&mut self, w: &Mat, b: Option<Vec<f64>>) {
        self.w = to_tensor(w, &self.ctx);
        if let Some(b) = b {
            self.b = Some(self.ctx.tensor(b, [1, self.num_out]));
        }
    }

    /// BrainPy's `offline_fit`: fits `W` (and `b`) to `targets: [batch, time, out]` from the
    /// record of the run that preceded it; on error nothing changes.
    pub fn offline_fit(&mut self, alg: &dyn OfflineAlgorithm, targets: Tensor<3>) -> Result<()> {
        let (w, b) = self.offline_solve(alg, targets)?;
        self.assign(&w, b);
        Ok(())
    }

    /// BrainPy's `online_fit` for the step just run: `target: [batch, out]`.
    pub fn online_fit(&mut self, target: &Mat) -> Result<()> {
        let name = self.name.clone();
        let Record::Online(Some(last)) = &self.record else {
            return Err(Error::Mode(format!(
                "{name}: no fit record (online_fit runs after an OnlineTrainer's step)"
            )));
        };
        let (x, y) = (from_tensor(last.0.clone())?, from_tensor(last.1.clone())?);
        if target.shape() != y.shape() {
            return Err(Error::ShapeMismatch {
                what: format!("targets.{name} (one step: [batch, out])"),
                expected: vec![y.nrows(), y.ncols()],
                got: vec![target.nrows(), target.ncols()],
            });
        }
        check_finite(&format!("{name}.fit_record.input"), &x)?;
        check_finite(&format!("targets.{name}"), target)?;
        let x = self.with_bias_column(x);
        let alg = self.online.as_mut().ok_or_else(|| {
            Error::Mode(format!(
                "{name}: online_init was not called before online_fit"
            ))
        })?;
        let dw = alg.step(target, &x, &y).map_err(|e| e.within(&name))?;
        check_finite(&format!("{name}: weight update"), &dw)?;
        let (dw, db) = self.split(&dw);
        self.w = self.w.clone() + to_tensor(&dw, &self.ctx);
        if let (Some(b), Some(db)) = (&self.b, db) {
            self.b = Some(b.clone() + self.ctx.tensor(db, [1, self.num_out]));
        }
        Ok(())
    }

    /// `W` and `b` as one row-major list (for checks and plots).
    pub fn parameters(&self) -> Result<Vec<f64>> {
        let mut v = to_rows(&self.weights()?);
        if let Some(b) = self.bias()? {
            v.extend(b);
        }
        Ok(v)
    }
}

impl Node for Dense {
    fn name(&self) -> &str {
        &self.name
    }

    fn num_out(&self) -> usize {
        self.num_out
    }

    fn reset_state(&mut self, _batch: usize) -> Result<()> {
        Ok(())
    }

    fn update(&mut self, x: Tensor<2>) -> Result<Tensor<2>> {
        let [b, i] = x.dims();
        if i != self.num_in {
            return Err(Error::ShapeMismatch {
                what: format!("{}: input", self.name),
                expected: vec![b, self.num_in],
                got: vec![b, i],
            });
        }
        let x = x.cast(self.ctx.dtype());
        let mut y = x.clone().matmul(self.w.clone());
        if let Some(bias) = &self.b {
            y = y + bias.clone();
        }
        match &mut self.record {
            Record::Off => {}
            Record::Offline(v) => v.push(x),
            Record::Online(last) => *last = Some(Box::new((x, y.clone()))),
        }
        Ok(y)
    }

    fn as_readout(&mut self) -> Option<&mut Dense> {
        Some(self)
    }
}
