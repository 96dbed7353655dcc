//! The runner: inputs of every kind, monitors (keys, indices, every k), CSV and plots, and the
//! errors for keys that do not exist. Case a (LeakyIntegrator) through the runner.

use brainburn::prelude::*;
use brainburn::runner::InputValue;
use std::sync::Arc;

use crate::PRECISION;
use crate::common::*;

/// Case a through a `Network` + `Runner` with the per-step input rows of the oracle CSV:
/// the same numbers (and tolerances) as the direct group test in `foundation.rs`.
#[test]
fn runner_reproduces_case_a_with_per_step_input() {
    let (hdr, rows) = oracle_csv(&oracle_name(PRECISION, "a_leaky_integrator.csv"));
    let steps = if crate::IS_WGPU { 300 } else { rows.len() };
    let inputs: Vec<Vec<f64>> = (0..steps)
        .map(|k| {
            (0..3)
                .map(|j| column(&hdr, &rows, &format!("I{j}"))[k])
                .collect()
        })
        .collect();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = leaky_net(&c, 3, "li");
        let mon = Runner::new(&mut net, 0.1)
            .unwrap()
            .input("li", InputValue::PerStep(inputs.clone()))
            .unwrap()
            .monitor("li.V")
            .unwrap()
            .run_steps(steps as u64)
            .unwrap();
        let m = mon.get("li.V").unwrap();
        assert_eq!(m.trace.dims(), [steps, 1, 3]);
        assert_eq!(m.steps, (0..steps as u64).collect::<Vec<_>>());
        let got = m.trace.to_host().unwrap();
        for j in 0..3 {
            let want: Vec<f64> = column(&hdr, &rows, &format!("default_V{j}"))[..steps].to_vec();
            let g: Vec<f64> = (0..steps).map(|k| got[k * 3 + j]).collect();
            assert_close(
                &format!("{backend} runner V{j}"),
                &g,
                &want,
                tol(PRECISION, 1e-9, 5e-5),
            );
        }
    }
}

/// Constant, per-neuron, function-of-time and tensor inputs add up as BrainPy's `+=` inputs do:
/// with tau = R = 1 ... the exp_auto step is exact, so V after one step from V = 0 is
/// (1 − e^{−dt/τ})·R·I; two inputs sum.
#[test]
fn inputs_of_every_kind_accumulate() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        net.add(
            LeakyIntegrator::named(
                2,
                LeakyIntegratorConfig::default(),
                Some("a"),
                &c,
                Mode::NonBatching,
            )
            .unwrap(),
        )
        .unwrap();
        let dt = 0.1;
        let mon = Runner::new(&mut net, dt)
            .unwrap()
            .input("a", InputValue::Constant(1.0))
            .unwrap()
            .input("a.input", InputValue::PerNeuron(vec![0.5, 2.0]))
            .unwrap()
            .input(
                "a",
                InputValue::Func(Arc::new(|t| if t < 0.05 { 3.0 } else { 0.0 })),
            )
            .unwrap()
            .input("a", InputValue::Tensor(c.tensor(vec![0.25, 0.25], [1, 2])))
            .unwrap()
            .monitor("a.V")
            .unwrap()
            .monitor("a.input")
            .unwrap()
            .run_steps(2)
            .unwrap();
        let inp = mon.get("a.input").unwrap().trace.to_host().unwrap();
        // The input state is recorded before it is cleared: step 0 sees all four inputs.
        let eps = tol(PRECISION, 1e-12, 1e-6);
        assert!(
            (inp[0] - 4.75).abs() < eps && (inp[1] - 6.25).abs() < eps,
            "{inp:?}"
        );
        assert!(
            (inp[2] - 1.75).abs() < eps && (inp[3] - 3.25).abs() < eps,
            "{inp:?}"
        );
        let v = mon.get("a.V").unwrap().trace.to_host().unwrap();
        let k = 1.0 - (-dt / 10.0f64).exp();
        assert!((v[0] - k * 4.75).abs() < eps * 10.0, "{v:?}");
    }
}

#[test]
fn monitors_select_indices_every_k_and_reject_bad_keys() {
    let Some(&backend) = crate::backends().first() else {
        return;
    };
    let c = ctx(backend, PRECISION);
    let mut net = Network::new(&c, Mode::Batching { batch_size: 2 }).unwrap();
    let cfg = SpikeTimeGroupConfig {
        indices: vec![0, 3, 1, 3],
        times: vec![0.0, 0.25, 0.31, 0.9],
    };
    net.add(
        SpikeTimeGroup::named(4, cfg, Some("st"), &c, Mode::Batching { batch_size: 2 }).unwrap(),
    )
    .unwrap();
    let bad = |key: &str| {
        Runner::new(&mut Network::new(&c, Mode::NonBatching).unwrap(), 0.1)
            .unwrap()
            .monitor(key)
            .err()
    };
    assert!(matches!(bad("nothing.V"), Some(Error::UnknownKey { .. })));
    assert!(matches!(bad("nodot"), Some(Error::UnknownKey { .. })));
    {
        let r = Runner::new(&mut net, 0.1).unwrap();
        let e = r.monitor("st.V").unwrap_err();
        assert!(
            e.to_string().contains("st.V") && e.to_string().contains("spike"),
            "{e}"
        );
    }
    {
        let r = Runner::new(&mut net, 0.1).unwrap();
        assert!(matches!(
            r.monitor_with("st.spike", Some(vec![7]), 1),
            Err(Error::InvalidArgument { .. })
        ));
    }
    assert!(Runner::new(&mut net, -0.1).is_err());
    assert!(
        Runner::new(&mut net, 0.1)
            .unwrap()
            .input("st", InputValue::Constant(1.0))
            .is_err()
    );
    let mon = Runner::new(&mut net, 0.1)
        .unwrap()
        .monitor("st.spike")
        .unwrap()
        .run_steps(12)
        .unwrap();
    // Events fire at the first step with k·dt ≥ time: 0.0 → 0, 0.25 → 3, 0.31 → 4, 0.9 → 9.
    let ev = mon.spike_events("st.spike").unwrap();
    let row0: Vec<(u64, usize)> = ev.iter().filter(|e| e.1 == 0).map(|e| (e.0, e.2)).collect();
    assert_eq!(row0, vec![(0, 0), (3, 3), (4, 1), (9, 3)]);
    assert_eq!(ev.len(), 8, "both batch rows fire");
    // A second run continues the step count.
    let mon2 = Runner::new(&mut net, 0.1)
        .unwrap()
        .monitor_with("st.spike", Some(vec![3, 1]), 3)
        .unwrap()
        .run_steps(6)
        .unwrap();
    let m = mon2.get("st.spike").unwrap();
    assert_eq!(
        m.steps,
        vec![14, 17],
        "every 3rd step: k with (k + 1) % 3 == 0"
    );
    assert_eq!(m.indices, vec![3, 1]);
    assert_eq!(m.trace.dims(), [2, 2, 2]);
}

#[test]
fn csv_and_plots_are_written() {
    let Some(&backend) = crate::backends().first() else {
        return;
    };
    let c = ctx(backend, PRECISION);
    let mut net = Network::new(&c, Mode::NonBatching).unwrap();
    let cfg = LifConfig {
        v_th: 1.0.into(),
        ..Default::default()
    };
    net.add(Lif::named(5, cfg, Some("lif"), &c, Mode::NonBatching).unwrap())
        .unwrap();
    let mon = Runner::new(&mut net, 0.5)
        .unwrap()
        .input("lif", InputValue::PerNeuron(vec![0.0, 0.5, 1.0, 2.0, 4.0]))
        .unwrap()
        .monitor("lif.V")
        .unwrap()
        .monitor("lif.spike")
        .unwrap()
        .run(20.0)
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "brainburn-runner-{}-{}",
        std::process::id(),
        PRECISION
    ));
    std::fs::create_dir_all(&dir).unwrap();
    mon.write_csv("lif.V", dir.join("v.csv")).unwrap();
    let text = std::fs::read_to_string(dir.join("v.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "step,t_ms,0,1,2,3,4");
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&first[..2], &["0", "0"]);
    assert_eq!(text.lines().count(), 41);
    let spikes = mon.spike_events("lif.spike").unwrap();
    assert!(
        spikes.iter().all(|e| e.2 >= 3),
        "only strongly driven neurons fire: {spikes:?}"
    );
    assert!(!spikes.is_empty());
    mon.plot_raster(&["lif.spike"], "raster", dir.join("r.png"))
        .unwrap();
    mon.plot_trace("lif.V", 5, dir.join("v.png")).unwrap();
    for f in ["r.png", "v.png"] {
        let bytes = std::fs::read(dir.join(f)).unwrap();
        assert_eq!(&bytes[1..4], b"PNG", "{f} is a PNG");
        assert!(bytes.len() > 2000, "{f} has content");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Classic HH integrated with `euler` at dt = 0.1 and a 500 µA/cm² input blows up within a few
/// steps. With `check_finite` the run stops with `NonFinite` naming the group, a state, a
/// neuron and the step, on the fused path (every step: the exact first step, the same step in
/// the network's step index) and on the composed path (every 64 steps: the step of that check);
/// without the check the run completes and the recorded V holds the NaN.
#[test]
fn check_finite_stops_at_the_first_non_finite_state_on_both_paths() {
    fn net(c: &Ctx) -> Network {
        let mut net = Network::new(c, Mode::NonBatching).unwrap();
        let cfg = HhConfig {
            method: Method::Euler,
            v_initializer: Initializer::constant(-65.0),
            ..Default::default()
        };
        net.add(Hh::named(3, cfg, Some("hh"), c, Mode::NonBatching).unwrap())
            .unwrap();
        net
    }
    let input = InputValue::PerNeuron(vec![0.0, 500.0, 0.0]);
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        // Unchecked: the first non-finite V of neuron 1, step by step.
        let mut a = net(&c);
        let mon = Runner::new(&mut a, 0.1)
            .unwrap()
            .input("hh", input.clone())
            .unwrap()
            .monitor("hh.V")
            .unwrap()
            .run_steps(200)
            .unwrap();
        let v = mon.get("hh.V").unwrap().trace.to_host().unwrap();
        let first_bad = (0..200)
            .find(|&k| (0..3).any(|j| !v[k * 3 + j].is_finite()))
            .expect("the unchecked run goes non-finite");
        assert!(
            (0..3).all(|j| j == 1 || v[first_bad * 3 + j].is_finite()),
            "only the driven neuron blows up"
        );
        for fused in [true, false] {
            let mut b = net(&c);
            let err = Runner::new(&mut b, 0.1)
                .unwrap()
                .input("hh", input.clone())
                .unwrap()
                .monitor("hh.V")
                .unwrap()
                .fused(fused)
                .check_finite(true)
                .run_steps(200)
                .unwrap_err();
            let Error::NonFinite(nf) = &err else {
                panic!("{backend} fused={fused}: not NonFinite: {err}");
            };
            let brainburn::error::NonFiniteState {
                member,
                state,
                index,
                row,
                step,
                t_ms,
                ..
            } = nf.as_ref();
            assert_eq!(member, "hh", "{err}");
            assert!(["V", "m", "h", "n"].contains(&state.as_str()), "{err}");
            assert_eq!(*index, 1, "{err}");
            assert_eq!(*row, None, "{err}");
            // The fused engine checks every step; it runs only on the CPU backends (on wgpu a
            // `fused(true)` run takes the composed path, checked every 64 steps).
            let exact = fused && c.backend.is_cpu();
            let want = if exact {
                // A gate can go non-finite one step before V does.
                assert!(
                    *step == first_bad as u64 || *step + 1 == first_bad as u64,
                    "{backend}: step {step}, V first non-finite at {first_bad}: {err}"
                );
                *step
            } else {
                assert_eq!(*step, 63, "{backend} composed: the first check: {err}");
                63
            };
            assert!((t_ms - want as f64 * 0.1).abs() < 1e-9, "{err}");
            assert_eq!(b.step_index(), want + 1, "{backend} fused={fused}");
            let msg = err.to_string();
            assert!(msg.contains("euler") && msg.contains("hh"), "{msg}");
            if !exact {
                assert!(msg.contains("every 64 steps"), "{msg}");
            }
        }
        // A run that stays finite (euler is stable at dt = 0.01) is unaffected by the check.
        let mut d = net(&c);
        let mon = Runner::new(&mut d, 0.01)
            .unwrap()
            .input("hh", InputValue::Constant(5.0))
            .unwrap()
            .monitor("hh.V")
            .unwrap()
            .check_finite(true)
            .run_steps(100)
            .unwrap();
        assert_eq!(mon.get("hh.V").unwrap().steps.len(), 100);
    }
}

/// Spikes recorded as events are the spikes of a dense spike monitor, on both paths, and the
/// events list keeps only spikes.
#[test]
fn spike_events_match_a_dense_spike_monitor_on_both_paths() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for fused in [true, false] {
            let mut net = Network::new(&c, Mode::NonBatching).unwrap();
            let cfg = LifConfig::default();
            net.add(Lif::named(5, cfg, Some("E"), &c, Mode::NonBatching).unwrap())
                .unwrap();
            // 110 ms: enough spikes on every backend (300 steps on wgpu gave fewer than 10).
            let steps = 1100;
            let mon = Runner::new(&mut net, 0.1)
                .unwrap()
                .input(
                    "E",
                    InputValue::PerNeuron(vec![0.0, 20.0, 25.0, 30.0, 40.0]),
                )
                .unwrap()
                .monitor("E.spike")
                .unwrap()
                .record_events("E.spike")
                .unwrap()
                .fused(fused)
                .run_steps(steps)
                .unwrap();
            let dense = mon.get("E.spike").unwrap();
            let v = dense.trace.to_host().unwrap();
            let mut want = Vec::new();
            for (s, &step) in dense.steps.iter().enumerate() {
                for j in 0..5 {
                    if v[s * 5 + j] > 0.0 {
                        want.push((step, 0usize, j));
                    }
                }
            }
            let e = mon.events("E.spike").unwrap();
            let got: Vec<(u64, usize, usize)> = e
                .events
                .iter()
                .map(|e| (e.step, e.row as usize, e.index as usize))
                .collect();
            assert!(want.len() > 10, "{backend}: the input makes spikes");
            assert_eq!(got, want, "{backend} fused={fused}");
            assert_eq!((e.num, e.rows, e.steps.clone()), (5, 1, 0..steps));
            assert!(
                Runner::new(&mut net, 0.1)
                    .unwrap()
                    .record_events("E.V")
                    .is_err()
            );
        }
    }
}
