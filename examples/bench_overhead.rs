//! Target 3 of issue 7, as a table: one fused step of LIF, Wang–Buzsáki and HH (the kernel
//! call the fused engine makes per step) against a hand-written plain Rust loop doing the same
//! arithmetic on the same float32 data (`benches/plain_loops.rs`; `plain` uses the kernels'
//! polynomial exponential, `plain_libm` `f32::exp`), at N = 10³, 10⁴, 10⁵. Each time is the
//! minimum over `--rounds` alternating rounds of `steps` steps; ratios fused / plain.
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
    println!(
        "simd: avx512 {}, avx2 {}",
        brainburn::fused::simd::has_avx512(),
        brainburn::fused::simd::has_avx2()
    );
    println!(
        "| model | N | fused (µs/step) | plain loop (µs/step) | fused/plain | plain loop, libm exp (µs/step) | fused/plain_libm |"
    );
    println!("|---|---|---|---|---|---|---|");
    for model in ["lif", "wb", "hh"] {
        for n in [1_000usize, 10_000, 100_000] {
            let steps = (2_000_000 / n).max(20);
            let dt = if model == "lif" { 0.1 } else { 0.01 };
            let (mut k, input) = fused_models::kernel(model, n);
            let (mut lif, mut wb, mut hh) = (
                plain_loops::Lif::new(n),
                plain_loops::Wb::new(n),
                plain_loops::Hh::new(n),
            );
            let (mut wb2, mut hh2) = (plain_loops::Wb::new(n), plain_loops::Hh::new(n));
            let (mut tf, mut tp, mut tl) = (f64::MAX, f64::MAX, f64::MAX);
            let mut i = 0u64;
            for _ in 0..rounds {
                time(&mut tf, steps, || {
                    k.update(&StepTime::new(i, dt), &input);
                    i += 1;
                });
                match model {
                    "lif" => {
                        let mut t = 0.0f32;
                        time(&mut tp, steps, || {
                            lif.step(t, dt);
                            t += dt as f32;
                        });
                    }
                    "wb" => {
                        time(&mut tp, steps, || wb.step::<Cephes>(dt as f32));
                        time(&mut tl, steps, || wb2.step::<Libm>(dt as f32));
                    }
                    _ => {
                        time(&mut tp, steps, || hh.step::<Cephes>(dt as f32));
                        time(&mut tl, steps, || hh2.step::<Libm>(dt as f32));
                    }
                }
            }
            let us = |s: f64| s * 1e6;
            let libm = if tl < f64::MAX {
                format!("{:.2} | {:.2}", us(tl), tf / tl)
            } else {
                "— | —".into()
            };
            println!(
                "| {model} | {n} | {:.2} | {:.2} | {:.2} | {libm} |",
                us(tf),
                us(tp),
                tf / tp
            );
        }
    }
}
