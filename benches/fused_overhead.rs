//! Target 3 of issue 7: one fused step (the kernel call the fused engine makes per step) of
//! LIF, Wang–Buzsáki and HH against a hand-written plain Rust loop doing the same arithmetic
//! on the same float32 data (`plain_loops.rs`; `plain` for the SSE2 baseline, `plain_native`
//! for the fused step's instruction set on this CPU), at N = 10³, 10⁴, 10⁵.
//!
//! Run: `cargo bench --bench fused_overhead` (`examples/bench_overhead.rs` prints the ratios).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "fused_models.rs"]
mod fused_models;
#[path = "plain_loops.rs"]
mod plain_loops;

use brainburn::dynamics::StepTime;
use plain_loops::{Cephes, Libm};

fn overhead(c: &mut Criterion) {
    for model in ["lif", "wb", "hh"] {
        let mut g = c.benchmark_group(format!("step_{model}"));
        g.sample_size(20);
        g.measurement_time(std::time::Duration::from_secs(2));
        for n in [1_000usize, 10_000, 100_000] {
            let dt = if model == "lif" { 0.1 } else { 0.01 };
            let (mut k, input) = fused_models::kernel(model, n);
            let mut i = 0u64;
            g.bench_with_input(BenchmarkId::new("fused", n), &n, |b, _| {
                b.iter(|| {
                    k.update(&StepTime::new(i, dt), &input);
                    i += 1;
                })
            });
            match model {
                "lif" => {
                    let mut p = plain_loops::Lif::new(n);
                    let mut t = 0.0f32;
                    g.bench_with_input(BenchmarkId::new("plain", n), &n, |b, _| {
                        b.iter(|| {
                            p.step(t, dt);
                            t += dt as f32;
                        })
                    });
                    let mut p = plain_loops::Lif::new(n);
                    let mut t = 0.0f32;
                    g.bench_with_input(BenchmarkId::new("plain_native", n), &n, |b, _| {
                        b.iter(|| {
                            p.step_native(t, dt);
                            t += dt as f32;
                        })
                    });
                }
                "wb" => {
                    let mut p = plain_loops::Wb::new(n);
                    g.bench_with_input(BenchmarkId::new("plain", n), &n, |b, _| {
                        b.iter(|| p.step::<Cephes>(dt as f32))
                    });
                    let mut p = plain_loops::Wb::new(n);
                    g.bench_with_input(BenchmarkId::new("plain_native", n), &n, |b, _| {
                        b.iter(|| p.step_native::<Cephes>(dt as f32))
                    });
                    let mut p = plain_loops::Wb::new(n);
                    g.bench_with_input(BenchmarkId::new("plain_libm", n), &n, |b, _| {
                        b.iter(|| p.step::<Libm>(dt as f32))
                    });
                }
                _ => {
                    let mut p = plain_loops::Hh::new(n);
                    g.bench_with_input(BenchmarkId::new("plain", n), &n, |b, _| {
                        b.iter(|| p.step::<Cephes>(dt as f32))
                    });
                    let mut p = plain_loops::Hh::new(n);
                    g.bench_with_input(BenchmarkId::new("plain_native", n), &n, |b, _| {
                        b.iter(|| p.step_native::<Cephes>(dt as f32))
                    });
                    let mut p = plain_loops::Hh::new(n);
                    g.bench_with_input(BenchmarkId::new("plain_libm", n), &n, |b, _| {
                        b.iter(|| p.step::<Libm>(dt as f32))
                    });
                }
            }
        }
        g.finish();
    }
}

criterion_group!(benches, overhead);
criterion_main!(benches);
