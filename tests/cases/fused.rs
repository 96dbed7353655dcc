//! The fused host path (issue 7): every host kernel against the composed-op path it replaces
//! (its test oracle), and the BrainPy oracle cases through the fused runner. Runs on every CPU
//! backend of the including binary, in its precision.
//!
//! Tolerances: the fused kernels evaluate the composed path's equations with the same
//! operations, except where a hand-fused kernel reorders them (shared exponentials, one
//! reciprocal instead of two quotients, multiplication by a reciprocal constant) or computes a
//! constant factor in f64 (LIF/LeakyIntegrator's `dt·φ(−dt/τ)`). Each of these moves a result
//! by a few ulp per step; the bounds below are those few ulp propagated through the steps
//! compared, as stated at each test.

use crate::PRECISION;
use crate::common::*;
use brainburn::fused::engine::{eligible, supported};
use brainburn::prelude::*;
use brainburn::runner::InputValue;

/// The host values of monitor `key`.
fn host(mon: &Monitors, key: &str) -> Vec<f64> {
    mon.get(key).unwrap().trace.to_host().unwrap()
}

/// Runs a copy of `net` on the composed path and one on the fused path with the same runner
/// set-up and returns both monitors and both networks after the run. Checks that the fused
/// run really takes the fused path (every member has a host kernel).
fn both(
    net: &Network,
    dt: f64,
    steps: u64,
    setup: impl Fn(Runner<'_>) -> Runner<'_>,
) -> ((Monitors, Network), (Monitors, Network)) {
    assert!(
        supported(net).unwrap(),
        "the network should run on the fused path"
    );
    let mut a = net.clone();
    let ma = setup(Runner::new(&mut a, dt).unwrap().fused(false))
        .run_steps(steps)
        .unwrap();
    let mut b = net.clone();
    let mb = setup(Runner::new(&mut b, dt).unwrap().fused(true))
        .run_steps(steps)
        .unwrap();
    // The engines that actually ran (a monitor without a host form would have sent the
    // "fused" run to the composed path and compared composed with composed).
    assert_eq!(
        ma.engine(),
        &Engine::Composed {
            reason: Fallback::Disabled
        }
    );
    assert_eq!(
        mb.engine(),
        &Engine::Fused,
        "the fused run took the fused engine"
    );
    ((ma, a), (mb, b))
}

/// Types a runner set-up closure (for every runner lifetime).
fn hr<F: for<'a> Fn(Runner<'a>) -> Runner<'a>>(f: F) -> F {
    f
}

/// Every state of every member, flattened (for comparing two networks).
fn all_states(net: &Network) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    for m in net.members() {
        for (k, data) in m.save_states().unwrap() {
            let v: Vec<f64> = data.convert::<f64>().try_into_vec::<f64>().unwrap();
            out.push((format!("{}.{k}", m.name()), v));
        }
    }
    out
}

/// The states of two networks agree within `tol` (absolute), key by key.
fn assert_states_close(a: &Network, b: &Network, tol: f64, what: &str) {
    let (sa, sb) = (all_states(a), all_states(b));
    assert_eq!(
        sa.iter().map(|s| &s.0).collect::<Vec<_>>(),
        sb.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for ((k, x), (_, y)) in sa.iter().zip(&sb) {
        assert_close(&format!("{what} {k}"), y, x, tol);
    }
}

// ---------------------------------------------------------------------------------------------
// which runs take the fused path

/// CPU backend, not Training, and no trainable parameter on an autodiff device.
#[test]
fn only_gradient_free_cpu_runs_are_eligible() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        net.add(Lif::new(4, LifConfig::default(), &c, Mode::NonBatching).unwrap())
            .unwrap();
        assert!(eligible(&net), "{backend}: plain run");

        let ad = c.autodiff();
        let mut net = Network::new(&ad, Mode::NonBatching).unwrap();
        net.add(Lif::new(4, LifConfig::default(), &ad, Mode::NonBatching).unwrap())
            .unwrap();
        assert!(
            eligible(&net),
            "{backend}: autodiff device, nothing trainable"
        );
        let cfg = LifConfig {
            tau: trainable(10.0),
            ..Default::default()
        };
        let mut net = Network::new(&ad, Mode::NonBatching).unwrap();
        net.add(Lif::new(4, cfg, &ad, Mode::NonBatching).unwrap())
            .unwrap();
        assert!(
            !eligible(&net),
            "{backend}: trainable tau on an autodiff device"
        );

        let mode = Mode::Training { batch_size: 2 };
        let mut net = Network::new(&ad, mode).unwrap();
        net.add(Lif::new(4, LifConfig::default(), &ad, mode).unwrap())
            .unwrap();
        assert!(!eligible(&net), "{backend}: Training mode");
    }
}

brainburn::model_config! {
    /// A user-defined leak channel, defined in the test (not in the library).
    struct UserLeak;
    /// Its parameters.
    struct UserLeakParams {
        /// Reversal potential (mV).
        e: "E" = -65.0, Any;
        /// Conductance (mS/cm²).
        g_max: "g_max" = 0.1, NonNegative;
    }
    options {}
}

impl ChannelModel for UserLeak {
    const CLASS: &'static str = "UserLeak";
    type Params<R> = UserLeakParams<R>;
    type Gates<R> = brainburn::channel::NoGates<R>;
    fn param_specs(&self) -> UserLeakParams<ParamSpec> {
        self.params()
    }
    fn steady_state<R: Num>(&self, _v: R, _p: &UserLeakParams<R>) -> Self::Gates<R> {
        Default::default()
    }
    fn gate_derivative<T: Num>(
        &self,
        i: usize,
        _g: &Self::Gates<T>,
        _v: T,
        _p: &UserLeakParams<T>,
    ) -> T {
        panic!("no gate {i}")
    }
    #[inline(always)]
    fn current<T: Num>(&self, v: T, _g: &Self::Gates<T>, p: &UserLeakParams<T>) -> T {
        p.g_max.clone() * (p.e.clone() - v)
    }
}

brainburn::model_config! {
    /// A user-defined slow potassium channel with a gate, `I = g·x·(E − V)`,
    /// `dx/dt = (x∞(V) − x)/τ`, defined in the test.
    struct UserSlowK;
    /// Its parameters.
    struct UserSlowKParams {
        /// Reversal potential (mV).
        e: "E" = -80.0, Any;
        /// Conductance (mS/cm²).
        g_max: "g_max" = 1.5, NonNegative;
        /// Gate time constant (ms).
        tau: "tau" = 4.0, Positive;
    }
    options {}
}

brainburn::model_states! {
    /// UserSlowK's gate.
    struct UserSlowKGate { x: "x" }
}

#[inline(always)]
fn user_x_inf<T: Num>(v: T) -> T {
    (((v + 60.0) / -8.5).exp() + 1.0).recip()
}

impl ChannelModel for UserSlowK {
    const CLASS: &'static str = "UserSlowK";
    type Params<R> = UserSlowKParams<R>;
    type Gates<R> = UserSlowKGate<R>;
    fn param_specs(&self) -> UserSlowKParams<ParamSpec> {
        self.params()
    }
    fn steady_state<R: Num>(&self, v: R, _p: &UserSlowKParams<R>) -> UserSlowKGate<R> {
        UserSlowKGate { x: user_x_inf(v) }
    }
    #[inline(always)]
    fn gate_derivative<T: Num>(
        &self,
        _i: usize,
        g: &UserSlowKGate<T>,
        v: T,
        p: &UserSlowKParams<T>,
    ) -> T {
        (user_x_inf(v) - g.x.clone()) / p.tau.clone()
    }
    #[inline(always)]
    fn current<T: Num>(&self, v: T, g: &UserSlowKGate<T>, p: &UserSlowKParams<T>) -> T {
        p.g_max.clone() * g.x.clone() * (p.e.clone() - v)
    }
}

/// User-defined channels (one gated, one without gates, both written in this file) in a
/// CondNeuGroup beside library channels run on the fused engine — `supported` says so and the
/// run reports the fused engine — and match the composed path for every membrane method:
/// spikes identical, V within the WB bounds of [`wb_fused_equals_composed`] (the same
/// generic equations, differing only by the lanes' exp/exprel).
#[test]
fn user_channels_run_fused_and_match_the_composed_path() {
    let (tv, tg) = if PRECISION == Precision::F64 {
        (1e-10, 1e-11)
    } else {
        (2e-2, 2e-4)
    };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for method in [Method::ExpAuto, Method::Euler, Method::Rk2, Method::Rk4] {
            let mut net = Network::new(&c, Mode::NonBatching).unwrap();
            let channels: Vec<(&str, Box<dyn Channel>)> = vec![
                ("INa", Box::new(INaHH1952::default())),
                ("IK", Box::new(IKHH1952::default())),
                ("IM", Box::new(UserSlowK::default())),
                ("IL", Box::new(UserLeak::default())),
            ];
            let cfg = CondNeuGroupConfig {
                method,
                v_initializer: Initializer::uniform(-75.0, -40.0, 3),
                ..Default::default()
            };
            net.add(
                CondNeuGroup::named(21, cfg, channels, Some("g"), &c, Mode::NonBatching).unwrap(),
            )
            .unwrap();
            assert!(
                supported(&net).unwrap(),
                "{backend}: user channels run fused"
            );
            let what = format!("{backend} {method:?}");
            group_fused_vs_composed(
                &net,
                "g",
                12.0,
                &["INa.p", "INa.q", "IK.p", "IM.x"],
                (tv, tg),
                &what,
            );
        }
    }
}

/// A LIF network exercising every branch of the kernel: per-neuron τ, V_th and R, a refractory
/// period, noise, a batch of 3, and four kinds of input (one a `[3, n]` tensor).
fn lif_net(c: &Ctx, n: usize) -> Network {
    let mode = Mode::Batching { batch_size: 3 };
    let mut net = Network::new(c, mode).unwrap();
    let cfg = LifConfig {
        v_rest: (-60.0).into(),
        v_reset: (-65.0).into(),
        v_th: Initializer::uniform(-52.0, -48.0, 3).into(),
        r: (0..n)
            .map(|j| 1.0 + 0.01 * j as f64)
            .collect::<Vec<_>>()
            .into(),
        tau: Initializer::uniform(8.0, 25.0, 4).into(),
        tau_ref: 2.0.into(),
        v_initializer: Initializer::uniform(-65.0, -50.0, 5),
        noise: Some(0.5.into()),
        noise_seed: 11,
        ..Default::default()
    };
    net.add(Lif::named(n, cfg, Some("lif"), c, mode).unwrap())
        .unwrap();
    net
}

fn lif_inputs(c: &Ctx, n: usize) -> impl Fn(Runner<'_>) -> Runner<'_> {
    let per_row: Vec<f64> = (0..3 * n).map(|k| 2.0 + (k % 7) as f64).collect();
    let t = c.tensor(per_row, [3, n]);
    move |r: Runner<'_>| {
        r.input("lif", InputValue::Constant(15.0))
            .unwrap()
            .input(
                "lif",
                InputValue::PerNeuron((0..n).map(|j| j as f64 * 0.05).collect()),
            )
            .unwrap()
            .input(
                "lif",
                InputValue::Func(std::sync::Arc::new(|t| if t < 20.0 { 3.0 } else { 0.0 })),
            )
            .unwrap()
            .input("lif", InputValue::Tensor(t.clone()))
            .unwrap()
            .monitor("lif.V")
            .unwrap()
            .monitor("lif.spike")
            .unwrap()
            .monitor("lif.input")
            .unwrap()
            .monitor_with("lif.t_last_spike", Some(vec![0, 5, 2]), 3)
            .unwrap()
    }
}

/// LIF fused vs composed, 400 steps of 0.1 ms (3–6 spikes per neuron).
///
/// Spikes identical and V within `tol`: the fused step is the composed one operation by
/// operation except `dt·φ(−dt/τ)` for the per-neuron τ, computed in f64 and rounded once
/// instead of in f32 tensor ops (≤ 2 ulp of a factor < 0.02). V relaxes towards V_rest + R·I
/// with factor (1 − dt/τ) per step, so a per-step error of a few ulp of |V| ≤ 65 (ulp 7.6e-6
/// in f32, 1.4e-14 in f64) stays a few ulp: 4e-5 in f32, 1e-12 in f64. A spike flip would need V within
/// that distance of V_th at some step; it does not happen in this run, so spikes, resets and
/// `t_last_spike` are identical.
#[test]
fn lif_fused_equals_composed() {
    let n = 37; // not a multiple of the lane width: exercises the tail
    let tol_v = tol(PRECISION, 1e-12, 4e-5);
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let net = lif_net(&c, n);
        let ((ma, a), (mb, b)) = both(&net, 0.1, 400, lif_inputs(&c, n));
        for key in ["lif.V", "lif.spike", "lif.input", "lif.t_last_spike"] {
            let (ta, tb) = (ma.get(key).unwrap(), mb.get(key).unwrap());
            assert_eq!(ta.trace.dims(), tb.trace.dims(), "{backend} {key} dims");
            assert_eq!(ta.steps, tb.steps, "{backend} {key} steps");
            assert_eq!(ta.indices, tb.indices, "{backend} {key} indices");
            assert_eq!(
                matches!(ta.trace, brainburn::monitor::Trace::Bool(_)),
                matches!(tb.trace, brainburn::monitor::Trace::Bool(_)),
                "{backend} {key} kind"
            );
        }
        assert_eq!(
            ma.spike_events("lif.spike").unwrap(),
            mb.spike_events("lif.spike").unwrap(),
            "{backend}: spikes"
        );
        let spikes = ma.spike_events("lif.spike").unwrap().len();
        assert!(
            spikes > 3 * n * 3,
            "{backend}: the run fires ({spikes} spikes)"
        );
        let d = assert_close(
            &format!("{backend} V"),
            &host(&mb, "lif.V"),
            &host(&ma, "lif.V"),
            tol_v,
        );
        assert_close(
            &format!("{backend} input"),
            &host(&mb, "lif.input"),
            &host(&ma, "lif.input"),
            tol(PRECISION, 1e-12, 1e-5),
        );
        assert_eq!(
            host(&mb, "lif.t_last_spike"),
            host(&ma, "lif.t_last_spike"),
            "{backend} t_last_spike"
        );
        assert_states_close(&a, &b, tol_v, &format!("{backend} final"));
        assert_eq!(a.step_index(), b.step_index());
        println!(
            "lif fused vs composed on {backend} {PRECISION}: {spikes} spikes identical, max |ΔV| {d:e}"
        );
    }
}

/// Every integration method of LIF (the non-`exp_auto` ones run the model's generic equation
/// on lanes): 200 steps, V within the exp_auto bound (the same arithmetic in another order).
#[test]
fn lif_fused_equals_composed_for_every_method() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for method in [
            Method::Euler,
            Method::Rk2,
            Method::Heun2,
            Method::Midpoint,
            Method::Rk4,
        ] {
            let mut net = Network::new(&c, Mode::NonBatching).unwrap();
            let cfg = LifConfig {
                method,
                tau: Initializer::uniform(5.0, 20.0, 8).into(),
                v_initializer: Initializer::uniform(0.0, 15.0, 9),
                ..Default::default()
            };
            net.add(Lif::named(19, cfg, Some("lif"), &c, Mode::NonBatching).unwrap())
                .unwrap();
            let setup = hr(|r| {
                r.input("lif", InputValue::Constant(25.0))
                    .unwrap()
                    .monitor("lif.V")
                    .unwrap()
                    .monitor("lif.spike")
                    .unwrap()
            });
            let ((ma, _), (mb, _)) = both(&net, 0.1, 200, setup);
            assert_eq!(
                ma.spike_events("lif.spike").unwrap(),
                mb.spike_events("lif.spike").unwrap(),
                "{backend} {method:?}: spikes"
            );
            assert_close(
                &format!("{backend} {method:?} V"),
                &host(&mb, "lif.V"),
                &host(&ma, "lif.V"),
                tol(PRECISION, 1e-12, 4e-5),
            );
        }
    }
}

/// Case a (LeakyIntegrator, BrainPy's numbers) through the fused runner: the tolerances of the
/// composed runner test (`runner.rs`), and the fused trace equals the composed one within
/// the LIF bound.
#[test]
fn leaky_integrator_case_a_through_the_fused_runner() {
    let (hdr, rows) = oracle_csv(&oracle_name(PRECISION, "a_leaky_integrator.csv"));
    let steps = rows.len();
    let inputs: Vec<Vec<f64>> = (0..steps)
        .map(|k| {
            (0..3)
                .map(|j| column(&hdr, &rows, &format!("I{j}"))[k])
                .collect()
        })
        .collect();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        net.add(
            LeakyIntegrator::named(
                3,
                LeakyIntegratorConfig::default(),
                Some("li"),
                &c,
                Mode::NonBatching,
            )
            .unwrap(),
        )
        .unwrap();
        let setup = hr(|r| {
            r.input("li", InputValue::PerStep(inputs.clone()))
                .unwrap()
                .monitor("li.V")
                .unwrap()
        });
        let ((ma, _), (mb, _)) = both(&net, 0.1, steps as u64, setup);
        let got = host(&mb, "li.V");
        for j in 0..3 {
            let want: Vec<f64> = column(&hdr, &rows, &format!("default_V{j}"));
            let g: Vec<f64> = (0..steps).map(|k| got[k * 3 + j]).collect();
            assert_close(
                &format!("{backend} fused V{j} vs BrainPy"),
                &g,
                &want,
                tol(PRECISION, 1e-9, 5e-5),
            );
        }
        assert_close(
            &format!("{backend} fused vs composed"),
            &got,
            &host(&ma, "li.V"),
            tol(PRECISION, 1e-12, 1e-5),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Wang–Buzsáki

/// Case h (one WB step, BrainPy's numbers) through the fused runner, with the bounds of the
/// composed test in `conductance.rs` (f64 1e-12; f32 2e-5 for V, 1e-6 for the gates).
#[test]
fn wb_one_step_case_h_through_the_fused_runner() {
    let h = oracle_json(&oracle_name(PRECISION, "h_exp_auto.json"));
    let w = &h["tests"]["wb_one_step"];
    let (tv, tg) = match PRECISION {
        Precision::F64 => (1e-12, 1e-12),
        Precision::F32 => (2e-5, 1e-6),
    };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let cfg = WangBuzsakiConfig {
            v_initializer: num(&w["state0"]["V"]).into(),
            h_initializer: num(&w["state0"]["h"]).into(),
            n_initializer: num(&w["state0"]["n"]).into(),
            ..Default::default()
        };
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        net.add(WangBuzsakiModel::named(1, cfg, Some("wb"), &c, Mode::NonBatching).unwrap())
            .unwrap();
        let mon = Runner::new(&mut net, num(&w["dt"]))
            .unwrap()
            .input("wb", InputValue::Constant(num(&w["I"])))
            .unwrap()
            .monitor("wb.V")
            .unwrap()
            .monitor("wb.h")
            .unwrap()
            .monitor("wb.n")
            .unwrap()
            .run_steps(1)
            .unwrap();
        assert_eq!(mon.engine(), &Engine::Fused, "{backend}");
        for (key, t) in [("V", tv), ("h", tg), ("n", tg)] {
            let got = host(&mon, &format!("wb.{key}"))[0];
            let want = num(&w["brainpy"][key]);
            assert!(
                (got - want).abs() <= t,
                "{backend} {key}: {got} vs {want} (err {:e})",
                (got - want).abs()
            );
        }
    }
}

/// Absolute float32 tolerance of an oracle trace column, as `conductance.rs` derives it: twice
/// BrainPy's own float32-vs-float64 spread of the column plus 4 ulp of its largest magnitude.
fn f32_trace_tolerance(file: &str, column: &str, want: &[f64]) -> f64 {
    let json = oracle_json("f32_vs_f64.json");
    let key = column.replace('.', "");
    let spread = num(&json["csv_max_abs_diff"][file][&key]);
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    2.0 * spread + 4.0 * scale * f64::from(f32::EPSILON)
}

/// Case b (the WB f–I curve, 15 currents, 500 ms at dt = 0.01 and 0.05) through the fused
/// runner, with the criteria of the composed test in `conductance.rs`:
///
/// * float64: the first 20 ms of V, h, n (every step) within 1e-6 relative (floors 1 mV and
///   1e-3, see there); spike steps identical to BrainPy's for every current, the chaotic
///   neuron at dt = 0.05, I = 2 included: the fused float64 step is BrainPy's operation order
///   (`brainburn::fused::neurons::wb_x64`), so the whole trajectory is BrainPy's bit for bit
///   (the composed path's is not, see `conductance::CHAOTIC`);
/// * float32: spike counts identical, every spike within
///   [`crate::conductance::F32_CASE_B_SHIFT`] steps of BrainPy's float32 step; the first
///   20 ms within [`f32_trace_tolerance`].
#[test]
fn wb_fi_curve_case_b_through_the_fused_runner() {
    let json = oracle_json(&oracle_name(PRECISION, "b_wb_fI.json"));
    let currents = f64s(&json["I_values"]);
    let n = currents.len();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for (label, file) in [("dt=0.01", "0p01"), ("dt=0.05", "0p05")] {
            let run = &json["runs"][label];
            let dt = num(&run["dt"]);
            let steps = run["n_steps"].as_u64().unwrap();
            let early_file = format!("b_wb_fI_dt{file}_early_fullres.csv");
            let (hdr, rows) = oracle_csv(&oracle_name(PRECISION, &early_file));
            let early = rows.len() as u64;
            let mut net = Network::new(&c, Mode::NonBatching).unwrap();
            net.add(
                WangBuzsakiModel::named(
                    n,
                    WangBuzsakiConfig::default(),
                    Some("wb"),
                    &c,
                    Mode::NonBatching,
                )
                .unwrap(),
            )
            .unwrap();
            // Two runs: the traces of the first 20 ms, then the spikes of the rest.
            let m1 = Runner::new(&mut net, dt)
                .unwrap()
                .input("wb", InputValue::PerNeuron(currents.clone()))
                .unwrap()
                .monitor("wb.V")
                .unwrap()
                .monitor("wb.h")
                .unwrap()
                .monitor("wb.n")
                .unwrap()
                .monitor("wb.spike")
                .unwrap()
                .run_steps(early)
                .unwrap();
            let m2 = Runner::new(&mut net, dt)
                .unwrap()
                .input("wb", InputValue::PerNeuron(currents.clone()))
                .unwrap()
                .monitor("wb.spike")
                .unwrap()
                .run_steps(steps - early)
                .unwrap();
            assert_eq!(m1.engine(), &Engine::Fused, "{backend}");
            assert_eq!(m2.engine(), &Engine::Fused, "{backend}");
            let mut worst = 0.0f64;
            for (tag, i_val) in [("0.5", 0.5), ("1", 1.0), ("5", 5.0)] {
                let j = currents.iter().position(|&x| x == i_val).unwrap();
                for (key, floor) in [("V", 1.0), ("h", 1e-3), ("n", 1e-3)] {
                    let column_name = format!("{key}_I{tag}");
                    let want = column(&hdr, &rows, &column_name);
                    let all = host(&m1, &format!("wb.{key}"));
                    let got: Vec<f64> = (0..early as usize).map(|k| all[k * n + j]).collect();
                    match PRECISION {
                        Precision::F64 => {
                            let (d, k) = max_rel_diff(&got, &want, floor);
                            assert!(
                                d <= 1e-6,
                                "{backend} {label} {key} I={tag}: rel err {d:e} at step {k}"
                            );
                            worst = worst.max(d);
                        }
                        Precision::F32 => {
                            let t = f32_trace_tolerance(&early_file, &column_name, &want);
                            assert_close(
                                &format!("{backend} {label} {key} I={tag}"),
                                &got,
                                &want,
                                t,
                            );
                        }
                    }
                }
            }
            let mut worst_shift = 0;
            let mut spikes = vec![Vec::new(); n];
            for m in [&m1, &m2] {
                for (step, _, j) in m.spike_events("wb.spike").unwrap() {
                    spikes[j].push(step as usize);
                }
            }
            for (j, neuron) in run["neurons"].as_array().unwrap().iter().enumerate() {
                let want: Vec<usize> = neuron["spike_steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as usize)
                    .collect();
                let got = &spikes[j];
                let what = format!("{backend} {label} I={}", currents[j]);
                assert_eq!(got.len(), want.len(), "{what}: spike count");
                if PRECISION == Precision::F64 {
                    assert_eq!(got, &want, "{what}: spike steps");
                } else {
                    let shift =
                        assert_spike_shift(&what, got, &want, crate::conductance::F32_CASE_B_SHIFT);
                    worst_shift = worst_shift.max(shift);
                }
            }
            println!(
                "case b {label} through the fused runner on {backend} {PRECISION}: spike {} identical for all {n} currents{}",
                if PRECISION == Precision::F64 {
                    "steps"
                } else {
                    "counts"
                },
                if PRECISION == Precision::F64 {
                    format!("; first 20 ms worst rel err {worst:e}")
                } else {
                    format!("; spike steps within {worst_shift} steps of BrainPy float32's")
                }
            );
        }
    }
}

/// A WB network exercising every branch of the kernel: per-neuron gNa and C, noise, a batch of
/// 2, V spread over the whole range (so lanes take different branches of the rate functions
/// in one vector), 23 neurons (a partial last vector).
fn wb_net(c: &Ctx, method: Method, noise: bool) -> Network {
    wb_net_with_c(c, method, noise, true)
}

/// [`wb_net`], with C per neuron or the default C = 1 (then float64 `exp_auto` takes the
/// BrainPy-order step, `brainburn::fused::neurons::wb_x64`) and then gK per neuron instead.
fn wb_net_with_c(c: &Ctx, method: Method, noise: bool, per_neuron_c: bool) -> Network {
    let mode = Mode::Batching { batch_size: 2 };
    let n = 23;
    let per_neuron = |a: f64, b: f64| -> Vec<f64> { (0..n).map(|j| a + b * j as f64).collect() };
    let cfg = WangBuzsakiConfig {
        g_na: Initializer::uniform(30.0, 40.0, 1).into(),
        c: if per_neuron_c {
            per_neuron(0.9, 0.01).into()
        } else {
            1.0.into()
        },
        g_k: if per_neuron_c {
            9.0.into()
        } else {
            per_neuron(8.0, 0.1).into()
        },
        v_initializer: Initializer::uniform(-80.0, 30.0, 2),
        h_initializer: Initializer::uniform(0.1, 0.9, 3),
        n_initializer: Initializer::uniform(0.05, 0.7, 4),
        noise: noise.then(|| 0.2.into()),
        noise_seed: 5,
        method,
        ..Default::default()
    };
    let mut net = Network::new(c, mode).unwrap();
    net.add(WangBuzsakiModel::named(n, cfg, Some("wb"), c, mode).unwrap())
        .unwrap();
    net
}

/// Runs `net` 300 steps of 0.01 ms with the constant `input` into `group` on the composed and
/// the fused path and checks V within `tv`, the `gates` (state keys of the group) within `tg`,
/// identical spikes (at least one) and final states within `tv`. Returns the number of spikes
/// and the largest |ΔV|.
fn group_fused_vs_composed(
    net: &Network,
    group: &str,
    input: f64,
    gates: &[&str],
    (tv, tg): (f64, f64),
    what: &str,
) -> (usize, f64) {
    let key = |k: &str| format!("{group}.{k}");
    let setup = hr(|r| {
        let mut r = r
            .input(group, InputValue::Constant(input))
            .unwrap()
            .monitor(&key("V"))
            .unwrap()
            .monitor(&key("spike"))
            .unwrap();
        for g in gates {
            r = r.monitor(&key(g)).unwrap();
        }
        r
    });
    let ((ma, a), (mb, b)) = both(net, 0.01, 300, setup);
    let dv = assert_close(
        &format!("{what} V"),
        &host(&mb, &key("V")),
        &host(&ma, &key("V")),
        tv,
    );
    for g in gates {
        assert_close(
            &format!("{what} {g}"),
            &host(&mb, &key(g)),
            &host(&ma, &key(g)),
            tg,
        );
    }
    let sa = ma.spike_events(&key("spike")).unwrap();
    assert_eq!(
        sa,
        mb.spike_events(&key("spike")).unwrap(),
        "{what}: spikes"
    );
    assert!(!sa.is_empty(), "{what}: some neuron crosses V_th");
    assert_states_close(&a, &b, tv, what);
    (sa.len(), dv)
}

/// WB fused vs composed: 300 steps of 0.01 ms (3 ms: several upstrokes in flight) for every
/// method, with and without noise.
///
/// In float32 one step of the hand-fused `exp_auto` differs from the composed one by a few ulp
/// (shared exponentials, one reciprocal per quotient); the other methods, and float64 (C is
/// per neuron here, so not the BrainPy-order step: see [`wb_brainpy_order_step_equals_composed`]),
/// run the same generic equations and differ only by the lanes' exp/exprel (≤ 2 ulp). Over an
/// upstroke the map's local gain (up to e^{dt·∂f/∂V} ≈ 1.05 per step) amplifies such a
/// difference by at most ~10³ in 3 ms: from ulp(|V| ≤ 64) that is 7.6e-3 mV in f32 and 1.4e-11
/// in f64 (bounds 1e-2 and 2e-11), from ulp(1) for the gates 1.2e-4 and 2.2e-13 (bounds 2e-4
/// and 1e-12). Spike steps are then identical (a flip would need V within 0.01 mV of
/// V_th = 20 at a crossing step, where V moves by ~1 mV per step).
#[test]
fn wb_fused_equals_composed_for_every_method() {
    let (tv, tg) = match PRECISION {
        Precision::F64 => (2e-11, 1e-12),
        Precision::F32 => (1e-2, 2e-4),
    };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for method in [
            Method::ExpAuto,
            Method::Euler,
            Method::Rk2,
            Method::Heun2,
            Method::Midpoint,
            Method::Rk4,
        ] {
            for noise in [false, true] {
                let net = wb_net(&c, method, noise);
                let what = format!("{backend} {method:?} noise={noise}");
                let (spikes, dv) =
                    group_fused_vs_composed(&net, "wb", 3.0, &["h", "n"], (tv, tg), &what);
                if method == Method::ExpAuto {
                    println!(
                        "wb fused vs composed on {backend} {PRECISION} noise={noise}: {spikes} spikes identical, max |ΔV| {dv:e}"
                    );
                }
            }
        }
    }
}

/// The BrainPy-order float64 step (`exp_auto`, C = 1; per-neuron gNa and gK, a batch of 2,
/// with and without noise) vs the composed path, 300 steps of 0.01 ms.
///
/// The two are the same equations in different operation orders: BrainPy's (reverse-mode
/// ∂f/∂V, literal quotients, XLA's constant folding, FMAs) and the composed path's (forward
/// duals, guarded `expm1` forms). On BrainPy's own case-b trajectories one step differs by at
/// most ~250 ulp of V away from V = −35 mV; near −35 BrainPy's ∂f/∂V through α_m is the
/// difference of two terms ∝ 1/x (x = −0.1(V + 35)) and loses ~1e-16/x² relative: measured
/// 3e-8 mV in one step at V = −35.002. With the map's gain (≤ 10³ over 3 ms, see
/// [`wb_fused_equals_composed_for_every_method`]) the float64 bound is 1e-4 mV for V and
/// 1e-6 for the gates (their equations have no such cancellation: ≤ 250 ulp per step). A
/// wrong parameter or a missed term moves V by ≫ 1e-2 mV in 3 ms. float32 takes the float32
/// kernel: the bounds of `wb_fused_equals_composed_for_every_method`.
#[test]
fn wb_brainpy_order_step_equals_composed() {
    assert!(brainburn::fused::neurons::wb_x64::applies(true, Some(1.0)));
    let (tv, tg) = match PRECISION {
        Precision::F64 => (1e-4, 1e-6),
        Precision::F32 => (1e-2, 2e-4),
    };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for noise in [false, true] {
            let net = wb_net_with_c(&c, Method::ExpAuto, noise, false);
            let what = format!("{backend} BrainPy-order noise={noise}");
            let (spikes, dv) =
                group_fused_vs_composed(&net, "wb", 3.0, &["h", "n"], (tv, tg), &what);
            println!(
                "wb BrainPy-order fused vs composed on {backend} {PRECISION} noise={noise}: {spikes} spikes identical, max |ΔV| {dv:e}"
            );
        }
    }
}

/// The classic HH model, fused vs composed, with the set-up and bounds of
/// [`wb_fused_equals_composed_for_every_method`] (the same kind of hand-fused float32 step:
/// shared exponentials, reciprocals; every method, with and without noise, per-neuron gNa
/// and C, a batch of 2, V spread over the whole range).
#[test]
fn hh_fused_equals_composed_for_every_method() {
    let (tv, tg) = match PRECISION {
        Precision::F64 => (2e-11, 1e-12),
        Precision::F32 => (1e-2, 2e-4),
    };
    let mode = Mode::Batching { batch_size: 2 };
    let n = 21;
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for method in [
            Method::ExpAuto,
            Method::Euler,
            Method::Rk2,
            Method::Heun2,
            Method::Midpoint,
            Method::Rk4,
        ] {
            for noise in [false, true] {
                let cfg = HhConfig {
                    g_na: Initializer::uniform(100.0, 140.0, 1).into(),
                    c: (0..n)
                        .map(|j| 0.9 + 0.01 * j as f64)
                        .collect::<Vec<_>>()
                        .into(),
                    v_initializer: Initializer::uniform(-80.0, 30.0, 2),
                    noise: noise.then(|| 0.2.into()),
                    noise_seed: 5,
                    method,
                    ..Default::default()
                };
                let mut net = Network::new(&c, mode).unwrap();
                net.add(Hh::named(n, cfg, Some("hh"), &c, mode).unwrap())
                    .unwrap();
                let what = format!("{backend} HH {method:?} noise={noise}");
                let (spikes, dv) =
                    group_fused_vs_composed(&net, "hh", 10.0, &["m", "h", "n"], (tv, tg), &what);
                if method == Method::ExpAuto {
                    println!(
                        "hh fused vs composed on {backend} {PRECISION} noise={noise}: {spikes} spikes identical, max |ΔV| {dv:e}"
                    );
                }
            }
        }
    }
}

/// The HH channels of an oracle case-c variant (`channel_params` in the JSON).
fn case_c_channels(p: &serde_json::Value) -> Vec<(&'static str, Box<dyn Channel>)> {
    let (na, k, l) = (&p["INa"], &p["IK"], &p["IL"]);
    vec![
        (
            "INa",
            Box::new(INaHH1952 {
                e: num(&na["E"]).into(),
                g_max: num(&na["g_max"]).into(),
                phi: num(&na["phi"]).into(),
                v_sh: num(&na["V_sh"]).into(),
                ..Default::default()
            }) as Box<dyn Channel>,
        ),
        (
            "IK",
            Box::new(IKHH1952 {
                e: num(&k["E"]).into(),
                g_max: num(&k["g_max"]).into(),
                phi: num(&k["phi"]).into(),
                v_sh: num(&k["V_sh"]).into(),
                ..Default::default()
            }),
        ),
        (
            "IL",
            Box::new(IL {
                e: num(&l["E"]).into(),
                g_max: num(&l["g_max"]).into(),
            }),
        ),
    ]
}

/// Case c (CondNeuGroup with the HH channels, both variants, currents 2, 5, 10, 100 ms at
/// dt 0.01) through the fused runner, with the criteria of `conductance.rs`: float64 spike
/// steps identical to BrainPy's and V, m, h, n of the first 10 ms within 1e-6 relative
/// (floors 1 mV, 1e-3); float32 spike counts identical, every spike within one step, the
/// first 10 ms within [`f32_trace_tolerance`].
#[test]
fn cond_neu_group_case_c_through_the_fused_runner() {
    let json = oracle_json(&oracle_name(PRECISION, "c_condneugroup_hh.json"));
    let currents = f64s(&json["I_values"]);
    let dt = num(&json["dt"]);
    let n_steps = json["n_steps"].as_u64().unwrap();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for variant in ["version_defaults", "classic_HH"] {
            let v = &json["variants"][variant];
            let cfg = CondNeuGroupConfig {
                c: 1.0.into(),
                a: 1e-3.into(),
                v_th: 0.0.into(),
                v_initializer: Initializer::constant(-65.0),
                ..Default::default()
            };
            let g = CondNeuGroup::named(
                3,
                cfg,
                case_c_channels(&v["channel_params"]),
                Some("hh"),
                &c,
                Mode::NonBatching,
            )
            .unwrap();
            let mut net = Network::new(&c, Mode::NonBatching).unwrap();
            net.add(g).unwrap();
            let efile = v["early_csv"].as_str().unwrap().to_string();
            let (ehdr, erows) = oracle_csv(&oracle_name(PRECISION, &efile));
            let early = erows.len() as u64;
            let first = Runner::new(&mut net, dt)
                .unwrap()
                .input("hh", InputValue::PerNeuron(currents.clone()))
                .unwrap()
                .monitor("hh.V")
                .unwrap()
                .monitor("hh.INa.p")
                .unwrap()
                .monitor("hh.INa.q")
                .unwrap()
                .monitor("hh.IK.p")
                .unwrap()
                .monitor("hh.spike")
                .unwrap()
                .run_steps(early)
                .unwrap();
            let rest = Runner::new(&mut net, dt)
                .unwrap()
                .input("hh", InputValue::PerNeuron(currents.clone()))
                .unwrap()
                .monitor("hh.spike")
                .unwrap()
                .run_steps(n_steps - early)
                .unwrap();
            assert_eq!(first.engine(), &Engine::Fused, "{backend}");
            assert_eq!(rest.engine(), &Engine::Fused, "{backend}");
            for (j, tag) in ["2", "5", "10"].into_iter().enumerate() {
                for (key, name, floor) in [
                    ("hh.V", "V", 1.0),
                    ("hh.INa.p", "m", 1e-3),
                    ("hh.INa.q", "h", 1e-3),
                    ("hh.IK.p", "n", 1e-3),
                ] {
                    let column_name = format!("{name}_I{tag}");
                    let want = column(&ehdr, &erows, &column_name);
                    let all = host(&first, key);
                    let got: Vec<f64> = (0..early as usize).map(|k| all[k * 3 + j]).collect();
                    let what = format!("{backend} {variant} {name} I={tag}");
                    match PRECISION {
                        Precision::F64 => {
                            let (d, k) = max_rel_diff(&got, &want, floor);
                            assert!(d <= 1e-6, "{what}: rel err {d:e} at step {k}");
                        }
                        Precision::F32 => {
                            let t = f32_trace_tolerance(&efile, &column_name, &want);
                            assert_close(&what, &got, &want, t);
                        }
                    }
                }
            }
            let mut spikes = vec![Vec::new(); 3];
            for m in [&first, &rest] {
                for (step, _, j) in m.spike_events("hh.spike").unwrap() {
                    spikes[j].push(step as usize);
                }
            }
            for (j, neuron) in v["neurons"].as_array().unwrap().iter().enumerate() {
                let want = idx_of(&neuron["spike_steps"]);
                let what = format!("{backend} {variant} I={}", currents[j]);
                match PRECISION {
                    Precision::F64 => assert_eq!(spikes[j], want, "{what}: spike steps"),
                    Precision::F32 => {
                        assert_eq!(spikes[j].len(), want.len(), "{what}: spike count");
                        for (a, b) in spikes[j].iter().zip(&want) {
                            assert!(a.abs_diff(*b) <= 1, "{what}: spike at {a} vs {b}");
                        }
                    }
                }
            }
        }
    }
}

/// CondNeuGroup fused vs composed with every library channel (HH and Traub–Miles sodium and
/// potassium, leak), per-neuron g_max and C, A ≠ 1e−3 (input scaled), noise, a batch of 2,
/// V's method and the channels' own methods varied; 300 steps of 0.01 ms; bounds of
/// [`wb_fused_equals_composed_for_every_method`] (the kernel runs the channels' generic rate
/// functions on lanes, V's exp_auto partial by dual numbers: only the lanes' exp/exprel
/// differ, ≤ 2 ulp, amplified ≤ 10³ over 3 ms).
#[test]
fn cond_neu_group_fused_equals_composed() {
    let (tv, tg) = match PRECISION {
        Precision::F64 => (2e-11, 1e-12),
        Precision::F32 => (1e-2, 2e-4),
    };
    let mode = Mode::Batching { batch_size: 2 };
    let n = 19;
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for (method, k_method) in [
            (Method::ExpAuto, Method::ExpAuto),
            (Method::Rk4, Method::Euler),
            (Method::Rk2, Method::Rk4),
        ] {
            for tm in [false, true] {
                let channels: Vec<(&str, Box<dyn Channel>)> = if tm {
                    vec![
                        (
                            "INa",
                            Box::new(INaTM1991 {
                                g_max: Initializer::uniform(80.0, 120.0, 3).into(),
                                ..Default::default()
                            }) as Box<dyn Channel>,
                        ),
                        (
                            "IK",
                            Box::new(IKTM1991 {
                                method: k_method,
                                ..Default::default()
                            }),
                        ),
                        ("IL", Box::new(IL::default())),
                    ]
                } else {
                    vec![
                        (
                            "INa",
                            Box::new(INaHH1952 {
                                g_max: Initializer::uniform(100.0, 140.0, 3).into(),
                                ..Default::default()
                            }) as Box<dyn Channel>,
                        ),
                        (
                            "IK",
                            Box::new(IKHH1952 {
                                method: k_method,
                                ..Default::default()
                            }),
                        ),
                        ("IL", Box::new(IL::default())),
                    ]
                };
                let cfg = CondNeuGroupConfig {
                    c: (0..n)
                        .map(|j| 0.9 + 0.01 * j as f64)
                        .collect::<Vec<_>>()
                        .into(),
                    a: 2e-3.into(),
                    v_initializer: Initializer::uniform(-80.0, 20.0, 2),
                    noise: Some(0.3.into()),
                    noise_seed: 4,
                    method,
                    ..Default::default()
                };
                let mut net = Network::new(&c, mode).unwrap();
                net.add(CondNeuGroup::named(n, cfg, channels, Some("g"), &c, mode).unwrap())
                    .unwrap();
                let what = format!("{backend} CondNeuGroup {method:?}/{k_method:?} TM={tm}");
                group_fused_vs_composed(&net, "g", 20.0, &["INa.p", "IK.p"], (tv, tg), &what);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// input groups, monitors, continuing runs

/// SpikeTimeGroup and PoissonGroup spikes are the composed path's exactly (the same host rule
/// and the same counter-based draws), in a batch of 2.
#[test]
fn input_groups_fire_identically() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mode = Mode::Batching { batch_size: 2 };
        let mut net = Network::new(&c, mode).unwrap();
        let cfg = SpikeTimeGroupConfig {
            indices: vec![0, 3, 1, 3, 2],
            times: vec![0.0, 0.25, 0.31, 0.9, 4.55],
        };
        net.add(SpikeTimeGroup::named(4, cfg, Some("st"), &c, mode).unwrap())
            .unwrap();
        let cfg = PoissonGroupConfig {
            freqs: vec![200.0, 500.0, 1000.0],
            seed: 7,
        };
        net.add(PoissonGroup::named(3, cfg, Some("po"), &c, mode).unwrap())
            .unwrap();
        let setup = hr(|r| {
            r.monitor("st.spike")
                .unwrap()
                .monitor_with("po.spike", None, 2)
                .unwrap()
        });
        let ((ma, a), (mb, b)) = both(&net, 0.1, 60, setup);
        for key in ["st.spike", "po.spike"] {
            let ea = ma.spike_events(key).unwrap();
            assert_eq!(ea, mb.spike_events(key).unwrap(), "{backend} {key}");
            assert!(!ea.is_empty(), "{backend} {key} fires");
            assert_eq!(ma.get(key).unwrap().steps, mb.get(key).unwrap().steps);
        }
        assert_states_close(&a, &b, 0.0, &format!("{backend} final"));
    }
}

/// A fused run leaves the network exactly where it ends (states written back, step index
/// advanced): 150 fused steps then 150 composed ones equal 300 composed steps.
#[test]
fn a_fused_run_continues_on_the_composed_path() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let net = wb_net(&c, Method::ExpAuto, true);
        assert!(supported(&net).unwrap());
        let run = |net: &mut Network, fused: bool, steps: u64| {
            Runner::new(net, 0.01)
                .unwrap()
                .fused(fused)
                .input("wb", InputValue::Constant(3.0))
                .unwrap()
                .monitor("wb.V")
                .unwrap()
                .run_steps(steps)
                .unwrap()
        };
        let mut a = net.clone();
        let ma = run(&mut a, false, 300);
        let mut b = net.clone();
        let mb1 = run(&mut b, true, 150);
        assert_eq!(mb1.engine(), &Engine::Fused, "{backend}");
        assert_eq!(b.step_index(), 150);
        let mb2 = run(&mut b, false, 150);
        assert_eq!(mb2.get("wb.V").unwrap().steps[0], 150);
        let mut got = host(&mb1, "wb.V");
        got.extend(host(&mb2, "wb.V"));
        // The bound of `wb_fused_equals_composed_for_every_method` (same network and steps).
        assert_close(
            &format!("{backend} V"),
            &got,
            &host(&ma, "wb.V"),
            tol(PRECISION, 2e-11, 1e-2),
        );
        assert_states_close(&a, &b, tol(PRECISION, 2e-11, 1e-2), &format!("{backend}"));
    }
}

// ---------------------------------------------------------------------------------------------
// synapses

/// Case d (GABAa, BrainPy's numbers) through the fused runner, all four variants, whole runs
/// (1000 rows, BrainPy's transmitter windows, among them the float64 file's 11-step window at
/// arrival step 71 of `delay2`), with the bars of the composed test in `synapses.rs`: float64
/// within 1e-9 of the float64 file; float32 against the float32 files, g within 1e-6 and V,
/// input within 2e-5.
#[test]
fn gabaa_case_d_through_the_fused_runner() {
    let json = oracle_json("d_gabaa.json");
    let steps = num(&json["n_steps"]) as u64;
    let sp = &json["syn_params"];
    let p = &json["post"];
    let g_max = num(&sp["g_max"]);
    let idx = |k: &str| -> Vec<usize> {
        json["connection"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for (variant, method, delay) in [
            ("dense_delayNone", CompMethod::Dense, None),
            ("sparse_delayNone", CompMethod::Sparse, None),
            ("dense_delay2", CompMethod::Dense, Some(20)),
            ("sparse_delay2", CompMethod::Sparse, Some(20)),
        ] {
            let build = || {
                let mode = Mode::NonBatching;
                let pre = SpikeTimeGroup::named(
                    2,
                    SpikeTimeGroupConfig {
                        indices: idx_of(&json["pre"]["indices"]),
                        times: f64s(&json["pre"]["times"]),
                    },
                    Some("pre"),
                    &c,
                    mode,
                )
                .unwrap();
                let post = LeakyIntegrator::named(
                    2,
                    LeakyIntegratorConfig {
                        v_rest: num(&p["V_rest"]).into(),
                        r: num(&p["R"]).into(),
                        tau: num(&p["tau"]).into(),
                        v_initializer: Initializer::Values {
                            values: f64s(&p["V0"]),
                        },
                        ..Default::default()
                    },
                    Some("post"),
                    &c,
                    mode,
                )
                .unwrap();
                let cfg = GabaaConfig {
                    comp_method: method,
                    g_max: g_max.into(),
                    alpha: num(&sp["alpha"]).into(),
                    beta: num(&sp["beta"]).into(),
                    t: num(&sp["T"]).into(),
                    t_duration: num(&sp["T_duration"]),
                    output: Output::coba(num(&sp["E"])),
                    delay_step: delay.map(DelayStep::Steps),
                    ..GabaaConfig::new(Connector::ij(idx("pre"), idx("post")))
                };
                let syn = Gabaa::named(&pre, &post, cfg, Some("syn")).unwrap();
                let mut net = Network::new(&c, mode).unwrap();
                net.add(pre).unwrap();
                net.add(post).unwrap();
                net.connect(syn).unwrap();
                net
            };
            let run = |net: &mut Network, n: u64| {
                let m = Runner::new(net, num(&json["dt"]))
                    .unwrap()
                    .input("post", InputValue::PerNeuron(f64s(&p["I_ext"])))
                    .unwrap()
                    .monitor("syn.g")
                    .unwrap()
                    .monitor("post.V")
                    .unwrap()
                    .monitor("post.input")
                    .unwrap()
                    .run_steps(n)
                    .unwrap();
                assert_eq!(m.engine(), &Engine::Fused, "the fused engine ran");
                m
            };
            // Rows of the oracle's columns from the monitors.
            let rows = |mons: &[Monitors]| -> Vec<Vec<f64>> {
                let mut out = Vec::new();
                for m in mons {
                    let (g, v, i) = (host(m, "syn.g"), host(m, "post.V"), host(m, "post.input"));
                    for k in 0..g.len() / 2 {
                        let (g0, g1) = (g[2 * k], g[2 * k + 1]);
                        out.push(vec![
                            g0,
                            g1,
                            g_max * g0,
                            g_max * (g0 + g1),
                            v[2 * k],
                            v[2 * k + 1],
                            i[2 * k],
                            i[2 * k + 1],
                        ]);
                    }
                }
                out
            };
            let compare =
                |what: &str, got: &[Vec<f64>], file: &str, upto: usize, tg: f64, tv: f64| {
                    let (hdr, want) = oracle_csv(file);
                    for (k, name) in [
                        "g0", "g1", "g_post0", "g_post1", "V0", "V1", "input0", "input1",
                    ]
                    .iter()
                    .enumerate()
                    {
                        let w = column(&hdr, &want, name)[..upto].to_vec();
                        let g: Vec<f64> = got[..upto].iter().map(|r| r[k]).collect();
                        let t = if name.starts_with('g') { tg } else { tv };
                        assert_close(&format!("{what} {name}"), &g, &w, t);
                    }
                };
            let what = format!("{backend} {variant}");
            let mut net = build();
            assert!(supported(&net).unwrap(), "{what}: fused path");
            let got = rows(&[run(&mut net, steps)]);
            let n = steps as usize;
            match PRECISION {
                Precision::F64 => compare(
                    &what,
                    &got,
                    &format!("d_gabaa_{variant}.csv"),
                    n,
                    1e-9,
                    1e-9,
                ),
                Precision::F32 => compare(
                    &what,
                    &got,
                    &format!("f32/d_gabaa_{variant}.csv"),
                    n,
                    1e-6,
                    2e-5,
                ),
            }
        }
    }
}

/// One synapse configuration of [`synapses_fused_equal_composed`].
struct SynCase {
    name: &'static str,
    /// Presynaptic group: `None` = the postsynaptic LIF itself (a recurrent synapse).
    n_pre: Option<usize>,
    make: fn(&dyn NeuronGroup, &dyn NeuronGroup) -> Box<dyn Synapse>,
}

fn syn_cases() -> Vec<SynCase> {
    vec![
        SynCase {
            name: "Exponential sparse FixedProb COBA delay 3",
            n_pre: Some(12),
            make: |a, b| {
                let cfg = ExponentialConfig {
                    g_max: 2.0.into(),
                    output: Output::coba(30.0),
                    delay_step: Some(DelayStep::Steps(3)),
                    ..ExponentialConfig::new(Connector::fixed_prob(0.3, 5))
                };
                Box::new(Exponential::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "Exponential dense IJ per-synapse weights, per-neuron delays",
            n_pre: Some(12),
            make: |a, b| {
                let pre: Vec<usize> = (0..30).map(|k| (k * 7) % 12).collect();
                let post: Vec<usize> = (0..30).map(|k| (k * 3 + k / 10) % 10).collect();
                let cfg = ExponentialConfig {
                    comp_method: CompMethod::Dense,
                    g_max: Initializer::uniform(0.5, 4.0, 9).into(),
                    tau: (0..10).map(|j| 3.0 + j as f64).collect::<Vec<_>>().into(),
                    delay_step: Some(DelayStep::PerNeuron((0..12).map(|i| i % 5).collect())),
                    ..ExponentialConfig::new(Connector::ij(pre, post))
                };
                Box::new(Exponential::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "Exponential All2All rk4",
            n_pre: Some(12),
            make: |a, b| {
                let cfg = ExponentialConfig {
                    g_max: 0.5.into(),
                    method: Method::Rk4,
                    ..ExponentialConfig::new(Connector::all2all(true))
                };
                Box::new(Exponential::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "Exponential One2One sparse",
            n_pre: Some(10),
            make: |a, b| {
                let cfg = ExponentialConfig {
                    g_max: Initializer::uniform(1.0, 6.0, 2).into(),
                    ..ExponentialConfig::new(Connector::One2One)
                };
                Box::new(Exponential::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "GABAa All2All without self, recurrent, COBA",
            n_pre: None,
            make: |a, b| {
                let cfg = GabaaConfig {
                    g_max: 0.3.into(),
                    output: Output::coba(-5.0),
                    ..GabaaConfig::new(Connector::all2all(false))
                };
                Box::new(Gabaa::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "AMPA sparse FixedProb per-synapse, per-pre alpha, delay 2, rk2, CUBA",
            n_pre: Some(12),
            make: |a, b| {
                let cfg = AmpaConfig {
                    comp_method: CompMethod::Sparse,
                    g_max: Initializer::uniform(1.0, 8.0, 4).into(),
                    alpha: (0..12)
                        .map(|i| 0.5 + 0.05 * i as f64)
                        .collect::<Vec<_>>()
                        .into(),
                    output: Output::Cuba,
                    delay_step: Some(DelayStep::Steps(2)),
                    method: Method::Rk2,
                    ..AmpaConfig::new(Connector::fixed_prob(0.4, 8))
                };
                Box::new(Ampa::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "Exponential sparse FixedProb with STD",
            n_pre: Some(12),
            make: |a, b| {
                let cfg = ExponentialConfig {
                    g_max: 3.0.into(),
                    stp: Some(ShortTermPlasticity::Std {
                        tau: 20.0.into(),
                        u: 0.3.into(),
                    }),
                    ..ExponentialConfig::new(Connector::fixed_prob(0.5, 3))
                };
                Box::new(Exponential::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "Exponential All2All with STP, rk2",
            n_pre: Some(12),
            make: |a, b| {
                let cfg = ExponentialConfig {
                    g_max: 1.5.into(),
                    method: Method::Rk2,
                    stp: Some(ShortTermPlasticity::Stp {
                        u: 0.2.into(),
                        tau_f: 50.0.into(),
                        tau_d: 30.0.into(),
                    }),
                    ..ExponentialConfig::new(Connector::all2all(true))
                };
                Box::new(Exponential::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "AMPA dense IJ with STP, per-synapse weights, delay 1",
            n_pre: Some(12),
            make: |a, b| {
                // Every pair (i, j) with i + 2j divisible by 3: 40 distinct synapses.
                let pairs: Vec<(usize, usize)> = (0..12)
                    .flat_map(|i| (0..10).map(move |j| (i, j)))
                    .filter(|(i, j)| (i + 2 * j) % 3 == 0)
                    .collect();
                let (pre, post): (Vec<usize>, Vec<usize>) = pairs.into_iter().unzip();
                let cfg = AmpaConfig {
                    comp_method: CompMethod::Dense,
                    g_max: Initializer::uniform(2.0, 6.0, 5).into(),
                    output: Output::coba(40.0),
                    delay_step: Some(DelayStep::Steps(1)),
                    stp: Some(ShortTermPlasticity::Stp {
                        u: (0..12)
                            .map(|i| 0.1 + 0.03 * i as f64)
                            .collect::<Vec<_>>()
                            .into(),
                        tau_f: 80.0.into(),
                        tau_d: 40.0.into(),
                    }),
                    ..AmpaConfig::new(Connector::ij(pre, post))
                };
                Box::new(Ampa::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
        SynCase {
            name: "GABAa dense All2All with self, euler",
            n_pre: Some(12),
            make: |a, b| {
                let cfg = GabaaConfig {
                    comp_method: CompMethod::Dense,
                    g_max: 0.8.into(),
                    t_duration: 1.7,
                    method: Method::Euler,
                    output: Output::coba(40.0),
                    ..GabaaConfig::new(Connector::fixed_prob(1.0, 0))
                };
                Box::new(Gabaa::named(a, b, cfg, Some("syn")).unwrap())
            },
        },
    ]
}

/// Every synapse kernel (both kinetics, every communication form, scalar and per-synapse
/// weights, delays shared and per neuron, COBA and CUBA, STP and STD, several methods), in a
/// batch of 2:
/// PoissonGroup(12, 300 Hz) (or the LIF itself) → synapse → LIF(10), 120 steps of 0.5 ms,
/// fused vs composed.
///
/// The kernels sum the same terms as the composed ops, in another order where the composed
/// path uses a matrix product or a scatter (a few ulp of the sum), and compute the `exp_auto`
/// factor of a constant τ in f64 (≤ 1 ulp). LIF is a contracting map, so V stays within a few
/// ulp of |V| ≤ 20·10 (f32 ulp(128) = 1.5e-5): 1e-4 for V, g, input in f32, 1e-11 in f64;
/// spikes, the transmitter windows and the delay buffers are identical.
#[test]
fn synapses_fused_equal_composed() {
    let t = tol(PRECISION, 1e-11, 1e-4);
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mode = Mode::Batching { batch_size: 2 };
        for case in syn_cases() {
            let mut net = Network::new(&c, mode).unwrap();
            let post = Lif::named(
                10,
                LifConfig {
                    v_initializer: Initializer::uniform(0.0, 15.0, 6),
                    ..Default::default()
                },
                Some("post"),
                &c,
                mode,
            )
            .unwrap();
            let syn = match case.n_pre {
                Some(n) => {
                    let pre = PoissonGroup::named(
                        n,
                        PoissonGroupConfig {
                            freqs: vec![300.0],
                            seed: 3,
                        },
                        Some("pre"),
                        &c,
                        mode,
                    )
                    .unwrap();
                    let s = (case.make)(&pre, &post);
                    net.add(pre).unwrap();
                    s
                }
                None => (case.make)(&post, &post),
            };
            net.add(post).unwrap();
            net.connect_boxed(syn).unwrap();
            let setup = hr(|r| {
                r.input("post", InputValue::Constant(22.0))
                    .unwrap()
                    .monitor("post.V")
                    .unwrap()
                    .monitor("post.spike")
                    .unwrap()
                    .monitor("post.input")
                    .unwrap()
                    .monitor("syn.g")
                    .unwrap()
            });
            let what = format!("{backend} {}", case.name);
            let ((ma, a), (mb, b)) = both(&net, 0.5, 120, setup);
            let sa = ma.spike_events("post.spike").unwrap();
            assert_eq!(sa, mb.spike_events("post.spike").unwrap(), "{what}: spikes");
            assert!(
                sa.len() > 10,
                "{what}: the postsynaptic group fires ({})",
                sa.len()
            );
            for key in ["post.V", "post.input", "syn.g"] {
                assert_close(
                    &format!("{what} {key}"),
                    &host(&mb, key),
                    &host(&ma, key),
                    t,
                );
            }
            assert_states_close(&a, &b, t, &what);
        }
    }
}

/// The benchmark networks, small: Wang–Buzsáki gamma (40 neurons, GABAa All2All without
/// self, g_max 0.1/N, α 12, β 0.1, COBA −75, I = 1, dt 0.01, V₀ spread) and COBA E/I
/// (320 + 80 LIF, FixedProb 0.1, Exponential sparse COBA) for 100 ms each, fused vs composed.
///
/// Both are chaotic over long runs (a ulp difference eventually shifts a spike), so the
/// traces are compared over a short window (WB: the first 5 ms, with the bound of
/// `wb_fused_equals_composed_for_every_method` in float32 and of
/// `wb_brainpy_order_step_equals_composed` in float64 — C = 1 here; COBA: the first 20 ms, LIF's 4e-5/1e-12 plus
/// the synaptic sums' few ulp: 1e-4/1e-11) and the whole runs by their spike counts, which
/// must agree within 2 % (the synchronous gamma rhythm and the asynchronous COBA state are
/// statistically the same however the rounding falls).
#[test]
fn benchmark_networks_fused_equal_composed() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        // Wang–Buzsáki gamma.
        let n = 40;
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        let wb = WangBuzsakiModel::named(
            n,
            WangBuzsakiConfig {
                v_initializer: Initializer::uniform(-70.0, -50.0, 1),
                ..Default::default()
            },
            Some("wb"),
            &c,
            Mode::NonBatching,
        )
        .unwrap();
        let cfg = GabaaConfig {
            g_max: (0.1 / n as f64).into(),
            alpha: 12.0.into(),
            beta: 0.1.into(),
            output: Output::coba(-75.0),
            ..GabaaConfig::new(Connector::all2all(false))
        };
        let syn = Gabaa::named(&wb, &wb, cfg, Some("gaba")).unwrap();
        net.add(wb).unwrap();
        net.connect(syn).unwrap();
        let setup = hr(|r| {
            r.input("wb", InputValue::Constant(1.0))
                .unwrap()
                .monitor_with("wb.V", None, 1)
                .unwrap()
                .monitor("wb.spike")
                .unwrap()
        });
        let ((ma, _), (mb, _)) = both(&net, 0.01, 10_000, setup);
        let early = 500 * n;
        let (va, vb) = (host(&ma, "wb.V"), host(&mb, "wb.V"));
        let dv = assert_close(
            &format!("{backend} WB gamma V, first 5 ms"),
            &vb[..early],
            &va[..early],
            tol(PRECISION, 1e-4, 1e-2),
        );
        println!("WB gamma on {backend} {PRECISION}: first 5 ms max |ΔV| {dv:e}");
        let (ca, cb) = (
            ma.spike_events("wb.spike").unwrap().len() as f64,
            mb.spike_events("wb.spike").unwrap().len() as f64,
        );
        assert!(
            ca > 2.0 * n as f64,
            "{backend} WB gamma fires ({ca} spikes)"
        );
        println!("WB gamma on {backend} {PRECISION}: {ca} composed vs {cb} fused spikes in 100 ms");
        assert!(
            (ca - cb).abs() <= 0.02 * ca,
            "{backend} WB gamma spikes {ca} vs {cb}"
        );

        // COBA E/I.
        let (ne, ni) = (320, 80);
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        let lif = |name: &str, k: usize, seed: u64| {
            Lif::named(
                k,
                LifConfig {
                    v_rest: (-60.0).into(),
                    v_th: (-50.0).into(),
                    v_reset: (-60.0).into(),
                    tau: 20.0.into(),
                    tau_ref: 5.0.into(),
                    v_initializer: Initializer::normal(-55.0, 2.0, seed),
                    ..Default::default()
                },
                Some(name),
                &c,
                Mode::NonBatching,
            )
            .unwrap()
        };
        let (e, i) = (lif("E", ne, 1), lif("I", ni, 2));
        let exp = |pre: &Lif, post: &Lif, w: f64, tau: f64, rev: f64, seed: u64, name: &str| {
            let cfg = ExponentialConfig {
                g_max: w.into(),
                tau: tau.into(),
                output: Output::coba(rev),
                ..ExponentialConfig::new(Connector::fixed_prob(0.1, seed))
            };
            Exponential::named(pre, post, cfg, Some(name)).unwrap()
        };
        let syns = [
            exp(&e, &e, 0.6, 5.0, 0.0, 1, "ee"),
            exp(&e, &i, 0.6, 5.0, 0.0, 2, "ei"),
            exp(&i, &e, 6.7, 10.0, -80.0, 3, "ie"),
            exp(&i, &i, 6.7, 10.0, -80.0, 4, "ii"),
        ];
        net.add(e).unwrap();
        net.add(i).unwrap();
        for s in syns {
            net.connect(s).unwrap();
        }
        let setup = hr(|r| {
            r.input("E", InputValue::Constant(20.0))
                .unwrap()
                .input("I", InputValue::Constant(20.0))
                .unwrap()
                .monitor("E.V")
                .unwrap()
                .monitor("E.spike")
                .unwrap()
                .monitor("I.spike")
                .unwrap()
        });
        let ((ma, _), (mb, _)) = both(&net, 0.1, 1000, setup);
        let early = 200 * ne;
        assert_close(
            &format!("{backend} COBA E.V, first 20 ms"),
            &host(&mb, "E.V")[..early],
            &host(&ma, "E.V")[..early],
            tol(PRECISION, 1e-11, 1e-4),
        );
        for key in ["E.spike", "I.spike"] {
            let (ca, cb) = (
                ma.spike_events(key).unwrap().len() as f64,
                mb.spike_events(key).unwrap().len() as f64,
            );
            assert!(ca > 50.0, "{backend} COBA {key} fires ({ca} spikes)");
            println!(
                "COBA on {backend} {PRECISION}: {key} {ca} composed vs {cb} fused spikes in 100 ms"
            );
            assert!(
                (ca - cb).abs() <= 0.02 * ca,
                "{backend} COBA {key}: {ca} vs {cb}"
            );
        }
    }
}

/// A run that cannot be fused says why: Training mode and a trainable parameter on an
/// autodiff device each name their reason in the returned monitors.
#[test]
fn a_declined_run_names_its_reason() {
    for backend in crate::backends() {
        let ad = ctx(backend, PRECISION).autodiff();
        let mode = Mode::Training { batch_size: 1 };
        let mut net = Network::new(&ad, mode).unwrap();
        net.add(Lif::named(4, LifConfig::default(), Some("lif"), &ad, mode).unwrap())
            .unwrap();
        let mon = Runner::new(&mut net, 0.1)
            .unwrap()
            .input("lif", InputValue::Constant(30.0))
            .unwrap()
            .monitor("lif.V")
            .unwrap()
            .run_steps(3)
            .unwrap();
        assert_eq!(
            mon.engine(),
            &Engine::Composed {
                reason: Fallback::Training
            },
            "{backend}"
        );
        let cfg = LifConfig {
            tau: trainable(10.0),
            ..Default::default()
        };
        let mut net = Network::new(&ad, Mode::NonBatching).unwrap();
        net.add(Lif::named(4, cfg, Some("lif"), &ad, Mode::NonBatching).unwrap())
            .unwrap();
        let mon = Runner::new(&mut net, 0.1).unwrap().run_steps(2).unwrap();
        assert_eq!(
            mon.engine(),
            &Engine::Composed {
                reason: Fallback::Trainable {
                    member: "lif".into(),
                    param: "tau".into()
                }
            },
            "{backend}"
        );
        assert!(mon.engine().to_string().contains("lif.tau"));
    }
}
