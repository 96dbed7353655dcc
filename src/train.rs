//! Training (SPEC §6): `train_vars`, losses for spiking outputs, gradient clipping, an
//! optimizer-step helper over Burn's optimizers and truncated BPTT.
//!
//! Every brainburn model is a Burn [`Module`] (see [`crate::module`]), so the usual Burn loop
//! works unchanged:
//!
//! ```text
//! let grads = GradientsParams::from_grads(loss.backward(), &net);
//! net = optimizer.step(lr, net, grads);
//! ```
//!
//! [`Trainer`] wraps it with global-norm or value clipping and a finite-loss check;
//! [`truncated_bptt`] runs windows of steps, steps the optimizer after each window and
//! detaches the states between windows.
//!
//! **Memory is linear in the number of steps.** Every helper takes per-step tensors as a slice
//! of separate tensors (`&[Tensor<2>]`, one per step) and combines them with a chain of
//! elementwise ops: the backward pass visits each step once. Never build a `[T, B, N]` tensor
//! and slice one step out of it inside the time loop (the backward pass of each slice touches
//! the whole tensor: O(T²)).

use std::ops::Range;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Tensor, TensorData};

use crate::dynamics::Dynamics;
use crate::error::{Error, Result};
use crate::math::div_scalar_exact;
use crate::network::Network;
use crate::param::NParam;
use crate::tensor_io::to_f64_vec;

// ---------------------------------------------------------------------------------------------
// train_vars

/// Whether a parameter is configured as trainable (also on a device without autodiff, where
/// the tensor itself cannot require gradients yet).
pub fn is_trainable(p: &Param<Tensor<2>>) -> bool {
    // `Module::train` re-applies the configured training state (kept privately by Burn) to
    // the tensor; it only wraps the tensor handle, no data moves.
    p.val().is_require_grad() || Module::train(p.clone()).val().is_require_grad()
}

/// The trainable parameters of a model by BrainPy-style key (BrainPy's `train_vars()`).
pub trait TrainVars {
    /// Every trainable tensor by key (`LIF0.tau`, `GABAa0.g_max`), in declaration order. Only
    /// these receive gradients and optimizer updates.
    fn train_vars(&self) -> Vec<(String, Param<Tensor<2>>)>;
}

impl<T: Dynamics + ?Sized> TrainVars for T {
    fn train_vars(&self) -> Vec<(String, Param<Tensor<2>>)> {
        let name = self.name();
        self.params()
            .iter()
            .filter_map(|(k, p)| match p {
                NParam::Tensor(t) if p.is_trainable() => Some((format!("{name}.{k}"), t.clone())),
                _ => None,
            })
            .collect()
    }
}

impl TrainVars for Network {
    fn train_vars(&self) -> Vec<(String, Param<Tensor<2>>)> {
        self.members()
            .into_iter()
            .flat_map(|m| m.train_vars())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Losses

fn host_tensor(values: Vec<f64>, shape: [usize; 2], like: &Tensor<2>) -> Tensor<2> {
    let dtype = like.dtype();
    Tensor::from_data(
        TensorData::new(values, shape).convert_dtype(dtype),
        (&like.device(), dtype),
    )
}

fn check_targets(targets: &[usize], rows: usize, classes: usize) -> Result<()> {
    if targets.len() != rows {
        return Err(Error::ShapeMismatch {
            what: "targets".into(),
            expected: vec![rows],
            got: vec![targets.len()],
        });
    }
    if let Some(t) = targets.iter().find(|t| **t >= classes) {
        return Err(Error::arg(
            "targets",
            format!("class {t} out of range for {classes} outputs"),
        ));
    }
    Ok(())
}

/// A `[1]` tensor: the sum of all elements of `x` divided by `n` (exact in float64 also under
/// autodiff, see [`div_scalar_exact`]).
fn sum_over(x: Tensor<2>, n: usize) -> Tensor<1> {
    let s = x.sum_dim(1).sum_dim(0);
    div_scalar_exact(s, n as f64).reshape([1])
}

/// One-hot rows `[targets.len(), classes]` in the dtype and on the device of `like`.
pub fn one_hot(targets: &[usize], classes: usize, like: &Tensor<2>) -> Result<Tensor<2>> {
    check_targets(targets, targets.len(), classes)?;
    let mut v = vec![0.0; targets.len() * classes];
    for (r, t) in targets.iter().enumerate() {
        v[r * classes + t] = 1.0;
    }
    Ok(host_tensor(v, [targets.len(), classes], like))
}

/// Mean cross-entropy of `logits` `[batch, classes]` against class indices:
/// `−(1/B) Σ_b log softmax(logits_b)[target_b]`, computed stably (the row maximum is
/// subtracted first). Gradient: `(softmax − onehot)/B`.
pub fn cross_entropy(logits: Tensor<2>, targets: &[usize]) -> Result<Tensor<1>> {
    let [b, c] = logits.dims();
    check_targets(targets, b, c)?;
    let m = logits.clone().detach().max_dim(1);
    let z = logits - m;
    let lse = z.clone().exp().sum_dim(1).log();
    let logp = z - lse;
    let onehot = one_hot(targets, c, &logp)?;
    Ok(sum_over(logp * onehot, b).neg())
}

/// `Σ_t x_t` over per-step tensors (one tensor per step; linear memory in T).
pub fn sum_over_time(xs: &[Tensor<2>]) -> Result<Tensor<2>> {
    let (first, rest) = xs
        .split_first()
        .ok_or_else(|| Error::arg("steps", "no time steps"))?;
    let dims = first.dims();
    let mut acc = first.clone();
    for (k, x) in rest.iter().enumerate() {
        if x.dims() != dims {
            return Err(Error::ShapeMismatch {
                what: format!("step {}", k + 1),
                expected: dims.to_vec(),
                got: x.dims().to_vec(),
            });
        }
        acc = acc + x.clone();
    }
    Ok(acc)
}

/// `(1/T) Σ_t x_t`: firing rates (spikes per step) from per-step spikes.
pub fn mean_over_time(xs: &[Tensor<2>]) -> Result<Tensor<2>> {
    Ok(div_scalar_exact(sum_over_time(xs)?, xs.len() as f64))
}

/// Cross-entropy on spike counts: the counts `Σ_t s_t` of the output neurons are the logits.
pub fn spike_count_cross_entropy(spikes: &[Tensor<2>], targets: &[usize]) -> Result<Tensor<1>> {
    cross_entropy(sum_over_time(spikes)?, targets)
}

/// How a readout membrane trace becomes logits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Readout {
    /// The last step's V.
    Last,
    /// The mean of V over the steps (the default).
    #[default]
    Mean,
    /// The maximum of V over the steps (per neuron).
    Max,
}

/// The logits a [`Readout`] takes from a membrane trace (one tensor per step).
pub fn readout_logits(v: &[Tensor<2>], readout: Readout) -> Result<Tensor<2>> {
    match readout {
        Readout::Last => v
            .last()
            .cloned()
            .ok_or_else(|| Error::arg("steps", "no time steps")),
        Readout::Mean => mean_over_time(v),
        Readout::Max => {
            let (first, rest) = v
                .split_first()
                .ok_or_else(|| Error::arg("steps", "no time steps"))?;
            Ok(rest
                .iter()
                .fold(first.clone(), |acc, x| acc.max_pair(x.clone())))
        }
    }
}

/// Cross-entropy on a leaky readout's membrane potential (e.g. a `LeakyIntegrator` layer).
pub fn membrane_cross_entropy(
    v: &[Tensor<2>],
    targets: &[usize],
    readout: Readout,
) -> Result<Tensor<1>> {
    cross_entropy(readout_logits(v, readout)?, targets)
}

/// Mean squared error between firing rates (`(1/T) Σ_t s_t`, spikes per step) and target
/// rates `[batch, neurons]`: `(1/(B·N)) Σ (r − r*)²`.
pub fn rate_mse(spikes: &[Tensor<2>], target: Tensor<2>) -> Result<Tensor<1>> {
    let rate = mean_over_time(spikes)?;
    let [b, n] = rate.dims();
    if target.dims() != [b, n] {
        return Err(Error::ShapeMismatch {
            what: "target rates".into(),
            expected: vec![b, n],
            got: target.dims().to_vec(),
        });
    }
    let d = rate - target;
    Ok(sum_over(d.clone() * d, b * n))
}

/// Firing-rate regulariser: each neuron's rate averaged over steps and batch, `r_n`, is pulled
/// towards `target` (spikes per step): `(1/N) Σ_n (r_n − target)²`.
pub fn firing_rate_regularizer(spikes: &[Tensor<2>], target: f64) -> Result<Tensor<1>> {
    if !target.is_finite() {
        return Err(Error::arg(
            "target",
            format!("must be finite, got {target}"),
        ));
    }
    let counts = sum_over_time(spikes)?;
    let [b, n] = counts.dims();
    let r = div_scalar_exact(counts.sum_dim(0), (b * spikes.len()) as f64);
    let d = r.sub_scalar(target);
    Ok(sum_over(d.clone() * d, n))
}

/// The predicted class of every row (argmax; the first of equal maxima). Reads back.
pub fn predictions(logits: Tensor<2>) -> Result<Vec<usize>> {
    let [b, c] = logits.dims();
    let v = to_f64_vec(logits.detach())?;
    Ok((0..b)
        .map(|r| {
            let row = &v[r * c..(r + 1) * c];
            let mut best = 0;
            for (k, x) in row.iter().enumerate() {
                if *x > row[best] {
                    best = k;
                }
            }
            best
        })
        .collect())
}

/// The fraction of rows whose argmax equals the target.
pub fn accuracy(logits: Tensor<2>, targets: &[usize]) -> Result<f64> {
    let [b, c] = logits.dims();
    check_targets(targets, b, c)?;
    let p = predictions(logits)?;
    let hits = p.iter().zip(targets).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / b.max(1) as f64)
}

// ---------------------------------------------------------------------------------------------
// Gradient clipping

/// How gradients are clipped before an optimizer step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clip {
    /// Scale all gradients together so their global L2 norm is at most this (PyTorch's
    /// `clip_grad_norm_`).
    GlobalNorm(f64),
    /// Clamp every gradient element to `[−v, v]`.
    Value(f64),
}

/// Visits the gradient of every parameter of a module.
struct GradVisitor<'a, F: FnMut(&mut GradientsParams, burn::module::ParamId, usize) -> Result<()>> {
    grads: &'a mut GradientsParams,
    f: F,
    err: Option<Error>,
}

impl<F: FnMut(&mut GradientsParams, burn::module::ParamId, usize) -> Result<()>> ModuleVisitor
    for GradVisitor<'_, F>
{
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.err.is_some() {
            return;
        }
        if let Err(e) = (self.f)(self.grads, param.id, D) {
            self.err = Some(e);
        }
    }
}

fn grad_sq<const D: usize>(grads: &GradientsParams, id: burn::module::ParamId) -> Result<f64> {
    match grads.get::<D>(id) {
        None => Ok(0.0),
        Some(g) => Ok(to_f64_vec(g.square().sum())?[0]),
    }
}

fn scale_grad<const D: usize>(
    grads: &mut GradientsParams,
    id: burn::module::ParamId,
    coef: Option<f64>,
    clamp: Option<f64>,
) {
    if let Some(g) = grads.remove::<D>(id) {
        let g = match (coef, clamp) {
            (Some(c), _) => g.mul_scalar(c),
            (None, Some(v)) => g.clamp(-v, v),
            (None, None) => g,
        };
        grads.register::<D>(id, g);
    }
}

/// Dispatches a rank known only at run time to a const-generic function (ranks 1–6).
macro_rules! by_rank {
    ($d:expr, $f:ident ( $($arg:expr),* )) => {
        match $d {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            d => panic!("parameters of rank {d} are not supported by gradient clipping"),
        }
    };
}

fn visit_grads<M: Module>(
    grads: &mut GradientsParams,
    model: &M,
    f: impl FnMut(&mut GradientsParams, burn::module::ParamId, usize) -> Result<()>,
) -> Result<()> {
    let mut v = GradVisitor {
        grads,
        f,
        err: None,
    };
    model.visit(&mut v);
    match v.err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The global L2 norm of the gradients of `model`'s parameters (reads back).
pub fn grad_norm<M: Module>(grads: &mut GradientsParams, model: &M) -> Result<f64> {
    let mut sum = 0.0;
    visit_grads(grads, model, |g, id, d| {
        sum += by_rank!(d, grad_sq(g, id))?;
        Ok(())
    })?;
    Ok(sum.sqrt())
}

/// Scales all gradients together so that their global L2 norm is at most `max_norm`; returns
/// the norm before clipping.
pub fn clip_grad_norm<M: Module>(
    grads: &mut GradientsParams,
    model: &M,
    max_norm: f64,
) -> Result<f64> {
    if !(max_norm.is_finite() && max_norm > 0.0) {
        return Err(Error::arg(
            "max_norm",
            format!("must be positive, got {max_norm}"),
        ));
    }
    let norm = grad_norm(grads, model)?;
    if norm > max_norm {
        let coef = max_norm / norm;
        visit_grads(grads, model, |g, id, d| {
            by_rank!(d, scale_grad(g, id, Some(coef), None));
            Ok(())
        })?;
    }
    Ok(norm)
}

/// Clamps every gradient element to `[−max, max]`.
pub fn clip_grad_value<M: Module>(grads: &mut GradientsParams, model: &M, max: f64) -> Result<()> {
    if !(max.is_finite() && max > 0.0) {
        return Err(Error::arg("max", format!("must be positive, got {max}")));
    }
    visit_grads(grads, model, |g, id, d| {
        by_rank!(d, scale_grad(g, id, None, Some(max)));
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Optimizer steps and truncated BPTT

/// What one optimizer step saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// The loss value.
    pub loss: f64,
    /// The global gradient norm before clipping.
    pub grad_norm: f64,
}

/// A Burn optimizer (Adam, SGD, ...) with a learning rate and optional clipping.
#[derive(Clone)]
pub struct Trainer {
    /// The optimizer (`AdamConfig::new().init()`, `SgdConfig::new().init()`, ...).
    pub optimizer: ModuleOptimizer,
    /// The learning rate.
    pub lr: f64,
    /// Clipping applied to the gradients before each step.
    pub clip: Option<Clip>,
}

impl Trainer {
    /// A trainer around any Burn optimizer.
    pub fn new(optimizer: ModuleOptimizer, lr: f64) -> Self {
        Trainer {
            optimizer,
            lr,
            clip: None,
        }
    }

    /// Adam with Burn's defaults (β = 0.9, 0.999, ε = 1e-5).
    pub fn adam(lr: f64) -> Self {
        Self::new(AdamConfig::new().init(), lr)
    }

    /// Plain SGD.
    pub fn sgd(lr: f64) -> Self {
        Self::new(SgdConfig::new().init(), lr)
    }

    /// The same trainer with gradient clipping.
    pub fn with_clip(mut self, clip: Clip) -> Self {
        self.clip = Some(clip);
        self
    }

    /// Backward pass from `loss`, clipping, one optimizer step: returns the updated model.
    ///
    /// Errors (and leaves the optimizer state unchanged) if the loss is not finite or does
    /// not depend on any trainable parameter.
    pub fn step<M: Module>(&mut self, model: M, loss: &Tensor<1>) -> Result<(M, StepStats)> {
        if !(self.lr.is_finite() && self.lr >= 0.0) {
            return Err(Error::arg("lr", format!("must be >= 0, got {}", self.lr)));
        }
        if loss.dims() != [1] {
            return Err(Error::ShapeMismatch {
                what: "loss".into(),
                expected: vec![1],
                got: loss.dims().to_vec(),
            });
        }
        let value = to_f64_vec(loss.clone().detach())?[0];
        if !value.is_finite() {
            return Err(Error::arg("loss", format!("is not finite ({value})")));
        }
        if !loss.is_tracked() {
            return Err(Error::arg(
                "loss",
                "does not depend on any trainable parameter (autodiff device? trainable parameters?)",
            ));
        }
        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
        let norm = match self.clip {
            Some(Clip::GlobalNorm(m)) => clip_grad_norm(&mut grads, &model, m)?,
            Some(Clip::Value(v)) => {
                let n = grad_norm(&mut grads, &model)?;
                clip_grad_value(&mut grads, &model, v)?;
                n
            }
            None => grad_norm(&mut grads, &model)?,
        };
        let model = self.optimizer.step(self.lr, model, grads);
        Ok((
            model,
            StepStats {
                loss: value,
                grad_norm: norm,
            },
        ))
    }
}

/// Models whose states can be cut from their gradient history (between truncated-BPTT
/// windows).
pub trait Recurrent {
    /// Cuts the gradient history of every state.
    fn detach_states(&mut self);
}

impl Recurrent for Network {
    fn detach_states(&mut self) {
        Network::detach_states(self)
    }
}

impl<T: Dynamics> Recurrent for T {
    fn detach_states(&mut self) {
        Dynamics::detach_states(self)
    }
}

/// Truncated BPTT over `steps` steps in windows of `window` steps.
///
/// For each window, `step(model, k)` advances the model one step (adding inputs, stepping)
/// and returns what the loss reads at step `k` (e.g. a readout's V or output spikes, one
/// tensor per step); `loss(outputs, range)` turns the window's outputs into a loss; then the
/// optimizer steps and the states are detached, so the next window's backward pass stops at
/// its start. Memory is linear in `window`. Returns the model and each window's statistics.
pub fn truncated_bptt<M, F, L>(
    trainer: &mut Trainer,
    mut model: M,
    steps: usize,
    window: usize,
    mut step: F,
    mut loss: L,
) -> Result<(M, Vec<StepStats>)>
where
    M: Module + Recurrent,
    F: FnMut(&mut M, usize) -> Result<Tensor<2>>,
    L: FnMut(&[Tensor<2>], Range<usize>) -> Result<Tensor<1>>,
{
    if window == 0 {
        return Err(Error::arg("window", "must be at least 1 step"));
    }
    let mut stats = Vec::with_capacity(steps.div_ceil(window));
    let mut start = 0;
    while start < steps {
        let end = (start + window).min(steps);
        let mut outputs = Vec::with_capacity(end - start);
        for k in start..end {
            outputs.push(step(&mut model, k)?);
        }
        let l = loss(&outputs, start..end)?;
        drop(outputs);
        let (m, s) = trainer.step(model, &l)?;
        model = m;
        model.detach_states();
        stats.push(s);
        start = end;
    }
    Ok((model, stats))
}
