//! Target 3 of issue 7, as a table: one fused step of LIF, Wang–Buzsáki and HH (the kernel
//! call the fused engine makes per step) against a hand-written plain Rust loop doing the same
//! arithmetic on the same float32 data (`benches/plain_loops.rs`; `plain` uses the kernels'
//! polynomial exponential, `plain_libm` `f32::exp`), at N = 10³, 10⁴, 10⁵. Each plain loop
//! runs twice: compiled for the SSE2 baseline (`sse2`) and compiled for the instruction set
//! the fused step runs with on this CPU (`native`: AVX-512F/VL or AVX2, selected at run time
//! as the fused engine selects its lanes); the ratio that compares like with like is
//! fused / plain native. Each time is the minimum over `--rounds` alternating rounds of
//! `steps` steps.
//!
//! Run: `cargo run --release --example bench_overhead` (the criterion version:
//! `cargo bench --bench fused_overhead`).

#[path = "../benches/fused_models.rs"]
mod fused_models;
#[path = "../benches/plain_loops.rs"]
mod plain_loops;

use std::time::Instant;

use brainburn::dynamics::StepTime;
use plain_loops::{Cephes, Libm};

fn arg(name: &str, default: usize) -> usize {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Seconds per step of `f` (min over rounds, each `steps` calls).
fn time(best: &mut f64, steps: usize, mut f: impl FnMut()) {
    let t = Instant::now();
    for _ in 0..steps {
        f();
    }
    *best = best.min(t.elapsed().as_secs_f64() / steps as f64);
}

fn main() {
    let rounds = arg("--rounds", 7);
    let isa = if brainburn::fused::simd::has_avx512() {
        "avx512"
    } else if brainburn::fused::simd::has_avx2() {
        "avx2"
    } else {
        "sse2"
    };
    println!("fused step and plain native loops compiled for: {isa}");
    println!(
        "| model | N | fused (µs/step) | plain sse2 | plain native | fused/plain native | fused/plain sse2 | libm sse2 | libm native | fused/libm native |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for model in ["lif", "wb", "hh"] {
        for n in [1_000usize, 10_000, 100_000] {
            let steps = (2_000_000 / n).max(20);
            let dt = if model == "lif" { 0.1 } else { 0.01 };
            let (mut k, input) = fused_models::kernel(model, n);
            // (baseline, native) state pairs, for the polynomial and the libm exponential.
            let (mut lif, mut lif_n) = (plain_loops::Lif::new(n), plain_loops::Lif::new(n));
            let (mut wb, mut wb_n) = (plain_loops::Wb::new(n), plain_loops::Wb::new(n));
            let (mut wbl, mut wbl_n) = (plain_loops::Wb::new(n), plain_loops::Wb::new(n));
            let (mut hh, mut hh_n) = (plain_loops::Hh::new(n), plain_loops::Hh::new(n));
            let (mut hhl, mut hhl_n) = (plain_loops::Hh::new(n), plain_loops::Hh::new(n));
            let mut best = [f64::MAX; 5]; // fused, sse2, native, libm sse2, libm native
            let mut i = 0u64;
            for _ in 0..rounds {
                time(&mut best[0], steps, || {
                    k.update(&StepTime::new(i, dt), &input);
                    i += 1;
                });
                match model {
                    "lif" => {
                        let mut t = 0.0f32;
                        time(&mut best[1], steps, || {
                            lif.step(t, dt);
                            t += dt as f32;
                        });
                        let mut t = 0.0f32;
                        time(&mut best[2], steps, || {
                            lif_n.step_native(t, dt);
                            t += dt as f32;
                        });
                    }
                    "wb" => {
                        let d = dt as f32;
                        time(&mut best[1], steps, || wb.step::<Cephes>(d));
                        time(&mut best[2], steps, || wb_n.step_native::<Cephes>(d));
                        time(&mut best[3], steps, || wbl.step::<Libm>(d));
                        time(&mut best[4], steps, || wbl_n.step_native::<Libm>(d));
                    }
                    _ => {
                        let d = dt as f32;
                        time(&mut best[1], steps, || hh.step::<Cephes>(d));
                        time(&mut best[2], steps, || hh_n.step_native::<Cephes>(d));
                        time(&mut best[3], steps, || hhl.step::<Libm>(d));
                        time(&mut best[4], steps, || hhl_n.step_native::<Libm>(d));
                    }
                }
            }
            let us = |s: f64| s * 1e6;
            let [tf, tp, tn, tl, tln] = best;
            let libm = if tl < f64::MAX {
                format!("{:.2} | {:.2} | {:.2}", us(tl), us(tln), tf / tln)
            } else {
                "— | — | —".into()
            };
            println!(
                "| {model} | {n} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {libm} |",
                us(tf),
                us(tp),
                us(tn),
                tf / tn,
                tf / tp
            );
        }
    }
}
