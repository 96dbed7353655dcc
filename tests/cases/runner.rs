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
        let mut net = Network::new(&c, Mode::NonBatching).unwrap();
        let g = LeakyIntegrator::named(
            3,
            LeakyIntegratorConfig::default(),
            Some("li"),
            &c,
            Mode::NonBatching,
        )
        .unwrap();
        net.add(g).unwrap();
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
