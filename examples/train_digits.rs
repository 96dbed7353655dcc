//! Trains a spiking network on the UCI handwritten digits with BPTT and a surrogate gradient.
//!
//! 64 pixels (a constant input current, pixel/16) → `Linear` → 256 LIF neurons (trainable
//! per-neuron `tau`, sigmoid surrogate, hard reset) → `Linear` → 10 leaky-integrator readout
//! neurons; the loss is the cross-entropy of the readout membrane averaged over the steps.
//! The model is a `#[derive(Module)]` struct mixing `burn::nn::Linear` with brainburn groups,
//! trained with Burn's Adam on the autodiff flex device (a seeded 80/20 split).
//!
//! Afterwards it draws the loss/accuracy curves (`out/train_digits.png`), saves a checkpoint
//! (`out/train_digits.bpk`), loads it into a freshly built network in Batching mode on the
//! plain device, and classifies the whole test set in one batched pass: the predictions must
//! equal the trained model's, sample by sample.
//!
//! Run: `cargo run --release --example train_digits` (about 10–20 s on 2 cores).

use std::time::Instant;

use brainburn::datasets::Digits;
use brainburn::datasets::digits::{CLASSES, PIXELS};
use brainburn::plot::{Series, line_chart};
use brainburn::prelude::*;
use brainburn::state_dict::{LoadOptions, StateDict};
use brainburn::train::{Clip, Readout, TrainVars, Trainer, membrane_cross_entropy, predictions};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::Tensor;

const HIDDEN: usize = 256;
const STEPS: usize = 8;
const DT: f64 = 1.0;
const EPOCHS: usize = 40;
const BATCH: usize = 64;
const LR: f64 = 5e-3;
const SEED: u64 = 42;

#[derive(Module, Debug)]
struct DigitsSnn {
    fc1: Linear,
    hidden: Lif,
    fc2: Linear,
    readout: LeakyIntegrator,
}

impl DigitsSnn {
    fn new(ctx: &Ctx, mode: Mode) -> Result<Self> {
        let lif = LifConfig {
            v_rest: 0.0.into(),
            v_reset: 0.0.into(),
            v_th: 0.5.into(),
            tau: trainable(Initializer::uniform(5.0, 15.0, SEED)),
            surrogate: Surrogate::Sigmoid { alpha: 4.0 },
            spk_reset: SpikeReset::Hard,
            ..Default::default()
        };
        let readout = LeakyIntegratorConfig {
            tau: 5.0.into(),
            ..Default::default()
        };
        // Burn's default initialisation draws from the device's generator: seed it so that
        // every run starts from the same weights.
        ctx.device.seed(SEED);
        Ok(DigitsSnn {
            fc1: LinearConfig::new(PIXELS, HIDDEN).init(&ctx.device),
            hidden: Lif::named(HIDDEN, lif, Some("hidden"), ctx, mode)?,
            fc2: LinearConfig::new(HIDDEN, CLASSES).init(&ctx.device),
            readout: LeakyIntegrator::named(CLASSES, readout, Some("readout"), ctx, mode)?,
        })
    }

    /// The readout membrane at every step (one tensor per step: memory linear in STEPS).
    fn forward(&mut self, x: Tensor<2>) -> Result<Vec<Tensor<2>>> {
        let b = x.dims()[0];
        self.hidden.reset_state(Some(b))?;
        self.readout.reset_state(Some(b))?;
        let current = self.fc1.forward(x);
        let dtype = self.hidden.ctx().dtype();
        let mut v = Vec::with_capacity(STEPS);
        for k in 0..STEPS {
            let ts = StepTime::new(k as u64, DT);
            self.hidden.step_with(&ts, Some(current.clone()))?;
            let spikes = self
                .hidden
                .spike()
                .ok_or_else(|| Error::arg("hidden", "no spikes"))?
                .to_float(dtype);
            self.readout
                .step_with(&ts, Some(self.fc2.forward(spikes)))?;
            v.push(
                self.readout
                    .v()
                    .ok_or_else(|| Error::arg("readout", "no V"))?,
            );
        }
        Ok(v)
    }

    /// Class predictions for `indices` of `data` in one batched pass.
    fn classify(&mut self, data: &Digits, indices: &[usize], ctx: &Ctx) -> Result<Vec<usize>> {
        let v = self.forward(data.currents(indices, ctx)?)?;
        predictions(brainburn::train::readout_logits(&v, Readout::Mean)?)
    }
}

fn accuracy(pred: &[usize], labels: &[usize]) -> f64 {
    let hits = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    hits as f64 / labels.len() as f64
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let ctx = Ctx::new(BackendKind::Flex, Precision::F32)?;
    let train_ctx = ctx.autodiff();
    let data = Digits::load_bundled()?;
    let (train, test) = data.split(0.2, SEED)?;
    println!(
        "digits: {} samples, {} train / {} test (seeded split, seed {SEED})",
        data.len(),
        train.len(),
        test.len()
    );

    let mut model = DigitsSnn::new(&train_ctx, Mode::Training { batch_size: BATCH })?;
    let keys: Vec<String> = model
        .hidden
        .train_vars()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    println!(
        "model: 64 → Linear → {HIDDEN} LIF → Linear → {CLASSES} LeakyIntegrator, {STEPS} steps of {DT} ms; \
         {} parameters; brainburn train_vars of the hidden group: {keys:?}",
        model.num_params()
    );
    let mut trainer = Trainer::adam(LR).with_clip(Clip::GlobalNorm(5.0));
    let test_idx: Vec<usize> = (0..test.len()).collect();
    let train_idx: Vec<usize> = (0..train.len()).collect();
    let (mut losses, mut train_acc, mut test_acc) = (Vec::new(), Vec::new(), Vec::new());
    for epoch in 0..EPOCHS {
        let order = train.permutation(SEED + 1 + epoch as u64);
        let mut sum = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(BATCH) {
            let v = model.forward(train.currents(chunk, &train_ctx)?)?;
            let labels: Vec<usize> = chunk.iter().map(|&i| train.labels[i]).collect();
            let loss = membrane_cross_entropy(&v, &labels, Readout::Mean)?;
            let (m, stats) = trainer.step(model, &loss)?;
            model = m;
            sum += stats.loss;
            batches += 1;
        }
        // Evaluation on the plain device (no autodiff graph), whole sets in one pass each.
        let mut eval = model.valid();
        let tr = accuracy(&eval.classify(&train, &train_idx, &ctx)?, &train.labels);
        let te = accuracy(&eval.classify(&test, &test_idx, &ctx)?, &test.labels);
        let mean_loss = sum / batches as f64;
        println!(
            "epoch {:2}: loss {mean_loss:.4}  train acc {:.2}%  test acc {:.2}%  ({:.1} s)",
            epoch + 1,
            100.0 * tr,
            100.0 * te,
            t0.elapsed().as_secs_f64()
        );
        losses.push(((epoch + 1) as f64, mean_loss));
        train_acc.push(((epoch + 1) as f64, tr));
        test_acc.push(((epoch + 1) as f64, te));
    }
    let train_time = t0.elapsed().as_secs_f64();

    std::fs::create_dir_all("out")?;
    line_chart(
        "out/train_digits.png",
        "Spiking digits classifier (BPTT, surrogate gradient)",
        "epoch",
        "loss / accuracy",
        &[
            Series::new("training loss", losses),
            Series::new("train accuracy", train_acc),
            Series::new("test accuracy", test_acc),
        ],
        (900, 560),
    )?;

    // The trained model's per-sample test predictions (plain device, Training mode).
    let mut trained = model.valid();
    let want = trained.classify(&test, &test_idx, &ctx)?;
    let acc = accuracy(&want, &test.labels);

    // Checkpoint → a freshly built network in Batching mode on the plain device.
    let path = "out/train_digits.bpk";
    StateDict::from_module(&model)?.save(path)?;
    let size = std::fs::metadata(path)?.len();
    let fresh = DigitsSnn::new(&ctx, Mode::Batching { batch_size: 1 })?;
    let (mut fresh, result) =
        StateDict::load(path)?.load_into_module(&fresh, &LoadOptions::default())?;
    assert!(result.missing_keys.is_empty() && result.unexpected_keys.is_empty());
    let t_inf = Instant::now();
    let got = fresh.classify(&test, &test_idx, &ctx)?;
    let inf_time = t_inf.elapsed().as_secs_f64();
    let same = got.iter().zip(&want).filter(|(a, b)| a == b).count();
    println!(
        "checkpoint {path} ({size} bytes) reloaded into a fresh Batching-mode network: \
         {same}/{} test predictions identical; batched inference over all {} test samples in one pass: {:.1} ms",
        want.len(),
        test.len(),
        1e3 * inf_time
    );
    println!(
        "summary: test accuracy {:.2}% ({} / {}), reloaded {:.2}%, training {train_time:.1} s for {EPOCHS} epochs; curves in out/train_digits.png",
        100.0 * acc,
        want.iter()
            .zip(&test.labels)
            .filter(|(p, l)| p == l)
            .count(),
        test.len(),
        100.0 * accuracy(&got, &test.labels),
    );
    if same != want.len() {
        return Err(format!(
            "the reloaded network disagrees on {} test samples",
            want.len() - same
        )
        .into());
    }
    if acc < 0.95 {
        return Err(format!("test accuracy {:.2}% is below 95%", 100.0 * acc).into());
    }
    Ok(())
}
