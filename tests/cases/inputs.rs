//! BrainPy 2.4.6's input-current helpers (`brainpy.inputs`) against the real BrainPy in float64
//! (`tests/data/oracle_inputs/inputs_f64.json`, `tools/oracle_extra/gen_inputs.py`): every
//! deterministic array whole, the calls BrainPy rejects, and the statistics of the random ones
//! (JAX's generator is not reproduced, so only their distribution is compared).

use std::path::Path;

use brainburn::inputs::OuNoise;
use brainburn::prelude::*;
use serde_json::Value;

use crate::PRECISION;
use crate::common::*;

fn oracle() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle_inputs/inputs_f64.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn rows(i: InputValue) -> Vec<Vec<f64>> {
    match i {
        InputValue::PerStep(r) => r,
        other => panic!("not per-step: {other:?}"),
    }
}

/// BrainPy's array as rows: a 1-D array is one value per row.
fn oracle_rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| match r {
            Value::Array(_) => f64s(r),
            x => vec![num(x)],
        })
        .collect()
}

fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn nested(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(f64s).collect()
}

/// Every deterministic helper reproduces BrainPy's array: the same number of rows, the same
/// sections and windows (BrainPy's int()/ceil() roundings), and the same values. Sections,
/// spikes and square waves are copies and compared exactly; the ramp is JAX's linspace
/// formula (bit-equal unless XLA contracts it to an FMA: one rounding, < 1e-15 here) and the
/// sinusoid is XLA's `sin` against Rust's (a few ulp): 1e-14 × amplitude for both.
#[test]
fn deterministic_helpers_match_brainpy() {
    if PRECISION != Precision::F64 {
        return;
    }
    let o = oracle();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for c in o["cases"].as_array().unwrap() {
        let helper = c["helper"].as_str().unwrap();
        let a = &c["args"];
        let dt = a["dt"].as_f64().unwrap();
        let (got, exact, scale) = match helper {
            "section_input" => (
                InputValue::section_input(&nested(&a["values"]), &f64s(&a["durations"]), dt),
                true,
                1.0,
            ),
            "constant_input" => {
                let pairs: Vec<(Vec<f64>, f64)> = nested(&a["values"])
                    .into_iter()
                    .zip(f64s(&a["durations"]))
                    .collect();
                let (i, total) = InputValue::constant_input(&pairs, dt).unwrap();
                assert_eq!(total, c["duration"].as_f64().unwrap(), "{c}");
                (Ok(i), true, 1.0)
            }
            "spike_input" => (
                InputValue::spike_input(
                    &f64s(&a["sp_times"]),
                    &f64s(&a["sp_lens"]),
                    &f64s(&a["sp_sizes"]),
                    a["duration"].as_f64().unwrap(),
                    dt,
                ),
                true,
                1.0,
            ),
            "ramp_input" => (
                InputValue::ramp_input(
                    a["c_start"].as_f64().unwrap(),
                    a["c_end"].as_f64().unwrap(),
                    a["duration"].as_f64().unwrap(),
                    a["t_start"].as_f64().unwrap(),
                    opt(&a["t_end"]),
                    dt,
                ),
                false,
                a["c_start"]
                    .as_f64()
                    .unwrap()
                    .abs()
                    .max(a["c_end"].as_f64().unwrap().abs()),
            ),
            "sinusoidal_input" | "square_input" => {
                let (amp, f, d) = (
                    a["amplitude"].as_f64().unwrap(),
                    a["frequency"].as_f64().unwrap(),
                    a["duration"].as_f64().unwrap(),
                );
                let (t0, t1, bias) = (
                    a["t_start"].as_f64().unwrap(),
                    opt(&a["t_end"]),
                    a["bias"].as_bool().unwrap(),
                );
                if helper == "square_input" {
                    (
                        InputValue::square_input(amp, f, d, dt, bias, t0, t1),
                        true,
                        amp,
                    )
                } else {
                    (
                        InputValue::sinusoidal_input(amp, f, d, dt, t0, t1, bias),
                        false,
                        amp,
                    )
                }
            }
            other => panic!("unknown helper {other}"),
        };
        let got = rows(got.unwrap_or_else(|e| panic!("{helper} {a}: {e}")));
        let want = oracle_rows(&c["value"]);
        assert_eq!(got.len(), want.len(), "{helper} {a}: rows");
        let tol = if exact { 0.0 } else { 1e-14 * scale };
        let mut worst = 0.0f64;
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.len(), w.len(), "{helper} {a}: row {k} width");
            for (x, y) in g.iter().zip(w) {
                let d = (x - y).abs();
                assert!(d <= tol, "{helper} {a}: row {k}: {x} vs BrainPy {y}");
                worst = worst.max(d);
            }
        }
        println!("{helper} {a}: {} rows, max |diff| {worst:.1e}", got.len());
        *seen.entry(helper.to_string()).or_default() += 1;
    }
    assert_eq!(
        seen.len(),
        6,
        "every deterministic helper has cases: {seen:?}"
    );
}

/// The calls BrainPy 2.4.6 rejects with a shape error are errors here too, naming the
/// argument; `ou_process` without `t_end` is the one exception (BrainPy fails on its own
/// default; here it means the whole duration, as BrainPy documents).
#[test]
fn brainpys_rejected_shapes_are_errors() {
    if PRECISION != Precision::F64 {
        return;
    }
    let o = oracle();
    let raised = |call: &str| {
        o["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["call"] == call)
            .unwrap_or_else(|| panic!("{call} not in the oracle"))["raises"]
            .as_bool()
            .unwrap()
    };
    assert!(raised("sinusoidal_input dt=0.3"));
    let e = InputValue::sinusoidal_input(1.0, 10.0, 100.0, 0.3, 0.0, None, false).unwrap_err();
    assert!(e.to_string().contains("`dt`"), "{e}");
    assert!(raised("square_input dt=0.3"));
    let e = InputValue::square_input(1.0, 10.0, 100.0, 0.3, false, 0.0, None).unwrap_err();
    assert!(e.to_string().contains("`dt`"), "{e}");
    assert!(raised("section_input lengths"));
    let e = InputValue::section_input(&[[1.0]], &[1.0, 2.0], 0.1).unwrap_err();
    assert!(e.to_string().contains("`values`"), "{e}");
    assert!(raised("ou_process t_end=None"));
    let r = rows(
        InputValue::ou_process(
            0.5,
            1.0,
            10.0,
            100.0,
            0.1,
            2,
            0.0,
            None,
            1,
            OuNoise::Uniform,
        )
        .unwrap(),
    );
    assert!(r.len() == 1000 && r.iter().all(|r| r.iter().all(|x| *x != 0.0)));
}

/// The random helpers against BrainPy's own draws: the same rows and zero windows, and sample
/// means and variances within the statistical error of two independent estimates. The
/// Wiener increments: 1.4·10⁶ values, SE of the mean √(0.1/1.4e6) = 2.7e-4 (bound 5·√2 SE),
/// variance to 1 % (each estimate's relative SE is 0.12 %). The OU process with BrainPy's
/// uniform increments: its first row (one step from μ: mean over 200 of σ√dt·U, SE 1.3e-3,
/// bound 0.01) and after 10 τ (≈ 40 effective samples per process, SE 1.5e-3, bound 0.01;
/// variance 10 %, relative SE 1.6 % each) — the normal increments' mean would be 3.2 away.
#[test]
fn random_helpers_have_brainpys_statistics() {
    if PRECISION != Precision::F64 {
        return;
    }
    let o = oracle();
    let stats = o["stats"].as_array().unwrap();
    let moments = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
        (m, v)
    };
    let w = &stats[0];
    assert_eq!(w["helper"], "wiener_process");
    let a = &w["args"];
    let r = rows(
        InputValue::wiener_process(
            a["duration"].as_f64().unwrap(),
            a["dt"].as_f64().unwrap(),
            a["n"].as_u64().unwrap() as usize,
            a["t_start"].as_f64().unwrap(),
            opt(&a["t_end"]),
            3,
        )
        .unwrap(),
    );
    assert_eq!(r.len() as u64, w["rows"].as_u64().unwrap());
    let zero = |rs: &[Vec<f64>]| rs.iter().filter(|r| r.iter().all(|x| *x == 0.0)).count();
    assert_eq!(
        zero(&r[..1000]) as u64,
        w["zero_rows_before"].as_u64().unwrap()
    );
    assert_eq!(
        zero(&r[8000..]) as u64,
        w["zero_rows_after"].as_u64().unwrap()
    );
    assert_eq!(zero(&r[1000..8000]), 0);
    let xs: Vec<f64> = r[1000..8000].iter().flatten().copied().collect();
    let (wm, wv) = moments(&xs);
    let (bm, bv) = (w["mean"].as_f64().unwrap(), w["var"].as_f64().unwrap());
    assert!(
        (wm - bm).abs() < 5.0 * 2f64.sqrt() * 2.7e-4,
        "wiener mean {wm} vs BrainPy {bm}"
    );
    assert!(
        (wv / bv - 1.0).abs() < 0.01,
        "wiener var {wv} vs BrainPy {bv}"
    );

    let ou = &stats[1];
    assert_eq!(ou["helper"], "ou_process");
    let a = &ou["args"];
    let r = rows(
        InputValue::ou_process(
            a["mean"].as_f64().unwrap(),
            a["sigma"].as_f64().unwrap(),
            a["tau"].as_f64().unwrap(),
            a["duration"].as_f64().unwrap(),
            a["dt"].as_f64().unwrap(),
            a["n"].as_u64().unwrap() as usize,
            a["t_start"].as_f64().unwrap(),
            opt(&a["t_end"]),
            5,
            OuNoise::Uniform,
        )
        .unwrap(),
    );
    assert_eq!(r.len() as u64, ou["rows"].as_u64().unwrap());
    let (m0, _) = moments(&r[0]);
    let bm0 = ou["first_row_mean"].as_f64().unwrap();
    assert!(
        (m0 - bm0).abs() < 0.01,
        "ou first row {m0} vs BrainPy {bm0}"
    );
    let burn = ou["burn_in_rows"].as_u64().unwrap() as usize;
    let xs: Vec<f64> = r[burn..].iter().flatten().copied().collect();
    let (m, v) = moments(&xs);
    let (bm, bv) = (ou["mean"].as_f64().unwrap(), ou["var"].as_f64().unwrap());
    assert!((m - bm).abs() < 0.01, "ou mean {m} vs BrainPy {bm}");
    assert!((v / bv - 1.0).abs() < 0.1, "ou var {v} vs BrainPy {bv}");
    println!(
        "wiener mean {wm:.2e} var {wv:.5}; ou mean {m:.4} (BrainPy {bm:.4}) var {v:.5} (BrainPy {bv:.5})"
    );
}

/// A helper's array drives a group step by step through the [`Runner`]: row k is the input
/// of step k (`int(0.5/0.1) = 5`, `int(0.35/0.1) = 3`: rows 5, 6, 7 carry the current).
#[test]
fn a_helpers_rows_are_the_runners_steps() {
    if PRECISION != Precision::F64 {
        return;
    }
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = leaky_net(&c, 1, "li");
        let input = InputValue::spike_input(&[0.5], &[0.35], &[2.0], 2.0, 0.1).unwrap();
        let InputValue::PerStep(r) = &input else {
            panic!("per-step")
        };
        let steps = r.len();
        assert_eq!(steps, 20);
        let mon = Runner::new(&mut net, 0.1)
            .unwrap()
            .input("li", input)
            .unwrap()
            .monitor("li.input")
            .unwrap()
            .run_steps(steps as u64)
            .unwrap();
        // The input state is recorded before it is cleared.
        let got = mon.get("li.input").unwrap().trace.to_host().unwrap();
        let want: Vec<f64> = [0.0; 5]
            .into_iter()
            .chain([2.0; 3])
            .chain([0.0; 12])
            .collect();
        assert_eq!(got, want, "{backend}");
    }
}

/// `bp.dyn.OUProcess` as a group: `x` starts at the mean; composed and fused runs give the same
/// path (one seeded noise stream, the exp-Euler drift in both: ≤ 1e-12 over 9000 steps); and
/// the path has BrainPy's statistics: 200 processes, 9000 steps of 0.1 ms, after a burn-in of
/// 10 τ mean and variance against BrainPy's own run (≈ 40 effective samples per process:
/// SE of the mean 0.005 each, bound 0.035 = 5·√2 SE; variance 10 %, relative SE 1.6 % each),
/// and the first step's spread σ²·dt (mean bound 0.03 = 5·√2·√(σ²dt/200)).
#[test]
fn ou_process_group_has_brainpys_statistics() {
    if PRECISION != Precision::F64 {
        return;
    }
    let o = oracle();
    let b = &o["ou_group"];
    let n = b["N"].as_u64().unwrap() as usize;
    let steps = b["n_steps"].as_u64().unwrap();
    let burn = b["burn_in"].as_u64().unwrap() as usize;
    let dt = b["dt"].as_f64().unwrap();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut runs = Vec::new();
        for fused in [false, true] {
            let cfg = OuProcessConfig {
                mean: b["mean"].as_f64().unwrap().into(),
                tau: b["tau"].as_f64().unwrap().into(),
                sigma: b["sigma"].as_f64().unwrap().into(),
                noise_seed: 11,
                ..Default::default()
            };
            let mut net = Network::new(&c, Mode::NonBatching).unwrap();
            net.add(OuProcess::named(n, cfg, Some("ou"), &c, Mode::NonBatching).unwrap())
                .unwrap();
            let mon = Runner::new(&mut net, dt)
                .unwrap()
                .fused(fused)
                .monitor("ou.x")
                .unwrap()
                .run_steps(steps)
                .unwrap();
            assert_eq!(
                mon.engine().is_fused(),
                fused,
                "{backend}: {:?}",
                mon.engine()
            );
            runs.push(mon.get("ou.x").unwrap().trace.to_host().unwrap());
        }
        let worst = runs[0]
            .iter()
            .zip(&runs[1])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-12, "{backend}: composed vs fused {worst:e}");
        let x = &runs[1];
        let moments = |xs: &[f64]| {
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            (
                m,
                xs.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / xs.len() as f64,
            )
        };
        let (m, v) = moments(&x[burn * n..]);
        let (bm, bv) = (b["x_mean"].as_f64().unwrap(), b["x_var"].as_f64().unwrap());
        assert!(
            (m - bm).abs() < 0.035,
            "{backend}: mean {m} vs BrainPy {bm}"
        );
        assert!(
            (v / bv - 1.0).abs() < 0.1,
            "{backend}: var {v} vs BrainPy {bv}"
        );
        let (m0, v0) = moments(&x[..n]);
        let bm0 = b["first_step_mean"].as_f64().unwrap();
        assert!(
            (m0 - bm0).abs() < 0.03,
            "{backend}: first step {m0} vs BrainPy {bm0}"
        );
        println!(
            "{backend}: composed vs fused {worst:.1e}; mean {m:.4} (BrainPy {bm:.4}), var {v:.4} \
             (BrainPy {bv:.4}); first step mean {m0:.4} var {v0:.5} (BrainPy {bm0:.4})"
        );
    }
}
