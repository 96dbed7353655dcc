//! Shared helpers for the integration tests: oracle files, contexts per backend, comparisons.
#![allow(dead_code)]

use std::path::PathBuf;

use brainburn::prelude::*;
use serde_json::Value;

/// Path of an oracle file copied into `tests/data/oracle/` (f32 files under `f32/`).
pub fn oracle_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/oracle")
        .join(name)
}

/// The oracle file `name` for `precision` (float32 files live under `f32/`).
pub fn oracle_name(precision: Precision, name: &str) -> String {
    match precision {
        Precision::F64 => name.to_string(),
        Precision::F32 => format!("f32/{name}"),
    }
}

/// `f64_tol` or `f32_tol` by precision.
pub fn tol(precision: Precision, f64_tol: f64, f32_tol: f64) -> f64 {
    match precision {
        Precision::F64 => f64_tol,
        Precision::F32 => f32_tol,
    }
}

/// A parsed oracle JSON file. The generator wrote non-finite floats as bare `Infinity`/`NaN`
/// tokens (not JSON); they are read as the strings "inf"/"-inf"/"nan" (see [`num`]).
pub fn oracle_json(name: &str) -> Value {
    let p = oracle_path(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let text = text
        .replace("-Infinity", "\"-inf\"")
        .replace("Infinity", "\"inf\"")
        .replace("NaN", "\"nan\"");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A JSON array of non-negative integers as indices.
pub fn idx_of(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// A JSON number (or one of the strings "inf", "-inf", "nan") as f64.
pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("number"),
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Value::String(s) if s == "nan" => f64::NAN,
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => panic!("not a number: {v}"),
    }
}

/// An oracle CSV as (header, rows of f64).
pub fn oracle_csv(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    read_csv(&oracle_path(name))
}

/// A CSV of numbers as (header, rows of f64).
pub fn read_csv(p: &std::path::Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut rdr = csv::Reader::from_path(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let header = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .map(|r| {
            r.expect("row")
                .iter()
                .map(|x| x.parse::<f64>().expect("number"))
                .collect()
        })
        .collect();
    (header, rows)
}

/// One column of an oracle CSV by name.
pub fn column(header: &[String], rows: &[Vec<f64>], name: &str) -> Vec<f64> {
    let k = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[k]).collect()
}

/// A JSON array of numbers as f64.
pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

/// A nested JSON array flattened row-major.
pub fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        other => vec![num(other)],
    }
}

/// The CPU backends compiled into this build (the same tests run on each).
pub fn cpu_backends() -> Vec<BackendKind> {
    BackendKind::compiled()
        .into_iter()
        .filter(|b| b.is_cpu())
        .collect()
}

/// A context on `backend` with `precision` (configures the device's default float dtype).
pub fn ctx(backend: BackendKind, precision: Precision) -> Ctx {
    Ctx::new(backend, precision).expect("backend compiled in, precision free")
}

/// A NonBatching network holding one default `LeakyIntegrator` of `n` neurons named `name`.
pub fn leaky_net(c: &Ctx, n: usize, name: &str) -> Network {
    let mut net = Network::new(c, Mode::NonBatching).unwrap();
    let g = LeakyIntegrator::named(
        n,
        LeakyIntegratorConfig::default(),
        Some(name),
        c,
        Mode::NonBatching,
    )
    .unwrap();
    net.add(g).unwrap();
    net
}

/// `[Wgpu]` when wgpu is compiled in and an adapter answers (Mesa lavapipe without a GPU);
/// otherwise a failure naming the fixes (install Mesa's Vulkan driver, or build with
/// `BRAINBURN_NO_WGPU=1` so that the wgpu binary reports its cases as ignored; `build.rs`).
pub fn wgpu_backends() -> Vec<BackendKind> {
    use std::sync::OnceLock;
    static OK: OnceLock<bool> = OnceLock::new();
    let ok = *OK.get_or_init(|| {
        if !BackendKind::Wgpu.is_compiled() {
            return false;
        }
        let probe = std::panic::catch_unwind(|| {
            let c = Ctx::new(BackendKind::Wgpu, Precision::F32).expect("wgpu f32");
            brainburn::tensor_io::to_f64_vec(c.tensor(vec![1.0, 2.0], [1, 2]).exp()).expect("read")
        });
        match probe {
            Ok(v) => (v[0] - std::f64::consts::E).abs() < 1e-5,
            Err(_) => false,
        }
    });
    assert!(
        ok,
        "no wgpu adapter answered (or wgpu is not compiled in): install mesa-vulkan-drivers \
         libvulkan1 and set XDG_RUNTIME_DIR, or build the tests with BRAINBURN_NO_WGPU=1 to \
         report the wgpu cases as ignored (refused under CI=true)"
    );
    vec![BackendKind::Wgpu]
}

/// |a − b|, 0 for equal infinities.
fn diff(x: f64, y: f64) -> f64 {
    if x == y { 0.0 } else { (x - y).abs() }
}

/// Largest |a − b| and its index (equal infinities count as equal; NaN is the worst).
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> (f64, usize) {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .enumerate()
        .fold((0.0, 0), |(m, k), (i, (x, y))| {
            let d = diff(*x, *y);
            if d > m || d.is_nan() { (d, i) } else { (m, k) }
        })
}

/// Largest |a − b| / max(|b|, floor).
pub fn max_rel_diff(a: &[f64], b: &[f64], floor: f64) -> (f64, usize) {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .enumerate()
        .fold((0.0, 0), |(m, k), (i, (x, y))| {
            let d = diff(*x, *y) / y.abs().max(floor);
            if d > m || d.is_nan() { (d, i) } else { (m, k) }
        })
}

/// Asserts `max |a − b| ≤ tol` with a useful message.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) -> f64 {
    let (d, i) = max_abs_diff(got, want);
    assert!(
        d <= tol,
        "{what}: max |diff| = {d:e} > {tol:e} at index {i} (got {}, want {})",
        got[i],
        want[i]
    );
    d
}

/// Spike trains that may shift: the same number of spikes, and spike k of `got` within
/// `max_shift` steps of spike k of `want`, for every k. Returns the largest shift measured
/// (callers print it, so the bound stays close to what is measured).
pub fn assert_spike_shift(what: &str, got: &[usize], want: &[usize], max_shift: usize) -> usize {
    assert_eq!(got.len(), want.len(), "{what}: spike count");
    let mut worst = 0;
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        let d = a.abs_diff(*b);
        assert!(
            d <= max_shift,
            "{what}: spike {k} at step {a}, reference {b} (shift {d} > {max_shift})"
        );
        worst = worst.max(d);
    }
    worst
}

/// Steps `net` `steps` times (`dt` ms), adding the constant `input` into group `post` before
/// each step, and returns the sum of `post`'s spikes over the run (a BPTT loss).
pub fn spike_count_loss(
    net: &mut Network,
    c: &Ctx,
    post: &str,
    input: f64,
    steps: usize,
    dt: f64,
) -> brainburn::burn::tensor::Tensor<1> {
    let mut loss: Option<brainburn::burn::tensor::Tensor<1>> = None;
    for _ in 0..steps {
        net.add_input(post, c.tensor(vec![input], [1, 1])).unwrap();
        net.step(dt).unwrap();
        let s = net
            .group(post)
            .unwrap()
            .spike()
            .unwrap()
            .to_float(c.dtype())
            .sum();
        loss = Some(match loss {
            None => s,
            Some(l) => l + s,
        });
    }
    loss.expect("at least one step")
}

/// Training mode (batch 2): a PoissonGroup(`n_pre`) firing at `freq` Hz and a LIF(`n_post`)
/// whose forward is the smooth sigmoid with alpha = 1 — its σ(x) has exactly the surrogate
/// gradient σ(x)(1 − σ(x)) as derivative (BrainPy's smooth Sigmoid forward ignores alpha, so
/// with another alpha BPTT would differentiate a different function than the forward computes).
pub fn poisson_and_smooth_lif(
    c: &Ctx,
    n_pre: usize,
    freq: f64,
    seed: u64,
    n_post: usize,
) -> (PoissonGroup, Lif) {
    let mode = Mode::Training { batch_size: 2 };
    let pre = PoissonGroup::new(
        n_pre,
        PoissonGroupConfig {
            freqs: vec![freq],
            seed,
        },
        c,
        mode,
    )
    .unwrap();
    let lif_cfg = LifConfig {
        surrogate: Surrogate::Sigmoid { alpha: 1.0 },
        forward_use_surrogate: true,
        ..Default::default()
    };
    (pre, Lif::new(n_post, lif_cfg, c, mode).unwrap())
}
