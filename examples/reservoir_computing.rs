//! Reservoir computing without backpropagation, three ways (BrainPy's training tutorials):
//!
//! 1. an echo-state network predicting the Mackey–Glass series one step ahead, with a ridge
//!    readout (`RidgeTrainer`);
//! 2. next-generation reservoir computing: NVAR features of the Lorenz system and a ridge
//!    readout forecasting the next state;
//! 3. FORCE learning (Sussillo & Abbott 2009): a chaotic rate network fed back its readout,
//!    trained online by RLS (`ForceTrainer`) to produce a periodic signal on its own.
//!
//! ```text
//! cargo run --release --example reservoir_computing
//! ```
//!
//! Writes `out/esn_mackey_glass.png`, `out/nvar_lorenz.png`, `out/force_learning.png` and
//! `out/force_error.png`, and prints each task's NMSE (mean squared error over the target's
//! variance). `tests/cases/reservoir.rs` runs the same pipelines on BrainPy's data and weights
//! and matches BrainPy 2.4.6's NMSE (0.02035, 3.16e-8 and 0.00903 there).

use brainburn::algorithms::linalg::Mat;
use brainburn::datasets::chaos::{Lorenz, MackeyGlass};
use brainburn::fit::{Dense, FitModel, ForceTrainer, Node, RidgeTrainer, Sequential};
use brainburn::plot::{Series, line_chart};
use brainburn::prelude::*;
use brainburn::rates::{ActivationType, Nvar, Reservoir, ReservoirConfig};
use brainburn::tensor_io::to_f64_vec;
use burn::tensor::Tensor;

fn nmse(pred: &[f64], truth: &[f64]) -> f64 {
    let n = truth.len() as f64;
    let mean = truth.iter().sum::<f64>() / n;
    let var = truth.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    pred.iter()
        .zip(truth)
        .map(|(p, t)| (p - t).powi(2))
        .sum::<f64>()
        / n
        / var
}

fn points(from: usize, ys: &[f64]) -> Vec<(f64, f64)> {
    ys.iter()
        .enumerate()
        .map(|(k, &y)| ((from + k) as f64, y))
        .collect()
}

fn column(ctx: &Ctx, v: &[f64]) -> Tensor<2> {
    ctx.tensor(v.to_vec(), [v.len(), 1])
}

/// 1. Echo-state network on Mackey–Glass (series sampled every 0.5 time units).
fn esn(ctx: &Ctx) -> Result<f64> {
    let raw = MackeyGlass::default().series(9000, None)?;
    let s: Vec<f64> = raw[1000..].iter().step_by(5).take(1501).copied().collect();
    let mean = s.iter().sum::<f64>() / s.len() as f64;
    let std = (s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / s.len() as f64).sqrt();
    let s: Vec<f64> = s.iter().map(|v| (v - mean) / std).collect();
    let res = Reservoir::new(
        ReservoirConfig {
            num_in: 1,
            num_out: 100,
            leaky_rate: 0.3,
            win: Initializer::uniform(-0.5, 0.5, 11),
            wrec: Initializer::normal(0.0, 1.0, 12),
            in_connectivity: 1.0,
            rec_connectivity: 0.1,
            spectral_radius: Some(0.95),
            seed: 13,
            ..Default::default()
        },
        ctx,
    )?;
    let readout = Dense::from_weights(Mat::zeros(100, 1), Some(vec![0.0]), ctx)?;
    let mut trainer = RidgeTrainer::new(Sequential::new().push(res).push(readout), 1e-6)?;
    trainer.fit_unbatched(column(ctx, &s[0..1000]), column(ctx, &s[1..1001]), true)?;
    let pred = to_f64_vec(trainer.predict_unbatched(column(ctx, &s[1000..1500]), false)?)?;
    let truth = &s[1001..1501];
    let e = nmse(&pred, truth);
    line_chart(
        "out/esn_mackey_glass.png",
        &format!("Echo-state network, Mackey–Glass one step ahead (test NMSE {e:.2e})"),
        "sample (Δt = 0.5)",
        "x (normalised)",
        &[
            Series::new("truth", points(1001, truth)),
            Series::new("ESN prediction", points(1001, &pred)),
        ],
        (1000, 420),
    )?;
    Ok(e)
}

/// 2. NVAR forecasting Lorenz (dt = 0.025): the readout learns x(t+1) − x(t).
fn nvar(ctx: &Ctx) -> Result<f64> {
    let lorenz = Lorenz {
        dt: 0.025,
        ..Default::default()
    };
    let xyz = lorenz.series(
        3000,
        [17.67715816276679, 12.931379185960404, 43.91404334248268],
    )?;
    let rows = |a: usize, b: usize| -> Vec<f64> { xyz[a..b].iter().flatten().copied().collect() };
    let (warm, ntrain, ntest) = (400, 400, 2000);
    let x = rows(warm, warm + ntrain);
    let dx: Vec<f64> = rows(warm + 1, warm + ntrain + 1)
        .iter()
        .zip(&x)
        .map(|(n, x)| n - x)
        .collect();
    let nv = Nvar::new(3, 2, &[2], 1, true, ctx)?;
    let readout = Dense::from_weights(Mat::zeros(nv.num_out(), 3), None, ctx)?;
    let mut trainer = RidgeTrainer::new(Sequential::new().push(nv).push(readout), 2.5e-6)?;
    trainer.fit_unbatched(
        ctx.tensor(x, [ntrain, 3]),
        ctx.tensor(dx, [ntrain, 3]),
        true,
    )?;
    let xt = rows(warm + ntrain, warm + ntrain + ntest);
    let step = to_f64_vec(trainer.predict_unbatched(ctx.tensor(xt.clone(), [ntest, 3]), false)?)?;
    let pred: Vec<f64> = xt.iter().zip(&step).map(|(x, d)| x + d).collect();
    let truth = rows(warm + ntrain + 1, warm + ntrain + ntest + 1);
    let comp = |v: &[f64], k: usize| -> Vec<f64> { v.iter().skip(k).step_by(3).copied().collect() };
    let e = (0..3)
        .map(|k| nmse(&comp(&pred, k), &comp(&truth, k)))
        .sum::<f64>()
        / 3.0;
    let from = warm + ntrain + 1;
    line_chart(
        "out/nvar_lorenz.png",
        &format!("NVAR (delay 2, order 2) one-step forecast of Lorenz (NMSE {e:.2e})"),
        "step (dt = 0.025)",
        "x and z",
        &[
            Series::new("x truth", points(from, &comp(&truth, 0))),
            Series::new("x NVAR", points(from, &comp(&pred, 0))),
            Series::new("z truth", points(from, &comp(&truth, 2))),
            Series::new("z NVAR", points(from, &comp(&pred, 2))),
        ],
        (1000, 420),
    )?;
    Ok(e)
}

/// FORCE's network: the reservoir's input is the readout's last output.
#[derive(Debug)]
struct ForceNet {
    res: Reservoir,
    out: Dense,
    z: Tensor<2>,
    state0: Tensor<2>,
}

impl FitModel for ForceNet {
    fn reset_state(&mut self, _batch: usize) -> Result<()> {
        self.res.set_state(self.state0.clone())?;
        self.z = self.z.clone().zeros_like();
        Ok(())
    }

    fn update(&mut self, _x: Tensor<2>) -> Result<Tensor<2>> {
        let r = self.res.update(self.z.clone())?;
        self.z = self.out.update(r)?;
        Ok(self.z.clone())
    }

    fn readouts_mut(&mut self) -> Vec<&mut Dense> {
        vec![&mut self.out]
    }
}

/// 3. FORCE learning of sin(2πt/120) + ½·sin(4πt/120).
fn force(ctx: &Ctx) -> Result<f64> {
    let n = 300;
    let res = Reservoir::new(
        ReservoirConfig {
            num_in: 1,
            num_out: n,
            leaky_rate: 0.1,
            activation_type: ActivationType::External,
            win: Initializer::uniform(-1.0, 1.0, 21),
            // Gain g = 1.5 over the 10 % kept connections: the network is chaotic alone.
            wrec: Initializer::normal(0.0, 1.5 / (n as f64 * 0.1).sqrt(), 22),
            in_connectivity: 1.0,
            rec_connectivity: 0.1,
            seed: 23,
            ..Default::default()
        },
        ctx,
    )?;
    let state0 = Initializer::uniform(-0.5, 0.5, 24).generate("state0", &[n], 1)?;
    let net = ForceNet {
        res,
        out: Dense::from_weights(Mat::zeros(n, 1), None, ctx)?,
        z: ctx.zeros([1, 1]),
        state0: ctx.tensor(state0, [1, n]),
    };
    let f = |t: usize| {
        let w = 2.0 * std::f64::consts::PI * t as f64 / 120.0;
        w.sin() + 0.5 * (2.0 * w).sin()
    };
    let target: Vec<f64> = (0..3000).map(f).collect();
    let mut trainer = ForceTrainer::new(net, 1.0)?;
    let during = to_f64_vec(trainer.fit_unbatched(
        ctx.zeros([2000, 1]),
        column(ctx, &target[..2000]),
        true,
    )?)?;
    let after = to_f64_vec(trainer.predict_unbatched(ctx.zeros([1000, 1]), false)?)?;
    let e = nmse(&after, &target[2000..]);
    println!(
        "FORCE: NMSE while training {:.2e} (first 200 steps) → {:.2e} (last 200); free-running {e:.2e}",
        nmse(&during[..200], &target[..200]),
        nmse(&during[1800..], &target[1800..2000])
    );
    line_chart(
        "out/force_learning.png",
        &format!("FORCE learning: RLS on for steps 0–1999, then free running (NMSE {e:.2e})"),
        "step",
        "readout z",
        &[
            Series::new("target", points(0, &target)),
            Series::new("z while training", points(0, &during)),
            Series::new("z free running", points(2000, &after)),
        ],
        (1000, 420),
    )?;
    let err: Vec<f64> = during
        .iter()
        .chain(&after)
        .zip(&target)
        .map(|(z, t)| (z - t).abs())
        .collect();
    line_chart(
        "out/force_error.png",
        "FORCE learning: readout error |z − target| over time",
        "step",
        "|z − target|",
        &[Series::new("error", points(0, &err))],
        (1000, 320),
    )?;
    Ok(e)
}

fn main() -> Result<()> {
    let ctx = Ctx::new(BackendKind::Flex, Precision::F64)?;
    println!(
        "engine: composed tensor ops on {} ({}); fits in float64 on the host",
        ctx.backend, ctx.precision
    );
    std::fs::create_dir_all("out").map_err(|e| Error::Io {
        path: "out".into(),
        source: e,
    })?;
    let t0 = std::time::Instant::now();
    println!("ESN, Mackey–Glass: test NMSE {:.3e}", esn(&ctx)?);
    println!("NVAR, Lorenz: test NMSE {:.3e}", nvar(&ctx)?);
    let e = force(&ctx)?;
    println!("FORCE: free-running NMSE {e:.3e}");
    println!(
        "wrote out/esn_mackey_glass.png, out/nvar_lorenz.png, out/force_learning.png, \
         out/force_error.png ({:.1} s)",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
