//! How BPTT cost grows with the number of steps T: memory and time are linear in T when the
//! per-step inputs are separate tensors (what brainburn's training helpers take), and the
//! backward pass turns quadratic when one step is sliced out of a precomputed `[T, B, N]`
//! tensor inside the loop (the pitfall in DESIGN.md).
//!
//! Each measurement runs in a fresh child process (its peak RSS, `VmHWM`, is then that run's
//! alone): one forward pass over T steps of a Training-mode network (64 inputs → 128 LIF →
//! 10 leaky readout, batch 16) and one backward pass of a readout cross-entropy.
//!
//! Run: `cargo run --release --example bptt_scaling` (about a minute on 2 cores).

use std::process::Command;
use std::time::Instant;

use brainburn::prelude::*;
use brainburn::train::{Readout, membrane_cross_entropy};
use burn::tensor::Tensor;

const BATCH: usize = 16;
const N_IN: usize = 64;
const HIDDEN: usize = 128;
const OUT: usize = 10;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// One forward + backward over `steps` steps; prints `steps peak_kb forward_ms backward_ms`.
fn child(steps: usize, sliced: bool) -> Result<()> {
    let ctx = Ctx::new(BackendKind::Flex, Precision::F32)?.autodiff();
    let mode = Mode::Training { batch_size: BATCH };
    let lif = LifConfig {
        v_th: 1.0.into(),
        v_reset: 0.0.into(),
        tau: 5.0.into(),
        surrogate: Surrogate::Sigmoid { alpha: 4.0 },
        ..Default::default()
    };
    let mut hidden = Lif::new(HIDDEN, lif, &ctx, mode)?;
    let mut readout = LeakyIntegrator::new(OUT, LeakyIntegratorConfig::default(), &ctx, mode)?;
    let w1 = ctx
        .tensor(
            (0..N_IN * HIDDEN)
                .map(|i| 0.05 * ((i * 7919 % 1000) as f64 / 500.0 - 0.6))
                .collect(),
            [N_IN, HIDDEN],
        )
        .require_grad();
    let w2 = ctx
        .tensor(
            (0..HIDDEN * OUT)
                .map(|i| 0.2 * ((i * 104729 % 1000) as f64 / 500.0 - 1.0))
                .collect(),
            [HIDDEN, OUT],
        )
        .require_grad();
    let input = |k: usize| -> Vec<f64> {
        (0..BATCH * N_IN)
            .map(|i| (((i + 31 * k) * 2654435761usize) % 1000) as f64 / 1000.0)
            .collect()
    };
    // The pitfall: all inputs as one [T, B, N] tensor, one step sliced out per iteration.
    let all = sliced.then(|| {
        let v: Vec<f64> = (0..steps).flat_map(input).collect();
        Tensor::<3>::from_data(
            burn::tensor::TensorData::new(v, [steps, BATCH, N_IN]).convert_dtype(ctx.dtype()),
            (&ctx.device, ctx.dtype()),
        )
        .require_grad()
    });
    let t0 = Instant::now();
    let mut vs = Vec::with_capacity(steps);
    for k in 0..steps {
        let x = match &all {
            Some(a) => a.clone().narrow(0, k, 1).reshape([BATCH, N_IN]),
            None => ctx.tensor(input(k), [BATCH, N_IN]),
        };
        let ts = StepTime::new(k as u64, 1.0);
        hidden.step_with(&ts, Some(x.matmul(w1.clone())))?;
        let s = hidden
            .spike()
            .ok_or_else(|| Error::arg("hidden", "no spikes"))?
            .to_float(ctx.dtype());
        readout.step_with(&ts, Some(s.matmul(w2.clone())))?;
        vs.push(readout.v().ok_or_else(|| Error::arg("readout", "no V"))?);
    }
    let targets: Vec<usize> = (0..BATCH).map(|b| b % OUT).collect();
    let loss = membrane_cross_entropy(&vs, &targets, Readout::Mean)?;
    let _ = brainburn::tensor_io::to_f64_vec(loss.clone().detach())?;
    let forward = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let grads = loss.backward();
    let g = w1
        .grad(&grads)
        .ok_or_else(|| Error::arg("w1", "no gradient"))?;
    let _ = brainburn::tensor_io::to_f64_vec(g.sum())?;
    let backward = t1.elapsed().as_secs_f64();
    println!(
        "{steps} {} {:.1} {:.1}",
        peak_rss_kb(),
        1e3 * forward,
        1e3 * backward
    );
    Ok(())
}

fn measure(steps: usize, sliced: bool) -> std::result::Result<(u64, f64, f64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(steps.to_string());
    if sliced {
        cmd.arg("--sliced");
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    let parse = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok());
    match (parse(1), parse(2), parse(3)) {
        (Some(kb), Some(fw), Some(bw)) => Ok((kb as u64, fw, bw)),
        _ => Err(format!("unexpected child output `{text}`")),
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let steps: usize = args
            .get(2)
            .and_then(|s| s.parse().ok())
            .ok_or("--child needs a step count")?;
        child(steps, args.iter().any(|a| a == "--sliced"))?;
        return Ok(());
    }
    let (base_kb, _, _) = measure(1, false)?;
    println!(
        "BPTT over T steps, batch {BATCH}, {N_IN} → {HIDDEN} LIF → {OUT} readout, flex f32; \
         baseline peak RSS (T = 1) {:.1} MB",
        base_kb as f64 / 1024.0
    );
    for (label, sliced, ts) in [
        ("per-step tensors", false, vec![200, 400, 800, 1600]),
        (
            "sliced [T,B,N] input (pitfall)",
            true,
            vec![200, 400, 800, 1600],
        ),
    ] {
        println!("\n{label}:");
        println!(
            "     T   peak RSS MB   (−base)/T KB   forward ms   backward ms   backward µs/step"
        );
        for t in ts {
            let (kb, fw, bw) = measure(t, sliced)?;
            println!(
                "{t:6}   {:11.1}   {:12.1}   {fw:10.1}   {bw:11.1}   {:16.1}",
                kb as f64 / 1024.0,
                (kb.saturating_sub(base_kb)) as f64 / t as f64,
                1e3 * bw / t as f64
            );
        }
    }
    Ok(())
}
