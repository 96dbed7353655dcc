//! Benchmark (issue 7, target 1): the Wang–Buzsáki gamma network of BrainPy's benchmark
//! ([`brainburn::workloads::wb_gamma`]: N `WangBuzsakiModel` neurons, V₀ = −70 + 20·N(0, 1),
//! GABAa All2All without self, g_max = 0.1/N, α 12, β 0.1, T 1 mM, T_duration 1 ms, COBA −75),
//! I = 1 µA/cm², dt 0.01 ms, 1 s simulated (100 000 steps), float32 — and prints one JSON
//! line with its timings.
//!
//! The spikes of the first min(N, 100) neurons are monitored every step (BrainPy's benchmark
//! monitors one scalar per step). `benchmarks/compare.py` times this whole process against
//! BrainPy 2.4.6 (`benchmarks/brainpy_cpu.py`), alternating runs.
//!
//! Run: `cargo run --release --example bench_wb_gamma -- --n 1000`
//! Options: `--n N` (100), `--ms T` (1000), `--backend flex|ndarray` (flex), `--precision
//! f32|f64` (f32), `--composed` (force the composed-op path).

use std::time::Instant;

use brainburn::prelude::*;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<()> {
    let t0 = Instant::now();
    let n: usize = arg("--n", 100);
    let ms: f64 = arg("--ms", 1000.0);
    let backend: BackendKind = arg("--backend", "flex".to_string()).parse()?;
    let precision: Precision = arg("--precision", "f32".to_string()).parse()?;
    let fused = !std::env::args().any(|a| a == "--composed");
    let dt = brainburn::workloads::WB_DT;
    let ctx = Ctx::new(backend, precision)?;
    let mut net = brainburn::workloads::wb_gamma(&ctx, Mode::NonBatching, n, 0)?;
    let built = t0.elapsed().as_secs_f64();
    let watched: Vec<usize> = (0..n.min(100)).collect();
    let t1 = Instant::now();
    let mon = Runner::new(&mut net, dt)?
        .fused(fused)
        .input("wb", InputValue::Constant(brainburn::workloads::WB_INPUT))?
        .monitor_with("wb.spike", Some(watched.clone()), 1)?
        .run(ms)?;
    let run = t1.elapsed().as_secs_f64();
    let spikes = mon.spike_events("wb.spike")?.len();
    let rate = spikes as f64 / watched.len() as f64 / (ms / 1000.0);
    println!(
        "{{\"bench\":\"wb_gamma\",\"n\":{n},\"ms\":{ms},\"steps\":{},\"backend\":\"{backend}\",\"precision\":\"{precision}\",\"fused_requested\":{fused},\"engine\":\"{}\",\"build_s\":{built:.4},\"run_s\":{run:.4},\"total_in_process_s\":{:.4},\"us_per_step\":{:.3},\"monitored\":{},\"spikes\":{spikes},\"rate_hz\":{rate:.2}}}",
        (ms / dt).round(),
        mon.engine(),
        t0.elapsed().as_secs_f64(),
        run / (ms / dt) * 1e6,
        watched.len()
    );
    Ok(())
}
