//! Benchmark (issue 7, target 2): the COBA E/I network of BrainPy's benchmark (its legacy-API
//! `EINet` of `examples/dynamics_simulation/COBA.py`; [`brainburn::workloads::coba`]: 3200 E +
//! 800 I LIF, V_rest −60, V_th −50, V_reset −60, τ 20, τ_ref 5, V₀ ~ N(−55, 2), four
//! `Exponential` synapses with FixedProb(0.02), E: g_max 0.6, τ 5, COBA 0; I: g_max 6.7, τ 10,
//! COBA −80, sparse, event-driven), I_ext = 20 to every neuron, dt 0.1 ms, 1 s simulated
//! (10 000 steps), float32 — and prints one JSON line with its timings.
//!
//! The spikes of the first 100 E neurons are monitored every step. `benchmarks/compare.py`
//! times this whole process against BrainPy 2.4.6, alternating runs.
//!
//! Run: `cargo run --release --example bench_coba`
//! Options: `--ms T` (1000), `--backend flex|ndarray`, `--precision f32|f64`, `--composed`.

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
    let ms: f64 = arg("--ms", 1000.0);
    let backend: BackendKind = arg("--backend", "flex".to_string()).parse()?;
    let precision: Precision = arg("--precision", "f32".to_string()).parse()?;
    let fused = !std::env::args().any(|a| a == "--composed");
    let dt = brainburn::workloads::COBA_DT;
    let (ne, ni) = brainburn::workloads::COBA_SIZES;
    let ctx = Ctx::new(backend, precision)?;
    let mut net = brainburn::workloads::coba(&ctx, Mode::NonBatching, 1)?;
    let built = t0.elapsed().as_secs_f64();
    let watched: Vec<usize> = (0..ne.min(100)).collect();
    let t1 = Instant::now();
    let mon = Runner::new(&mut net, dt)?
        .fused(fused)
        .input("E", InputValue::Constant(brainburn::workloads::COBA_INPUT))?
        .input("I", InputValue::Constant(brainburn::workloads::COBA_INPUT))?
        .monitor_with("E.spike", Some(watched.clone()), 1)?
        .run(ms)?;
    let run = t1.elapsed().as_secs_f64();
    let spikes = mon.spike_events("E.spike")?.len();
    let rate = spikes as f64 / watched.len() as f64 / (ms / 1000.0);
    println!(
        "{{\"bench\":\"coba\",\"n\":{},\"ms\":{ms},\"steps\":{},\"backend\":\"{backend}\",\"precision\":\"{precision}\",\"fused_requested\":{fused},\"engine\":\"{}\",\"build_s\":{built:.4},\"run_s\":{run:.4},\"total_in_process_s\":{:.4},\"us_per_step\":{:.3},\"monitored\":{},\"spikes\":{spikes},\"rate_hz\":{rate:.2}}}",
        ne + ni,
        (ms / dt).round(),
        mon.engine(),
        t0.elapsed().as_secs_f64(),
        run / (ms / dt) * 1e6,
        watched.len()
    );
    Ok(())
}
