//! Targets 1 and 2 of issue 7: the Wang–Buzsáki gamma network (N = 100, 1000, 4000; dt 0.01)
//! and the COBA E/I network (4000 LIF; dt 0.1) of `brainburn::workloads`, float32 on flex, as
//! runner runs of 1000 steps on the fused path, and of 100 steps on the composed-op path for
//! comparison. The side-by-side comparison with BrainPy (whole process, 1 s simulated) is
//! `benchmarks/compare.py`.
//!
//! Run: `cargo bench --bench networks`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use brainburn::prelude::*;
use brainburn::workloads;

fn run(net: &mut Network, dt: f64, inputs: &[(&str, f64)], steps: u64, fused: bool) {
    let mut r = Runner::new(net, dt).expect("dt > 0").fused(fused);
    for (g, x) in inputs {
        r = r.input(g, InputValue::Constant(*x)).expect("group exists");
    }
    r.run_steps(steps).expect("run");
}

fn networks(c: &mut Criterion) {
    let ctx = Ctx::new(BackendKind::Flex, Precision::F32).expect("flex compiled in");
    let mode = Mode::NonBatching;
    let mut g = c.benchmark_group("wb_gamma");
    g.sample_size(10);
    for n in [100usize, 1000, 4000] {
        let mut net = workloads::wb_gamma(&ctx, mode, n, 0).expect("network");
        let inputs = [("wb", workloads::WB_INPUT)];
        g.bench_with_input(BenchmarkId::new("fused_1000_steps", n), &n, |b, _| {
            b.iter(|| run(&mut net, workloads::WB_DT, &inputs, 1000, true))
        });
        if n == 100 {
            g.bench_with_input(BenchmarkId::new("composed_100_steps", n), &n, |b, _| {
                b.iter(|| run(&mut net, workloads::WB_DT, &inputs, 100, false))
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("coba");
    g.sample_size(10);
    let mut net = workloads::coba(&ctx, mode, 1).expect("network");
    let inputs = [("E", workloads::COBA_INPUT), ("I", workloads::COBA_INPUT)];
    g.bench_function("fused_1000_steps", |b| {
        b.iter(|| run(&mut net, workloads::COBA_DT, &inputs, 1000, true))
    });
    g.bench_function("composed_100_steps", |b| {
        b.iter(|| run(&mut net, workloads::COBA_DT, &inputs, 100, false))
    });
    g.finish();
}

criterion_group!(benches, networks);
criterion_main!(benches);
