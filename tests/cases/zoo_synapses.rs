//! Oracle parity of BrainPy 2.4.6's synapses of issue 15: `Delta` and the two-state
//! `DualExponential`, `Alpha`, `NMDA` and `BioNMDA` against `tests/data/oracle_zoo/` (`tools/oracle_extra/gen_zoo.py`, semantics in
//! `docs/zoo-reference.md` §2), every state of the synapse and the postsynaptic V, built from a
//! network file (the registry lines in `netfile/build.rs`), on every compiled CPU backend, on
//! the composed-op path and on the fused host engine (which must run: the engine is checked).
//!
//! The network of every case: SpikeTimeGroup(3) → synapse (the case's pairs) →
//! LeakyIntegrator(2) with a constant input. Bars as `zoo.rs`: float64 within 1e-9 relative
//! (`|got − want| ≤ 1e-9·max(|want|, 1)`); float32 against BrainPy's float64 column, within three
//! times BrainPy's own float32-vs-float64 distance (`f32_vs_f64.json`) plus 4 ulp of the
//! column's magnitude.

use std::path::PathBuf;

use crate::PRECISION;
use crate::common::*;
use brainburn::prelude::*;
use serde_json::Value;

fn zoo(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/oracle_zoo")
        .join(file)
}

fn read_json(p: PathBuf) -> Value {
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// BrainPy's output spelling (`COBA(E=0)`, `CUBA()`, `MgBlock(E=0, cc_Mg=2.0, ...)`) as a file's
/// output table.
fn output_table(bp: &str) -> String {
    let (kind, args) = bp.split_once('(').expect("an output call");
    let args = args.trim_end_matches(')');
    let fields: Vec<String> = args
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            let (k, v) = a.split_once('=').expect("key=value");
            match v.parse::<f64>() {
                Ok(x) => format!(", {k} = {x:?}"),
                // A string argument (`target_var="input"`).
                Err(_) => format!(", {k} = \"{}\"", v.trim_matches('"')),
            }
        })
        .collect();
    let kind = match kind {
        "COBA" => "coba",
        "CUBA" => "cuba",
        "MgBlock" => "mg_block",
        other => panic!("output {other} is not used by these cases"),
    };
    format!("{{ kind = \"{kind}\"{} }}", fields.concat())
}

/// The network file of a case (`model`: the synapse class).
fn network_file(model: &str, meta: &Value) -> String {
    let dt = num(&meta["dt"]);
    let pre = &meta["pre"];
    let post = &meta["post"];
    let pairs: Vec<(u64, u64)> = meta["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
        .collect();
    let mut t = format!(
        "dt = {dt:?}\nduration = 1.0\n\n\
         [[groups]]\nname = \"pre\"\nmodel = \"SpikeTimeGroup\"\nsize = {}\nindices = {:?}\ntimes = {:?}\n\n\
         [[groups]]\nname = \"post\"\nmodel = \"LeakyIntegrator\"\nsize = {}\n\
         V_rest = {:?}\nR = {:?}\ntau = {:?}\nV_initializer = {{ kind = \"constant\", value = {:?} }}\ninput = {:?}\n\n\
         [[synapses]]\nname = \"syn\"\nmodel = \"{model}\"\npre = \"pre\"\npost = \"post\"\n\
         conn = {{ kind = \"ij\", pre = {:?}, post = {:?} }}\n",
        pre["N"].as_u64().unwrap(),
        pre["indices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect::<Vec<_>>(),
        f64s(&pre["times"]),
        post["input"].as_array().unwrap().len(),
        num(&post["V_rest"]),
        num(&post["R"]),
        num(&post["tau"]),
        num(&post["V0"]),
        f64s(&post["input"]),
        pairs.iter().map(|p| p.0).collect::<Vec<_>>(),
        pairs.iter().map(|p| p.1).collect::<Vec<_>>(),
    );
    for (k, v) in meta["syn_kwargs"].as_object().expect("syn_kwargs") {
        match k.as_str() {
            // BrainPy 2.4.6 takes the delay in ms: ceil(delay/dt) steps.
            "delay_step" => t += &format!("delay_step = {}\n", (num(v) / dt).ceil() as i64),
            "comp_method" => t += &format!("comp_method = {v}\n"),
            "output" => t += &format!("output = {}\n", output_table(v.as_str().unwrap())),
            _ => t += &format!("{k} = {:?}\n", num(v)),
        }
    }
    t
}

/// Runs case `name` with synapse `model` and compares it with the oracle; returns the worst
/// |diff| / bar.
fn check(model: &str, name: &str, syn_states: &[&str]) {
    let want = read_json(zoo(&format!("{name}.json")));
    let (hdr, rows) = read_csv(&zoo(&format!("{name}.csv")));
    let spread = read_json(zoo("f32_vs_f64.json"));
    let text = network_file(model, &want);
    let spec = brainburn::netfile::NetworkSpec::parse(&text)
        .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    let n_steps = want["n_steps"].as_u64().unwrap();
    // (monitor key, neurons): the post V and every state of the synapse (per pre neuron).
    let mut columns = vec![("post.V".to_string(), 2)];
    columns.extend(syn_states.iter().map(|s| (format!("syn.{s}"), 3)));
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for fused in [false, true] {
            let what = format!(
                "{name} on {backend} {PRECISION} {}",
                if fused { "fused" } else { "composed" }
            );
            let mut built = spec.build(&c).unwrap_or_else(|e| panic!("{what}: {e}"));
            let extra: Vec<String> = columns.iter().map(|(k, _)| k.clone()).collect();
            let mon = built
                .runner(&extra)
                .unwrap()
                .fused(fused)
                .run_steps(n_steps)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                mon.engine().is_fused(),
                fused,
                "{what}: ran {:?}",
                mon.engine()
            );
            let worst = compare(&what, name, &mon, &columns, &hdr, &rows, &spread);
            println!("{what}: worst |diff| / bar = {worst:.3e}");
        }
    }
}

/// The worst |diff| / bar of the monitored `columns` (key, neurons) against case `name`'s
/// oracle rows; panics at the first value over its bar.
fn compare(
    what: &str,
    name: &str,
    mon: &Monitors,
    columns: &[(String, usize)],
    hdr: &[String],
    rows: &[Vec<f64>],
    spread: &Value,
) -> f64 {
    let mut worst = 0.0f64;
    for (key, n) in columns {
        let n = *n;
        let trace = mon.get(key).unwrap().trace.to_host().unwrap();
        for j in 0..n {
            let name_j = format!("{key}_{j}");
            let w = column(hdr, rows, &name_j);
            let steps = column(hdr, rows, "k");
            // The magnitude of the column's values (not of the arrival time's −1e7
            // "never" sentinel, which both sides hold exactly).
            let scale = w
                .iter()
                .filter(|x| x.abs() < 1e6)
                .fold(0.0f64, |m, x| m.max(x.abs()));
            for (&k, &y) in steps.iter().zip(&w) {
                let x = trace[k as usize * n + j];
                let bar = match PRECISION {
                    Precision::F64 => 1e-9 * y.abs().max(1.0),
                    Precision::F32 => {
                        let s = num(&spread["cases"][name]["columns"][&name_j]["max_abs"]);
                        3.0 * s + 4.0 * scale * f64::from(f32::EPSILON)
                    }
                };
                let d = (x - y).abs();
                assert!(
                    d <= bar,
                    "{what}: {name_j} at step {k} = {x}, BrainPy {y} (|diff| {d:e} > {bar:e})"
                );
                worst = worst.max(d / bar);
            }
        }
    }
    worst
}

/// Delta (no state): only the post V; the default adds the weights straight into V, the
/// params case (dense, g_max 0.7, 10-step delay) into `input`.
#[test]
fn delta_matches_brainpy() {
    check("Delta", "delta_default", &[]);
    check("Delta", "delta_params", &[]);
}

/// Delta onto its own group (the fused engine copies the spikes out before it writes into the
/// same group's V) with STP, a delay and a batch: the fused path equals the composed one. Both
/// add the same weights in the same order into the same V (the event sums run over the spiking
/// rows in index order on both paths), so the states are equal to the last bit in float64; in
/// float32 they agree within 4 ulp of |V| ≤ 70 (the composed exponential of the LIF step is
/// Burn's, the lanes' their own).
#[test]
fn delta_onto_its_own_group_fused_equals_composed() {
    let mode = Mode::Batching { batch_size: 2 };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = Network::new(&c, mode).unwrap();
        let lif = Lif::named(40, LifConfig::default(), Some("lif"), &c, mode).unwrap();
        let cfg = DeltaConfig {
            g_max: 0.9.into(),
            delay_step: Some(DelayStep::Steps(3)),
            stp: Some(ShortTermPlasticity::Std {
                tau: 50.0.into(),
                u: 0.3.into(),
            }),
            ..DeltaConfig::new(Connector::FixedProb {
                prob: 0.2,
                include_self: false,
                seed: 11,
            })
        };
        let syn = Delta::named(&lif, &lif, cfg, Some("rec")).unwrap();
        net.add(lif).unwrap();
        net.connect(syn).unwrap();
        let drive: Vec<f64> = (0..80).map(|i| 18.0 + 0.4 * (i % 40) as f64).collect();
        let run = |fused: bool| {
            let mut n = net.clone();
            let mon = Runner::new(&mut n, 0.1)
                .unwrap()
                .fused(fused)
                .monitor("lif.V")
                .unwrap()
                .monitor("lif.spike")
                .unwrap()
                .monitor("rec.x")
                .unwrap()
                .input("lif", InputValue::Tensor(c.tensor(drive.clone(), [2, 40])))
                .unwrap()
                .run_steps(600)
                .unwrap();
            assert_eq!(
                mon.engine().is_fused(),
                fused,
                "{backend}: ran {:?}",
                mon.engine()
            );
            mon
        };
        let (a, b) = (run(false), run(true));
        let host = |m: &Monitors, k: &str| m.get(k).unwrap().trace.to_host().unwrap();
        let spikes: f64 = host(&a, "lif.spike").iter().sum();
        assert!(
            spikes > 300.0,
            "{backend}: the network fires ({spikes} spikes)"
        );
        assert_eq!(
            host(&a, "lif.spike"),
            host(&b, "lif.spike"),
            "{backend}: spikes"
        );
        let tol = match PRECISION {
            Precision::F64 => 0.0,
            Precision::F32 => 4.0 * 70.0 * f64::from(f32::EPSILON),
        };
        for key in ["lif.V", "rec.x"] {
            let d = max_abs_diff(&host(&a, key), &host(&b, key)).0;
            assert!(
                d <= tol,
                "{backend} {PRECISION}: {key} differs by {d:e} > {tol:e}"
            );
        }
    }
}

#[test]
fn dual_exponential_matches_brainpy() {
    check("DualExponential", "dualexp_default", &["g", "h"]);
    check("DualExponential", "dualexp_params", &["g", "h"]);
}

#[test]
fn alpha_matches_brainpy() {
    check("Alpha", "alpha_default", &["g", "h"]);
    check("Alpha", "alpha_params", &["g", "h"]);
}

#[test]
fn nmda_matches_brainpy() {
    check("NMDA", "nmda_default", &["g", "x"]);
    check("NMDA", "nmda_params", &["g", "x"]);
}

#[test]
fn bio_nmda_matches_brainpy() {
    let states = ["g", "x", "spike_arrival_time"];
    check("BioNMDA", "bionmda_default", &states);
    check("BioNMDA", "bionmda_params", &states);
}

/// What BrainPy refuses or the file format cannot mean is an error naming the key.
#[test]
fn bad_zoo_synapses_are_errors() {
    // The defaults' case: no kinetic key in the file, so each bad line is the only one.
    let base = read_json(zoo("nmda_default.json"));
    for (bad, key) in [
        ("tau_decay = -1.0\n", "tau_decay"),
        ("tau_rise = 0.0\n", "tau_rise"),
        ("a = -0.5\n", "a"),
        ("output = { kind = \"mg_block\", beta = 0.0 }\n", "beta"),
        ("stp = { kind = \"std\" }\n", "stp"),
    ] {
        let text = network_file("NMDA", &base) + bad;
        let c = ctx(crate::backends()[0], PRECISION);
        let err = brainburn::netfile::NetworkSpec::parse(&text)
            .and_then(|s| s.build(&c).map(|_| ()))
            .expect_err(bad);
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
    let base = read_json(zoo("delta_default.json"));
    for (bad, key) in [
        (
            "output = { kind = \"cuba\", target_var = \"v\" }\n",
            "expected `input` or `V`",
        ),
        ("tau = 2.0\n", "tau"),
        (
            "output = { kind = \"coba\", E = 0.0 }\ng_max = -1.0\n",
            "g_max",
        ),
    ] {
        let text = network_file("Delta", &base) + bad;
        let c = ctx(crate::backends()[0], PRECISION);
        let err = brainburn::netfile::NetworkSpec::parse(&text)
            .and_then(|s| s.build(&c).map(|_| ()))
            .expect_err(bad);
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
    let base = read_json(zoo("bionmda_default.json"));
    for (bad, key) in [
        ("T_dur = 0.0\n", "T_dur"),
        ("T_0 = -1.0\n", "T_0"),
        ("beta2 = -0.5\n", "beta2"),
        ("tau_rise = 2.0\n", "tau_rise"),
    ] {
        let text = network_file("BioNMDA", &base) + bad;
        let c = ctx(crate::backends()[0], PRECISION);
        let err = brainburn::netfile::NetworkSpec::parse(&text)
            .and_then(|s| s.build(&c).map(|_| ()))
            .expect_err(bad);
        assert!(err.to_string().contains(key), "{bad}: {err}");
    }
}

/// Builds a synapse between two groups with one parameter under test.
type Make = Box<dyn Fn(&dyn NeuronGroup, &dyn NeuronGroup, ParamSpec) -> Box<dyn Synapse>>;

/// PoissonGroup(6) → syn (fixed-prob 0.5, delay 2) → LIF(3, smooth sigmoid forward) in
/// Training mode (batch 2, dt 0.5, 60 steps); loss = Σ spikes. `make` builds the synapse with
/// the trainable parameter `x`; returns the loss and ∂loss/∂x when `x` is trainable.
fn poisson_two_state_lif(c: &Ctx, make: &Make, key: &str, x: ParamSpec) -> (f64, Option<f64>) {
    let mode = Mode::Training { batch_size: 2 };
    let (pre, post) = poisson_and_smooth_lif(c, 6, 120.0, 5, 3);
    let syn = make(&pre, &post, x);
    let name = syn.name().to_string();
    let mut net = Network::new(c, mode).unwrap();
    net.add(pre).unwrap();
    let post_name = net.add(post).unwrap();
    net.connect_boxed(syn).unwrap();
    let loss = spike_count_loss(&mut net, c, &post_name, 18.0, 60, 0.5);
    let value = brainburn::tensor_io::to_f64_vec(loss.clone().detach()).unwrap()[0];
    let grad = match net.synapse(&name).unwrap().params().get(key) {
        brainburn::param::NParam::Tensor(p) if p.is_require_grad() => {
            let grads = loss.backward();
            let g = p.val().grad(&grads).expect("the parameter has a gradient");
            Some(brainburn::tensor_io::to_f64_vec(g).unwrap()[0])
        }
        _ => None,
    };
    (value, grad)
}

/// BPTT through DualExponential (CUBA; g_max and τ_decay), NMDA (MgBlock; g_max and a),
/// Delta (into V; g_max) and BioNMDA (MgBlock; α₁) equals central finite differences (float64, smooth surrogate forward) within 1e-5
/// relative. float32 cannot resolve central differences to that bar: float64 only.
#[test]
fn bptt_through_two_state_synapses_matches_finite_differences() {
    if PRECISION != Precision::F64 {
        println!("bptt vs finite differences: float64 only (see the float64 binary)");
        return;
    }
    let conn = || Connector::FixedProb {
        prob: 0.5,
        include_self: true,
        seed: 3,
    };
    let cases: Vec<(&str, &str, f64, Make)> = vec![
        (
            "DualExponential",
            "g_max",
            1.5,
            Box::new(move |pre, post, x| {
                let cfg = DualExponentialConfig {
                    g_max: x,
                    tau_rise: 2.0.into(),
                    output: Output::Cuba,
                    delay_step: Some(DelayStep::Steps(2)),
                    ..DualExponentialConfig::new(conn())
                };
                Box::new(DualExponential::new(pre, post, cfg).unwrap())
            }),
        ),
        (
            "DualExponential",
            "tau_decay",
            6.0,
            Box::new(move |pre, post, x| {
                let cfg = DualExponentialConfig {
                    g_max: 1.5.into(),
                    tau_decay: x,
                    tau_rise: 2.0.into(),
                    output: Output::Cuba,
                    ..DualExponentialConfig::new(conn())
                };
                Box::new(DualExponential::new(pre, post, cfg).unwrap())
            }),
        ),
        (
            "NMDA",
            "g_max",
            0.4,
            Box::new(move |pre, post, x| {
                let cfg = NmdaConfig {
                    g_max: x,
                    delay_step: Some(DelayStep::Steps(2)),
                    ..NmdaConfig::new(conn())
                };
                Box::new(Nmda::new(pre, post, cfg).unwrap())
            }),
        ),
        (
            "NMDA",
            "a",
            0.5,
            Box::new(move |pre, post, x| {
                let cfg = NmdaConfig {
                    g_max: 0.4.into(),
                    a: x,
                    ..NmdaConfig::new(conn())
                };
                Box::new(Nmda::new(pre, post, cfg).unwrap())
            }),
        ),
        (
            "Delta",
            "g_max",
            0.8,
            Box::new(move |pre, post, x| {
                // The default output: the jump goes into the LIF's V (not a current).
                let cfg = DeltaConfig {
                    g_max: x,
                    delay_step: Some(DelayStep::Steps(2)),
                    ..DeltaConfig::new(conn())
                };
                Box::new(Delta::new(pre, post, cfg).unwrap())
            }),
        ),
        (
            "BioNMDA",
            "alpha1",
            1.5,
            Box::new(move |pre, post, x| {
                let cfg = BioNmdaConfig {
                    g_max: 0.6.into(),
                    alpha1: x,
                    delay_step: Some(DelayStep::Steps(2)),
                    ..BioNmdaConfig::new(conn())
                };
                Box::new(BioNmda::new(pre, post, cfg).unwrap())
            }),
        ),
    ];
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        for (model, key, x0, make) in &cases {
            let (_, grad) = poisson_two_state_lif(&c, make, key, trainable(*x0));
            let grad = grad.unwrap();
            let h = 1e-6 * x0.abs().max(1.0);
            let fd = (poisson_two_state_lif(&c, make, key, (x0 + h).into()).0
                - poisson_two_state_lif(&c, make, key, (x0 - h).into()).0)
                / (2.0 * h);
            assert!(fd.abs() > 1e-3, "{backend} {model}.{key} matters ({fd:e})");
            let rel = (grad - fd).abs() / fd.abs();
            assert!(
                rel <= 1e-5,
                "{backend} {model}.{key}: bptt {grad} vs fd {fd} (rel {rel:e})"
            );
            println!("bptt vs central differences on {backend} f64: {model}.{key} rel {rel:e}");
        }
    }
}

/// Runs a network file whose synapse reads V (a gap junction or a coupling) for case `name`
/// and compares `columns` (monitor key, neurons) with the oracle. These synapses have no host
/// kernel: the composed path runs, and a runner asked to fuse says which member declined.
fn check_v_coupled(name: &str, text: &str, columns: &[(&str, usize)]) {
    let want = read_json(zoo(&format!("{name}.json")));
    let (hdr, rows) = read_csv(&zoo(&format!("{name}.csv")));
    let spread = read_json(zoo("f32_vs_f64.json"));
    let spec = brainburn::netfile::NetworkSpec::parse(text)
        .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    let n_steps = want["n_steps"].as_u64().unwrap();
    let columns: Vec<(String, usize)> = columns.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    let extra: Vec<String> = columns.iter().map(|(k, _)| k.clone()).collect();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let what = format!("{name} on {backend} {PRECISION}");
        let mut built = spec.build(&c).unwrap_or_else(|e| panic!("{what}: {e}"));
        let mon = built
            .runner(&extra)
            .unwrap()
            .fused(true)
            .run_steps(n_steps)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        match mon.engine().fallback() {
            Some(Fallback::Member { member }) => assert_eq!(member, "syn", "{what}"),
            other => panic!("{what}: ran {:?} ({other:?})", mon.engine()),
        }
        let worst = compare(&what, name, &mon, &columns, &hdr, &rows, &spread);
        println!("{what}: worst |diff| / bar = {worst:.3e}");
    }
}

fn gap_lif_group(name: &str, meta: &Value, v0: &Value, input: &Value) -> String {
    let lif = &meta["lif"];
    let mut t = format!(
        "[[groups]]\nname = \"{name}\"\nmodel = \"LIF\"\nsize = {}\n",
        f64s(v0).len()
    );
    for k in ["V_rest", "V_reset", "V_th", "tau", "tau_ref", "R"] {
        t += &format!("{k} = {:?}\n", num(&lif[k]));
    }
    t + &format!(
        "V_initializer = {{ kind = \"values\", values = {:?} }}\ninput = {:?}\n\n",
        f64s(v0),
        f64s(input)
    )
}

/// GapJunction: one LIF group coupled to itself (all-to-all without self-pairs, dense) and two
/// groups joined by explicit pairs (sparse): V, spikes (through V) and `t_last_spike` as
/// BrainPy's.
#[test]
fn gap_junction_matches_brainpy() {
    let meta = read_json(zoo("gapjunction_self.json"));
    let text = format!(
        "dt = 0.1\nduration = 1.0\n\n{}[[synapses]]\nname = \"syn\"\nmodel = \"GapJunction\"\n\
         pre = \"g\"\npost = \"g\"\nconn = {{ kind = \"all2all\", include_self = false }}\n\
         g_max = 0.05\ncomp_method = \"dense\"\n",
        gap_lif_group("g", &meta, &meta["V0"], &meta["input"])
    );
    check_v_coupled(
        "gapjunction_self",
        &text,
        &[("g.V", 4), ("g.t_last_spike", 4)],
    );
    let meta = read_json(zoo("gapjunction_two.json"));
    let text = format!(
        "dt = 0.1\nduration = 1.0\n\n{}{}[[synapses]]\nname = \"syn\"\nmodel = \"GapJunction\"\n\
         pre = \"a\"\npost = \"b\"\nconn = {{ kind = \"ij\", pre = [0, 1, 2, 2], post = [0, 0, 1, 0] }}\n\
         g_max = 0.3\ncomp_method = \"sparse\"\n",
        gap_lif_group("a", &meta, &meta["V0_a"], &meta["input_a"]),
        gap_lif_group("b", &meta, &meta["V0_b"], &meta["input_b"])
    );
    check_v_coupled("gapjunction_two", &text, &[("a.V", 3), ("b.V", 2)]);
}

/// The coupling case `name` (FHN(4) coupled to itself) as a network file.
fn coupling_file(model: &str, meta: &Value) -> String {
    let rows: Vec<Vec<f64>> = meta["conn_mat"]
        .as_array()
        .unwrap()
        .iter()
        .map(f64s)
        .collect();
    let mut t = format!(
        "dt = 0.1\nduration = 1.0\n\n[[groups]]\nname = \"f\"\nmodel = \"FHN\"\nsize = 4\n\
         V_initializer = {{ kind = \"values\", values = {:?} }}\ninput = {:?}\n\n\
         [[synapses]]\nname = \"syn\"\nmodel = \"{model}\"\npre = \"f\"\npost = \"f\"\nconn_mat = {rows:?}\n",
        f64s(&meta["V0"]),
        f64s(&meta["input"]),
    );
    match &meta["delay_steps"] {
        Value::Null => {}
        d => t += &format!("delay_steps = {d}\n"),
    }
    t
}

/// DiffusiveCoupling and AdditiveCoupling without delay, with one delay for all pairs and (the
/// diffusive one) with a delay matrix: FHN's V and w as BrainPy's.
#[test]
fn couplings_match_brainpy() {
    for (model, name) in [
        ("DiffusiveCoupling", "diffusive_nodelay"),
        ("DiffusiveCoupling", "diffusive_delay"),
        ("DiffusiveCoupling", "diffusive_delay_array"),
        ("AdditiveCoupling", "additive_nodelay"),
        ("AdditiveCoupling", "additive_delay"),
    ] {
        let text = coupling_file(model, &read_json(zoo(&format!("{name}.json"))));
        check_v_coupled(name, &text, &[("f.V", 4), ("f.w", 4)]);
    }
}

/// A gap junction's and a diffusive coupling's bad settings are errors naming the key.
#[test]
fn bad_v_coupled_synapses_are_errors() {
    let meta = read_json(zoo("diffusive_delay.json"));
    let base = coupling_file("DiffusiveCoupling", &meta);
    let c = ctx(crate::backends()[0], PRECISION);
    for (edit, key) in [
        ("conn_mat = [[0.0, 1.0]]", "conn_mat"),
        ("delay_steps = -2", "delay_steps"),
        ("delay_steps = [[1, 2], [3, 4]]", "delay_steps"),
        ("tau = 1.0", "tau"),
    ] {
        let field = edit.split(" = ").next().unwrap();
        let text: String = base
            .lines()
            .filter(|l| !l.starts_with(&format!("{field} =")))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            + edit
            + "\n";
        let err = brainburn::netfile::NetworkSpec::parse(&text)
            .and_then(|s| s.build(&c).map(|_| ()))
            .expect_err(edit);
        assert!(err.to_string().contains(key), "{edit}: {err}");
    }
    let meta = read_json(zoo("gapjunction_self.json"));
    let group = gap_lif_group("g", &meta, &meta["V0"], &meta["input"]);
    for (line, key) in [
        ("g_max = { kind = \"normal\", mean = 0.0 }", "std"),
        ("comp_method = \"csr\"", "comp_method"),
        ("delay_step = 2", "delay_step"),
    ] {
        let text = format!(
            "dt = 0.1\nduration = 1.0\n\n{group}[[synapses]]\nname = \"syn\"\nmodel = \"GapJunction\"\n\
             pre = \"g\"\npost = \"g\"\nconn = {{ kind = \"all2all\" }}\n{line}\n"
        );
        let err = brainburn::netfile::NetworkSpec::parse(&text)
            .and_then(|s| s.build(&c).map(|_| ()))
            .expect_err(line);
        assert!(err.to_string().contains(key), "{line}: {err}");
    }
}

/// BPTT through a gap junction (its trainable conductance) and through a diffusive coupling
/// with a 3-step delay (the presynaptic group's trainable τ, which reaches the loss only through
/// the delay buffer) equals central finite differences within 1e-5 relative (float64): two LIF
/// groups with the smooth sigmoid forward (as the two-state synapses' case), Training mode,
/// batch 2, loss = Σ over 40 steps of the postsynaptic V.
#[test]
fn bptt_through_v_coupled_synapses_matches_finite_differences() {
    if PRECISION != Precision::F64 {
        println!("bptt vs finite differences: float64 only (see the float64 binary)");
        return;
    }
    let mode = Mode::Training { batch_size: 2 };
    let c = ctx(crate::backends()[0], PRECISION).autodiff();
    // (loss, d loss / d x) with x = the gap junction's g_max (`gap`) or group a's τ.
    let loss_of = |gap: bool, x: f64, train: bool| -> (f64, Option<f64>) {
        let spec = |v: f64| if train { trainable(v) } else { v.into() };
        let lif = |tau: ParamSpec| LifConfig {
            surrogate: Surrogate::Sigmoid { alpha: 1.0 },
            forward_use_surrogate: true,
            tau,
            ..Default::default()
        };
        let tau_a = if gap { 10.0.into() } else { spec(x) };
        let a = Lif::named(3, lif(tau_a), Some("a"), &c, mode).unwrap();
        let b = Lif::named(2, lif(8.0.into()), Some("b"), &c, mode).unwrap();
        let syn: Box<dyn Synapse> = if gap {
            let cfg = GapJunctionConfig {
                g_max: spec(x),
                ..GapJunctionConfig::new(Connector::ij(vec![0, 1, 2], vec![0, 1, 1]))
            };
            Box::new(GapJunction::named(&a, &b, cfg, Some("syn")).unwrap())
        } else {
            let cfg = CouplingConfig {
                delay_steps: Some(CouplingDelay::Steps(3)),
                ..CouplingConfig::new(vec![vec![0.4, 0.0], vec![0.0, 0.2], vec![0.3, 0.3]])
            };
            Box::new(Coupling::diffusive(&a, &b, cfg, Some("syn")).unwrap())
        };
        let mut net = Network::new(&c, mode).unwrap();
        net.add(a).unwrap();
        net.add(b).unwrap();
        net.connect_boxed(syn).unwrap();
        let drive = c.tensor(vec![20.0, 25.0, 30.0, 22.0, 27.0, 32.0], [2, 3]);
        let mut loss: Option<brainburn::burn::tensor::Tensor<1>> = None;
        for _ in 0..40 {
            net.add_input("a", drive.clone()).unwrap();
            net.step(0.1).unwrap();
            let v = net.group("b").unwrap().v().unwrap().sum();
            loss = Some(match loss {
                None => v,
                Some(l) => l + v,
            });
        }
        let loss = loss.unwrap();
        let value = brainburn::tensor_io::to_f64_vec(loss.clone().detach()).unwrap()[0];
        let (member, key) = if gap { ("syn", "g_max") } else { ("a", "tau") };
        let p = if gap {
            net.synapse(member).unwrap().params().try_get(key).cloned()
        } else {
            net.group(member).unwrap().params().try_get(key).cloned()
        };
        let grad = match p {
            Some(brainburn::param::NParam::Tensor(p)) if p.is_require_grad() => {
                let grads = loss.backward();
                let gr = p.val().grad(&grads).expect("the parameter has a gradient");
                Some(brainburn::tensor_io::to_f64_vec(gr).unwrap()[0])
            }
            _ => None,
        };
        (value, grad)
    };
    for (gap, x, what) in [
        (true, 0.2, "GapJunction g_max"),
        (false, 10.0, "DiffusiveCoupling (a.tau)"),
    ] {
        let grad = loss_of(gap, x, true).1.expect("the parameter is trained");
        let h = 1e-5 * x;
        let fd = (loss_of(gap, x + h, false).0 - loss_of(gap, x - h, false).0) / (2.0 * h);
        let rel = (grad - fd).abs() / fd.abs().max(1e-12);
        println!("{what}: bptt {grad:e}, central differences {fd:e}, rel {rel:e}");
        assert!(
            fd.abs() > 1e-6,
            "{what}: the loss depends on the parameter ({fd:e})"
        );
        assert!(rel < 1e-5, "{what}: bptt {grad} vs fd {fd} (rel {rel:e})");
    }
}
