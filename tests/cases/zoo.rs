//! Oracle parity of BrainPy 2.4.6's model zoo (issue 15): every state of every neuron and the
//! spike steps against `tests/data/oracle_zoo/` (written by `tools/oracle_extra/gen_zoo.py`;
//! semantics in `docs/zoo-reference.md`), on every compiled CPU backend, through the runner on
//! the composed-op path and on the fused host engine, in the precision of the including binary.
//!
//! Bars. float64: the spike steps are identical and every state is within 1e-9 relative
//! (`|got − want| ≤ 1e-9·max(|want|, 1)`). float32: every state is compared with BrainPy's
//! *float64* column, within three times the distance BrainPy's own float32 run keeps from it
//! (`f32_vs_f64.json`) plus 4 ulp of the column's magnitude (the house bar, see
//! `conductance.rs::f32_trace_tolerance`); every spike step is within BrainPy's own
//! float32-vs-float64 shift of that neuron plus one step, and the counts are BrainPy's.

use std::path::PathBuf;

use crate::PRECISION;
use crate::common::*;
use brainburn::prelude::*;
use serde_json::Value;

/// A zoo oracle file for this binary's precision (float32 files live under `f32/`).
fn zoo_path(precision: Precision, file: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle_zoo");
    match precision {
        Precision::F64 => dir.join(file),
        Precision::F32 => dir.join("f32").join(file),
    }
}

fn read_json(p: PathBuf) -> Value {
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One oracle case: its JSON and its CSV (header, rows).
struct Case {
    meta: Value,
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
}

fn load(precision: Precision, name: &str) -> Case {
    let meta = read_json(zoo_path(precision, &format!("{name}.json")));
    let (header, rows) = read_csv(&zoo_path(precision, &format!("{name}.csv")));
    Case { meta, header, rows }
}

impl Case {
    fn col(&self, name: &str) -> Vec<f64> {
        column(&self.header, &self.rows, name)
    }
    fn steps(&self) -> Vec<usize> {
        self.col("k").into_iter().map(|k| k as usize).collect()
    }
    fn spike_steps(&self) -> Vec<Vec<u64>> {
        self.meta["spike_steps"]
            .as_array()
            .expect("spike_steps")
            .iter()
            .map(|s| {
                s.as_array()
                    .expect("steps")
                    .iter()
                    .map(|k| k.as_u64().expect("step"))
                    .collect()
            })
            .collect()
    }
}

/// The group config of a case: its `params` and `initializers` under BrainPy's names.
fn config<M: NeuronModel>(meta: &Value) -> M::Config
where
    M::Config: serde::de::DeserializeOwned,
{
    let mut m = meta["params"].as_object().expect("params").clone();
    for (k, v) in meta["initializers"].as_object().expect("initializers") {
        m.insert(k.clone(), v.clone());
    }
    serde_json::from_value(Value::Object(m)).expect("the case's parameters are a valid config")
}

/// What one run gives: every state per step (`[steps][n]` row-major) and the spike steps.
struct Run {
    states: Vec<(String, Vec<f64>)>,
    spikes: Vec<Vec<u64>>,
}

/// Runs a case's group through the runner (`fused` or on composed ops), after checking its
/// initial state against `initial` (the oracle's, in this binary's precision).
fn run<M: NeuronModel>(c: &Ctx, case: &Case, initial: &Value, fused: bool) -> Run
where
    M::Config: serde::de::DeserializeOwned,
{
    let meta = &case.meta;
    let n = meta["N"].as_u64().expect("N") as usize;
    let n_steps = meta["n_steps"].as_u64().expect("n_steps");
    let dt = num(&meta["dt"]);
    let states = case_states(meta);
    let mut net = Network::new(c, Mode::NonBatching).unwrap();
    let g = NeuGroup::<M>::named(n, config::<M>(meta), Some("g"), c, Mode::NonBatching).unwrap();
    // The initial state is BrainPy's (to the last bit but for products such as u0 = b·V0).
    for s in &states {
        let got = brainburn::tensor_io::to_f64_vec(g.states().f(s)).unwrap();
        let want = f64s(&initial[s]);
        let rel = tol(PRECISION, 1e-15, 1e-7);
        for (x, y) in got.iter().zip(&want) {
            assert!(
                (x - y).abs() <= rel * y.abs(),
                "initial {s}: {got:?} vs {want:?}"
            );
        }
    }
    net.add(g).unwrap();
    let mut r = Runner::new(&mut net, dt)
        .unwrap()
        .fused(fused)
        .input("g", InputValue::PerNeuron(f64s(&meta["input"])))
        .unwrap()
        .monitor("g.spike")
        .unwrap();
    for s in &states {
        r = r.monitor(&format!("g.{s}")).unwrap();
    }
    let mon = r.run_steps(n_steps).unwrap();
    collect(&mon, &states, n, n_steps)
}

/// The spike steps and the traces of `states` of group `g` from a run's monitors.
fn collect(mon: &Monitors, states: &[String], n: usize, n_steps: u64) -> Run {
    let spike = mon.get("g.spike").unwrap().trace.to_host().unwrap();
    let spikes = (0..n)
        .map(|j| {
            (0..n_steps)
                .filter(|&k| spike[k as usize * n + j] != 0.0)
                .collect()
        })
        .collect();
    let states = states
        .iter()
        .map(|s| {
            let t = mon.get(&format!("g.{s}")).unwrap().trace.to_host().unwrap();
            (s.clone(), t)
        })
        .collect();
    Run { states, spikes }
}

/// The states a case records, but the spike (checked through the spike steps; LIF_SFA's
/// oracle also lists it as a state).
fn case_states(meta: &Value) -> Vec<String> {
    meta["states"]
        .as_array()
        .expect("states")
        .iter()
        .map(|s| s.as_str().expect("state").to_string())
        .filter(|s| s != "spike")
        .collect()
}

/// The largest shift between two runs' spike steps of one neuron (same count required).
fn bp_shift(a: &[u64], b: &[u64]) -> u64 {
    assert_eq!(a.len(), b.len(), "spike counts differ: {a:?} vs {b:?}");
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

/// Compares a run with the oracle (the bars of the module docs); returns the worst
/// |diff| / bar (≤ 1).
fn compare(what: &str, name: &str, got: &Run, want: &Case, bp32: &Case, spread: &Value) -> f64 {
    let rows = want.steps();
    let n = want.meta["N"].as_u64().unwrap() as usize;
    let mut worst = 0.0f64;
    // Spikes.
    for (j, (g, w)) in got.spikes.iter().zip(want.spike_steps()).enumerate() {
        match PRECISION {
            Precision::F64 => assert_eq!(g, &w, "{what}: spike steps of neuron {j}"),
            Precision::F32 => {
                let allow = bp_shift(&w, &bp32.spike_steps()[j]) + 1;
                assert_eq!(g.len(), w.len(), "{what}: spike count of neuron {j}");
                let shift = bp_shift(g, &w);
                assert!(
                    shift <= allow,
                    "{what}: neuron {j} spikes {g:?}, BrainPy {w:?} (allowed ±{allow})"
                );
            }
        }
    }
    // Every state at the oracle's rows.
    for (s, trace) in &got.states {
        for j in 0..n {
            let col = format!("{s}_{j}");
            let w = want.col(&col);
            let g: Vec<f64> = rows.iter().map(|&k| trace[k * n + j]).collect();
            for (r, (x, y)) in g.iter().zip(&w).enumerate() {
                let bar = match PRECISION {
                    Precision::F64 => 1e-9 * y.abs().max(1.0),
                    Precision::F32 => {
                        let s = num(&spread["cases"][name]["columns"][&col]["max_abs"]);
                        let scale = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                        3.0 * s + 4.0 * scale * f64::from(f32::EPSILON)
                    }
                };
                let d = if x == y { 0.0 } else { (x - y).abs() };
                assert!(
                    d <= bar,
                    "{what}: {col} at step {} = {x}, BrainPy {y} (|diff| {d:e} > {bar:e})",
                    rows[r]
                );
                worst = worst.max(d / bar);
            }
        }
    }
    worst
}

/// Checks one neuron case on every backend, composed and fused, and prints the worst error
/// relative to the bar (≤ 1 passes).
fn check<M: NeuronModel>(name: &str)
where
    M::Config: serde::de::DeserializeOwned,
{
    let want = load(Precision::F64, name);
    let bp32 = load(Precision::F32, name);
    let spread = read_json(zoo_path(Precision::F64, "f32_vs_f64.json"));
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for fused in [false, true] {
            let what = format!(
                "{name} on {backend} {PRECISION} {}",
                if fused { "fused" } else { "composed" }
            );
            let initial = match PRECISION {
                Precision::F64 => &want.meta["initial"],
                Precision::F32 => &bp32.meta["initial"],
            };
            let got = run::<M>(&c, &want, initial, fused);
            let worst = compare(&what, name, &got, &want, &bp32, &spread);
            println!("{what}: worst |diff| / bar = {worst:.3e}");
        }
    }
}

#[test]
fn expif_matches_brainpy() {
    check::<ExpIfModel>("expif_default");
    check::<ExpIfModel>("expif_params");
}

#[test]
fn adexif_matches_brainpy() {
    check::<AdExIfModel>("adexif_default");
    check::<AdExIfModel>("adexif_params");
}

#[test]
fn quaif_matches_brainpy() {
    check::<QuaIfModel>("quaif_default");
    check::<QuaIfModel>("quaif_params");
}

#[test]
fn adquaif_matches_brainpy() {
    check::<AdQuaIfModel>("adquaif_default");
    check::<AdQuaIfModel>("adquaif_params");
}

#[test]
fn izhikevich_matches_brainpy() {
    check::<IzhikevichModel>("izhikevich_default");
    check::<IzhikevichModel>("izhikevich_params");
}

#[test]
fn gif_matches_brainpy() {
    check::<GifModel>("gif_default");
    check::<GifModel>("gif_params");
}

#[test]
fn hindmarshrose_matches_brainpy() {
    check::<HindmarshRoseModel>("hindmarshrose_default");
    check::<HindmarshRoseModel>("hindmarshrose_params");
}

#[test]
fn fhn_matches_brainpy() {
    check::<FhnModel>("fhn_default");
    check::<FhnModel>("fhn_params");
}

#[test]
fn morrislecar_matches_brainpy() {
    check::<MorrisLecarModel>("morrislecar_default");
    check::<MorrisLecarModel>("morrislecar_params");
}

#[test]
fn alif_bellec2020_matches_brainpy() {
    check::<AlifBellecAlif>("alif_default");
    check::<AlifBellecAlif>("alif_params");
}

#[test]
fn lif_sfa_bellec2020_matches_brainpy() {
    check::<AlifBellecLifSfa>("lifsfa_default");
    check::<AlifBellecLifSfa>("lifsfa_params");
}

/// The network file of a case: one group `g` of BrainPy class `class` with the case's
/// parameters, initializers and constant input, under BrainPy's names.
fn network_file(class: &str, meta: &Value) -> String {
    let mut t = format!(
        "dt = {:?}\nduration = 1.0\n\n[[groups]]\nname = \"g\"\nmodel = \"{class}\"\nsize = {}\n",
        num(&meta["dt"]),
        meta["N"].as_u64().expect("N")
    );
    for (k, v) in meta["params"].as_object().expect("params") {
        t += &format!("{k} = {:?}\n", num(v));
    }
    for (k, v) in meta["initializers"].as_object().expect("initializers") {
        t += &format!(
            "{k} = {{ kind = \"constant\", value = {:?} }}\n",
            num(&v["value"])
        );
    }
    t + &format!("input = {:?}\n", f64s(&meta["input"]))
}

/// Every zoo model by its BrainPy class name in a network file (the registry line in
/// `netfile/build.rs`), run by the file's runner: the same oracle bars as above.
#[test]
fn every_zoo_model_runs_from_a_network_file() {
    let spread = read_json(zoo_path(Precision::F64, "f32_vs_f64.json"));
    for (class, name) in [
        ("ExpIF", "expif_params"),
        ("AdExIF", "adexif_params"),
        ("QuaIF", "quaif_params"),
        ("AdQuaIF", "adquaif_params"),
        ("GIF", "gif_params"),
        ("Izhikevich", "izhikevich_params"),
        ("HindmarshRose", "hindmarshrose_params"),
        ("FHN", "fhn_params"),
        ("ALIFBellec2020", "alif_params"),
        ("LIF_SFA_Bellec2020", "lifsfa_params"),
        ("MorrisLecar", "morrislecar_params"),
    ] {
        let want = load(Precision::F64, name);
        let bp32 = load(Precision::F32, name);
        let text = network_file(class, &want.meta);
        let spec = brainburn::netfile::NetworkSpec::parse(&text)
            .unwrap_or_else(|e| panic!("{class}: {e}\n{text}"));
        for backend in crate::backends() {
            let c = ctx(backend, PRECISION);
            let mut built = spec.build(&c).unwrap_or_else(|e| panic!("{class}: {e}"));
            let states = case_states(&want.meta);
            let mut extra: Vec<String> = states.iter().map(|s| format!("g.{s}")).collect();
            extra.push("g.spike".into());
            let n_steps = want.meta["n_steps"].as_u64().unwrap();
            let mon = built.runner(&extra).unwrap().run_steps(n_steps).unwrap();
            let n = want.meta["N"].as_u64().unwrap() as usize;
            let got = collect(&mon, &states, n, n_steps);
            let what = format!("{class} from a network file on {backend} {PRECISION}");
            let worst = compare(&what, name, &got, &want, &bp32, &spread);
            println!("{what}: worst |diff| / bar = {worst:.3e}");
        }
    }
}
