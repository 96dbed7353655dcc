//! Training (issue 5): `train_vars`, Burn `Module` integration (optimizers, `derive(Module)`
//! embedding, `valid`/`train`), exactness of one Adam / SGD step, gradient clipping, truncated
//! BPTT, and the spiking losses against hand derivations.

use crate::PRECISION;
use crate::common::*;
use brainburn::burn::module::{Module, Param};
use brainburn::burn::nn::{Linear, LinearConfig};
use brainburn::burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use brainburn::burn::tensor::Tensor;
use brainburn::param::NParam;
use brainburn::prelude::*;
use brainburn::state_dict::{StateDict, StateDictExt};
use brainburn::tensor_io::to_f64_vec;
use brainburn::train::*;

const DT: f64 = 1.0;

fn lif_cfg() -> LifConfig {
    LifConfig {
        v_rest: vec![0.0, 0.1, 0.2, 0.3].into(),
        v_reset: 0.0.into(),
        v_th: trainable(1.0),
        tau: trainable(vec![8.0, 9.0, 10.0, 11.0]),
        surrogate: Surrogate::Sigmoid { alpha: 4.0 },
        ..Default::default()
    }
}

fn out_cfg() -> LeakyIntegratorConfig {
    LeakyIntegratorConfig {
        tau: trainable(5.0),
        r: vec![1.0, 0.5].into(),
        ..Default::default()
    }
}

/// In: 3 inputs → LIF "hid" (4) → LeakyIntegrator "out" (2), weights fixed host tensors.
fn small_net(c: &Ctx, batch: usize) -> Network {
    let mode = Mode::Training { batch_size: batch };
    let mut net = Network::new(c, mode).unwrap();
    net.add(Lif::named(4, lif_cfg(), Some("hid"), c, mode).unwrap())
        .unwrap();
    net.add(LeakyIntegrator::named(2, out_cfg(), Some("out"), c, mode).unwrap())
        .unwrap();
    net
}

fn w_in(c: &Ctx) -> Tensor<2> {
    c.tensor(
        vec![
            0.9, 0.2, 0.5, 1.1, //
            0.3, 0.8, 0.4, 0.2, //
            0.6, 0.1, 0.9, 0.7,
        ],
        [3, 4],
    )
}

fn w_out(c: &Ctx) -> Tensor<2> {
    c.tensor(vec![1.0, -0.5, 0.3, 0.8, -0.2, 1.2, 0.7, -0.9], [4, 2])
}

fn x_at(c: &Ctx, batch: usize, k: usize) -> Tensor<2> {
    let v: Vec<f64> = (0..batch * 3)
        .map(|i| 0.8 + 0.6 * ((i as f64) * 0.7 + k as f64 * 0.37).sin())
        .collect();
    c.tensor(v, [batch, 3])
}

/// Runs `steps` network steps; returns the per-step readout V and hidden spikes.
fn run(
    net: &mut Network,
    c: &Ctx,
    batch: usize,
    steps: std::ops::Range<usize>,
) -> (Vec<Tensor<2>>, Vec<Tensor<2>>) {
    let (mut v, mut s) = (Vec::new(), Vec::new());
    for k in steps {
        net.add_input("hid", x_at(c, batch, k).matmul(w_in(c)))
            .unwrap();
        // The readout sees the hidden spikes of the previous step (as a synapse would).
        let spk = net
            .group("hid")
            .unwrap()
            .spike()
            .unwrap()
            .to_float(c.dtype());
        net.add_input("out", spk.matmul(w_out(c))).unwrap();
        net.step(DT).unwrap();
        v.push(net.group("out").unwrap().v().unwrap());
        s.push(
            net.group("hid")
                .unwrap()
                .spike()
                .unwrap()
                .to_float(c.dtype()),
        );
    }
    (v, s)
}

fn loss_of(v: &[Tensor<2>], s: &[Tensor<2>], batch: usize) -> Tensor<1> {
    let targets: Vec<usize> = (0..batch).map(|b| b % 2).collect();
    membrane_cross_entropy(v, &targets, Readout::Mean).unwrap()
        + firing_rate_regularizer(s, 0.2).unwrap()
}

fn keys(vars: &[(String, Param<Tensor<2>>)]) -> Vec<String> {
    vars.iter().map(|(k, _)| k.clone()).collect()
}

#[test]
fn train_vars_are_the_trainable_tensors_by_key() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let want = vec!["hid.V_th", "hid.tau", "out.tau"];
        // Autodiff device, Training mode.
        let net = small_net(&c.autodiff(), 2);
        assert_eq!(keys(&net.train_vars()), want, "{backend}");
        // A plain device: the same parameters are configured trainable (BrainPy lists its
        // TrainVars in every mode).
        let mut plain = Network::new(&c, Mode::NonBatching).unwrap();
        plain
            .add(Lif::named(4, lif_cfg(), Some("hid"), &c, Mode::NonBatching).unwrap())
            .unwrap();
        plain
            .add(LeakyIntegrator::named(2, out_cfg(), Some("out"), &c, Mode::NonBatching).unwrap())
            .unwrap();
        assert_eq!(keys(&plain.train_vars()), want, "{backend} plain");
        // A group on its own: keys `name.param`, untrainable tensors (V_rest) left out.
        let g = plain.group("hid").unwrap();
        assert_eq!(keys(&g.train_vars()), vec!["hid.V_th", "hid.tau"]);
        // Burn sees every tensor parameter (frozen ones too), under the same paths.
        let sd = StateDict::from_module(&plain).unwrap();
        assert_eq!(
            sd.keys(),
            vec!["hid.V_rest", "hid.V_th", "hid.tau", "out.R", "out.tau"],
            "{backend}: module paths"
        );
        assert_eq!(plain.num_params(), 4 + 1 + 4 + 1 + 2);
    }
}

#[test]
fn one_adam_step_changes_exactly_the_train_vars() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let batch = 3;
        let mut net = small_net(&c, batch);
        let (v, s) = run(&mut net, &c, batch, 0..8);
        let loss = loss_of(&v, &s, batch);
        let vars = net.train_vars();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        // Only the train vars receive gradients.
        assert_eq!(
            grads.len(),
            vars.len(),
            "{backend}: gradients for {} params",
            grads.len()
        );
        for (k, p) in &vars {
            let g = grads
                .get::<2>(p.id)
                .unwrap_or_else(|| panic!("{backend}: no gradient for {k}"));
            let g = to_f64_vec(g).unwrap();
            assert!(
                g.iter().all(|x| x.is_finite()) && g.iter().any(|x| *x != 0.0),
                "{backend}: {k} gradient {g:?}"
            );
        }
        let before = net.state_dict().unwrap();
        let ids: Vec<_> = vars.iter().map(|(_, p)| p.id).collect();
        let mut adam = AdamConfig::new().init();
        let net = adam.step(1e-2, net, grads);
        let after = net.state_dict().unwrap();
        // Every parameter and state compared bitwise: exactly the train vars changed.
        assert_eq!(
            before.diff_keys(&after),
            keys(&vars),
            "{backend}: changed entries"
        );
        // Identity and trainability survive the step.
        let again = net.train_vars();
        assert_eq!(keys(&again), keys(&vars));
        assert_eq!(again.iter().map(|(_, p)| p.id).collect::<Vec<_>>(), ids);
        assert!(again.iter().all(|(_, p)| p.val().is_require_grad()));
        println!(
            "adam step on {backend} {PRECISION}: changed {:?}",
            keys(&vars)
        );
    }
}

/// Plain SGD is `p − lr·g` per element: recomputed on the host in the model's precision it
/// must agree bit for bit (the same two IEEE operations), and nothing else may change.
#[test]
fn one_sgd_step_is_p_minus_lr_times_grad() {
    let lr = 0.05;
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let batch = 2;
        let mut net = small_net(&c, batch);
        let (v, s) = run(&mut net, &c, batch, 0..6);
        let loss = loss_of(&v, &s, batch);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let vars = net.train_vars();
        let mut want = Vec::new();
        for (_, p) in &vars {
            let g = to_f64_vec(grads.get::<2>(p.id).unwrap()).unwrap();
            let old = to_f64_vec(p.val()).unwrap();
            want.push(
                old.iter()
                    .zip(&g)
                    .map(|(p, g)| match PRECISION {
                        Precision::F64 => p - g * lr,
                        Precision::F32 => f64::from(*p as f32 - (*g as f32) * (lr as f32)),
                    })
                    .collect::<Vec<f64>>(),
            );
        }
        let before = net.state_dict().unwrap();
        let net = SgdConfig::new().init().step(lr, net, grads);
        for ((k, p), w) in net.train_vars().iter().zip(&want) {
            assert_eq!(&to_f64_vec(p.val()).unwrap(), w, "{backend}: {k} after SGD");
        }
        assert_eq!(before.diff_keys(&net.state_dict().unwrap()), keys(&vars));
    }
}

#[test]
fn gradient_clipping_by_global_norm_and_by_value() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let batch = 2;
        let grads_of = |net: &mut Network| {
            let (v, s) = run(net, &c, batch, 0..6);
            GradientsParams::from_grads(loss_of(&v, &s, batch).backward(), &*net)
        };
        let mut net = small_net(&c, batch);
        let mut grads = grads_of(&mut net);
        let vars = net.train_vars();
        let raw: Vec<Vec<f64>> = vars
            .iter()
            .map(|(_, p)| to_f64_vec(grads.get::<2>(p.id).unwrap()).unwrap())
            .collect();
        let norm = raw.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
        // float64: the norm is the same sum in another order (1e-12 relative); float32: the
        // device sums squares in float32 (1e-5 relative).
        let rel = tol(PRECISION, 1e-12, 1e-5);
        let got = grad_norm(&mut grads, &net).unwrap();
        assert!(
            (got - norm).abs() <= rel * norm,
            "{backend}: norm {got} vs {norm}"
        );
        // Clip to a quarter of the norm: every gradient scaled by the same factor.
        let max = norm / 4.0;
        let before = clip_grad_norm(&mut grads, &net, max).unwrap();
        assert!((before - norm).abs() <= rel * norm);
        let clipped: Vec<Vec<f64>> = vars
            .iter()
            .map(|(_, p)| to_f64_vec(grads.get::<2>(p.id).unwrap()).unwrap())
            .collect();
        let coef = max / before;
        for (r, g) in raw.iter().zip(&clipped) {
            let want: Vec<f64> = r.iter().map(|x| x * coef).collect();
            let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert_close(
                &format!("{backend} clipped"),
                g,
                &want,
                rel * scale.max(1e-30),
            );
        }
        let after = grad_norm(&mut grads, &net).unwrap();
        assert!(
            (after - max).abs() <= rel * max * 4.0,
            "{backend}: clipped norm {after} vs {max}"
        );
        // A norm below the limit is left alone (bit for bit).
        let untouched: Vec<Vec<f64>> = clipped.clone();
        clip_grad_norm(&mut grads, &net, 10.0 * max).unwrap();
        for ((_, p), u) in vars.iter().zip(&untouched) {
            assert_eq!(&to_f64_vec(grads.get::<2>(p.id).unwrap()).unwrap(), u);
        }
        // By value: every element clamped to [−v, v].
        let mut net2 = small_net(&c, batch);
        let mut grads2 = grads_of(&mut net2);
        let raw2: Vec<f64> = net2
            .train_vars()
            .iter()
            .flat_map(|(_, p)| to_f64_vec(grads2.get::<2>(p.id).unwrap()).unwrap())
            .collect();
        let v = raw2.iter().fold(0.0f64, |m, x| m.max(x.abs())) / 3.0;
        clip_grad_value(&mut grads2, &net2, v).unwrap();
        let got2: Vec<f64> = net2
            .train_vars()
            .iter()
            .flat_map(|(_, p)| to_f64_vec(grads2.get::<2>(p.id).unwrap()).unwrap())
            .collect();
        for (g, r) in got2.iter().zip(&raw2) {
            let want = match PRECISION {
                Precision::F64 => r.clamp(-v, v),
                Precision::F32 => f64::from((*r as f32).clamp(-(v as f32), v as f32)),
            };
            assert_eq!(*g, want, "{backend}: clamp");
        }
        assert!(clip_grad_norm(&mut grads2, &net2, 0.0).is_err());
        assert!(clip_grad_value(&mut grads2, &net2, -1.0).is_err());
        // The trainer reports the pre-clipping norm and steps with the clipped gradients.
        let mut net3 = small_net(&c, batch);
        let (v3, s3) = run(&mut net3, &c, batch, 0..6);
        let mut trainer = Trainer::sgd(0.1).with_clip(Clip::GlobalNorm(max));
        let (_, stats) = trainer.step(net3, &loss_of(&v3, &s3, batch)).unwrap();
        assert!(
            (stats.grad_norm - norm).abs() <= rel * norm,
            "{backend}: trainer norm"
        );
    }
}

/// After `detach_states` between windows, the second window's gradient stops at the window
/// boundary: nothing reaches the first window's input, and the parameter gradient equals that
/// of a network restarted from the boundary state (loaded from its state dict). Without
/// detaching, the first window's input does get a gradient (so the check can fail).
#[test]
fn truncated_bptt_detaches_between_windows() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let batch = 2;
        for detach in [false, true] {
            let mut net = small_net(&c, batch);
            let x1 = c.tensor(vec![0.7; batch * 4], [batch, 4]).require_grad();
            net.add_input("hid", x1.clone()).unwrap();
            run(&mut net, &c, batch, 0..4);
            if detach {
                net.detach_states();
            }
            let boundary = net.state_dict().unwrap();
            let (v, s) = run(&mut net, &c, batch, 4..8);
            let grads = loss_of(&v, &s, batch).backward();
            let gx = x1.grad(&grads).map(|g| to_f64_vec(g).unwrap());
            let reached = gx.as_ref().is_some_and(|g| g.iter().any(|x| *x != 0.0));
            assert_eq!(
                reached, !detach,
                "{backend}: detach = {detach}, grad of x1 = {gx:?}"
            );
            if detach {
                let tau = |n: &Network| match n.group("hid").unwrap().params().get("tau") {
                    NParam::Tensor(p) => p.val(),
                    NParam::Const(_) => unreachable!(),
                };
                let g_trunc = to_f64_vec(tau(&net).grad(&grads).unwrap()).unwrap();
                let mut fresh = small_net(&c, batch);
                fresh.load_state_dict(&boundary).unwrap();
                let (v2, s2) = run(&mut fresh, &c, batch, 4..8);
                let grads2 = loss_of(&v2, &s2, batch).backward();
                let g_fresh = to_f64_vec(tau(&fresh).grad(&grads2).unwrap()).unwrap();
                assert_eq!(g_trunc, g_fresh, "{backend}: truncated gradient vs restart");
            }
        }
        // The helper: 3 windows of 4 steps (the last one shorter), Adam, states detached after.
        let mut trainer = Trainer::adam(1e-2);
        let net = small_net(&c, batch);
        let tau_before = to_f64_vec(net.train_vars()[1].1.val()).unwrap();
        let (net, stats) = truncated_bptt(
            &mut trainer,
            net,
            10,
            4,
            |net: &mut Network, k| {
                let (v, _) = run(net, &c, batch, k..k + 1);
                Ok(v[0].clone())
            },
            |v, _| membrane_cross_entropy(v, &[0, 1], Readout::Mean),
        )
        .unwrap();
        assert_eq!(stats.len(), 3);
        assert!(
            stats
                .iter()
                .all(|s| s.loss.is_finite() && s.grad_norm > 0.0)
        );
        assert_ne!(to_f64_vec(net.train_vars()[1].1.val()).unwrap(), tau_before);
        let v = net.group("hid").unwrap().v().unwrap();
        assert!(
            !v.is_tracked(),
            "{backend}: states are detached after the last window"
        );
        assert_eq!(net.step_index(), 10);
    }
}

/// Cross-entropy, spike-count CE, membrane CE (last / mean / max), rate MSE and the firing-rate
/// regulariser: values and gradients against the formulas written out on the host in f64.
/// Tolerances: 1e-12 in float64 (a few roundings of O(1) numbers); 2e-6 in float32 (the
/// same in float32 arithmetic, values and gradients of order 1).
#[test]
fn losses_match_hand_derivations() {
    let t = tol(PRECISION, 1e-12, 2e-6);
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let (b, n) = (2, 3);
        let targets = [1usize, 2];
        // softmax CE by hand: value and (softmax − onehot)/B.
        let ce = |logits: &[f64]| -> (f64, Vec<f64>) {
            let mut loss = 0.0;
            let mut grad = vec![0.0; b * n];
            for r in 0..b {
                let row = &logits[r * n..(r + 1) * n];
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = row.iter().map(|x| (x - m).exp()).sum();
                loss += m + z.ln() - row[targets[r]];
                for k in 0..n {
                    let p = (row[k] - m).exp() / z;
                    grad[r * n + k] = (p - f64::from(u8::from(k == targets[r]))) / b as f64;
                }
            }
            (loss / b as f64, grad)
        };
        // Plain cross-entropy.
        let lv = vec![1.0, 2.0, 0.5, -1.0, 0.0, 3.0];
        let logits = c.tensor(lv.clone(), [b, n]).require_grad();
        let loss = cross_entropy(logits.clone(), &targets).unwrap();
        let grads = loss.backward();
        let (want, want_g) = ce(&lv);
        assert_close(
            &format!("{backend} CE"),
            &to_f64_vec(loss).unwrap(),
            &[want],
            t,
        );
        assert_close(
            &format!("{backend} dCE"),
            &to_f64_vec(logits.grad(&grads).unwrap()).unwrap(),
            &want_g,
            t,
        );

        // Per-step outputs, T = 3 (distinct values so that the max is unique).
        let steps: Vec<Vec<f64>> = vec![
            vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0],
            vec![0.0, 1.0, 1.0, 1.0, 0.0, 1.0],
            vec![1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        ];
        let tt = steps.len();
        let mk = |vals: &[Vec<f64>]| -> Vec<Tensor<2>> {
            vals.iter()
                .map(|v| c.tensor(v.clone(), [b, n]).require_grad())
                .collect()
        };
        // Spike counts as logits: every step gets the CE gradient of the counts.
        let s = mk(&steps);
        let counts: Vec<f64> = (0..b * n)
            .map(|i| steps.iter().map(|v| v[i]).sum())
            .collect();
        let loss = spike_count_cross_entropy(&s, &targets).unwrap();
        let grads = loss.backward();
        let (want, want_g) = ce(&counts);
        assert_close(
            &format!("{backend} count CE"),
            &to_f64_vec(loss).unwrap(),
            &[want],
            t,
        );
        for x in &s {
            assert_close(
                &format!("{backend} d count CE"),
                &to_f64_vec(x.grad(&grads).unwrap()).unwrap(),
                &want_g,
                t,
            );
        }
        // Membrane readouts.
        let vm: Vec<Vec<f64>> = vec![
            vec![0.1, 0.5, -0.2, 0.3, 0.9, 0.05],
            vec![0.4, 0.2, 0.6, -0.1, 0.7, 0.35],
            vec![0.3, 0.8, 0.1, 0.2, 0.75, 0.15],
        ];
        for readout in [Readout::Last, Readout::Mean, Readout::Max] {
            let v = mk(&vm);
            let loss = membrane_cross_entropy(&v, &targets, readout).unwrap();
            let grads = loss.backward();
            let (logit, from): (Vec<f64>, Vec<Vec<f64>>) = match readout {
                Readout::Last => (
                    vm[tt - 1].clone(),
                    (0..tt)
                        .map(|k| vec![f64::from(u8::from(k == tt - 1)); b * n])
                        .collect(),
                ),
                Readout::Mean => (
                    (0..b * n)
                        .map(|i| vm.iter().map(|v| v[i]).sum::<f64>() / tt as f64)
                        .collect(),
                    vec![vec![1.0 / tt as f64; b * n]; tt],
                ),
                Readout::Max => {
                    let arg: Vec<usize> = (0..b * n)
                        .map(|i| {
                            (0..tt)
                                .max_by(|&p, &q| vm[p][i].total_cmp(&vm[q][i]))
                                .unwrap()
                        })
                        .collect();
                    (
                        (0..b * n).map(|i| vm[arg[i]][i]).collect(),
                        (0..tt)
                            .map(|k| {
                                (0..b * n)
                                    .map(|i| f64::from(u8::from(arg[i] == k)))
                                    .collect()
                            })
                            .collect(),
                    )
                }
            };
            let (want, want_g) = ce(&logit);
            assert_close(
                &format!("{backend} {readout:?} CE"),
                &to_f64_vec(loss).unwrap(),
                &[want],
                t,
            );
            for (k, x) in v.iter().enumerate() {
                let w: Vec<f64> = want_g.iter().zip(&from[k]).map(|(g, f)| g * f).collect();
                let got = x
                    .grad(&grads)
                    .map(|g| to_f64_vec(g).unwrap())
                    .unwrap_or(vec![0.0; b * n]);
                assert_close(&format!("{backend} {readout:?} dV step {k}"), &got, &w, t);
            }
        }
        // Rate MSE: r = mean over steps; (1/(B·N)) Σ (r − r*)², ∂/∂s_t = 2(r − r*)/(B·N·T).
        let target = vec![0.5, 0.2, 0.9, 0.1, 0.3, 0.6];
        let s = mk(&steps);
        let loss = rate_mse(&s, c.tensor(target.clone(), [b, n])).unwrap();
        let grads = loss.backward();
        let r: Vec<f64> = (0..b * n)
            .map(|i| steps.iter().map(|v| v[i]).sum::<f64>() / tt as f64)
            .collect();
        let want: f64 = r
            .iter()
            .zip(&target)
            .map(|(r, q)| (r - q) * (r - q))
            .sum::<f64>()
            / (b * n) as f64;
        let want_g: Vec<f64> = r
            .iter()
            .zip(&target)
            .map(|(r, q)| 2.0 * (r - q) / (b * n * tt) as f64)
            .collect();
        assert_close(
            &format!("{backend} rate MSE"),
            &to_f64_vec(loss).unwrap(),
            &[want],
            t,
        );
        for x in &s {
            assert_close(
                &format!("{backend} d rate MSE"),
                &to_f64_vec(x.grad(&grads).unwrap()).unwrap(),
                &want_g,
                t,
            );
        }
        // Firing-rate regulariser: r_n = Σ_t Σ_b s/(B·T); (1/N) Σ_n (r_n − θ)²,
        // ∂/∂s_{t,b,n} = 2(r_n − θ)/(N·B·T).
        let theta = 0.25;
        let s = mk(&steps);
        let loss = firing_rate_regularizer(&s, theta).unwrap();
        let grads = loss.backward();
        let rn: Vec<f64> = (0..n)
            .map(|j| {
                steps
                    .iter()
                    .map(|v| (0..b).map(|r| v[r * n + j]).sum::<f64>())
                    .sum::<f64>()
                    / (b * tt) as f64
            })
            .collect();
        let want: f64 = rn.iter().map(|r| (r - theta) * (r - theta)).sum::<f64>() / n as f64;
        let want_g: Vec<f64> = (0..b * n)
            .map(|i| 2.0 * (rn[i % n] - theta) / (n * b * tt) as f64)
            .collect();
        assert_close(
            &format!("{backend} rate reg"),
            &to_f64_vec(loss).unwrap(),
            &[want],
            t,
        );
        for x in &s {
            assert_close(
                &format!("{backend} d rate reg"),
                &to_f64_vec(x.grad(&grads).unwrap()).unwrap(),
                &want_g,
                t,
            );
        }
        // Bad targets are errors naming the argument.
        let e = cross_entropy(c.tensor(lv.clone(), [b, n]), &[0, 3]).unwrap_err();
        assert!(e.to_string().contains("targets"), "{e}");
        let e = cross_entropy(c.tensor(lv.clone(), [b, n]), &[0]).unwrap_err();
        assert!(e.to_string().contains("targets"), "{e}");
        assert!(sum_over_time(&[]).is_err());
    }
}

#[derive(Module, Debug)]
struct Mixed {
    fc: Linear,
    lif: Lif,
}

/// A brainburn group is a field of a user's `#[derive(Module)]` struct next to a Burn layer:
/// Burn's gradients, optimizer, parameter count, `valid`/`train` and device moves all see it.
#[test]
fn groups_embed_in_derived_burn_modules() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let batch = 2;
        let mode = Mode::Training { batch_size: batch };
        let lif = LifConfig {
            v_th: 0.5.into(),
            v_reset: 0.0.into(),
            tau: trainable(vec![5.0, 6.0, 7.0]),
            surrogate: Surrogate::Sigmoid { alpha: 4.0 },
            ..Default::default()
        };
        c.device.seed(7);
        let mut m = Mixed {
            fc: LinearConfig::new(4, 3).init(&c.device),
            lif: Lif::named(3, lif, Some("lif"), &c, mode).unwrap(),
        };
        assert_eq!(m.num_params(), 4 * 3 + 3 + 3);
        let paths = StateDict::from_module(&m).unwrap();
        assert_eq!(paths.keys(), vec!["fc.weight", "fc.bias", "lif.tau"]);
        let x = c.tensor((0..8).map(|i| 0.2 + 0.1 * i as f64).collect(), [batch, 4]);
        let mut out = Vec::new();
        for k in 0..5 {
            let i = m.fc.forward(x.clone());
            m.lif.step_with(&StepTime::new(k, DT), Some(i)).unwrap();
            out.push(m.lif.v().unwrap());
        }
        let loss = membrane_cross_entropy(&out, &[0, 2], Readout::Mean).unwrap();
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        assert_eq!(
            grads.len(),
            3,
            "{backend}: weight, bias and tau get gradients"
        );
        let tau_before = m
            .lif
            .state_dict()
            .unwrap()
            .get("lif.tau")
            .unwrap()
            .data
            .clone();
        let m = AdamConfig::new().init().step(1e-2, m, grads);
        let tau_after = m
            .lif
            .state_dict()
            .unwrap()
            .get("lif.tau")
            .unwrap()
            .data
            .clone();
        assert_ne!(
            tau_before.as_bytes(),
            tau_after.as_bytes(),
            "{backend}: tau trained"
        );
        // valid(): everything off autodiff, states included; train() restores trainability.
        let v = m.valid();
        assert!(!v.lif.ctx().is_autodiff());
        assert!(!v.lif.v().unwrap().is_autodiff());
        assert!(
            v.lif
                .train_vars()
                .iter()
                .all(|(_, p)| !p.val().is_require_grad())
        );
        assert_eq!(
            keys(&v.lif.train_vars()),
            vec!["lif.tau"],
            "configured trainability kept"
        );
        let t = v.train();
        assert!(t.lif.ctx().is_autodiff());
        assert!(
            t.lif
                .train_vars()
                .iter()
                .all(|(_, p)| p.val().is_require_grad())
        );
        assert_eq!(t.devices().len(), 1);
    }
}

/// Synaptic weights are train vars under BrainPy keys (`gaba.g_max`); one Adam step through a
/// delayed GABAa synapse in Training mode changes exactly the train vars.
#[test]
fn synapse_weights_train_through_delays() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let batch = 2;
        let mode = Mode::Training { batch_size: batch };
        let mut net = Network::new(&c, mode).unwrap();
        let pre = Lif::named(4, lif_cfg(), Some("pre"), &c, mode).unwrap();
        let post = LeakyIntegrator::named(2, out_cfg(), Some("post"), &c, mode).unwrap();
        let mut cfg = GabaaConfig::new(Connector::All2All { include_self: true });
        cfg.g_max = trainable(vec![0.3, 0.1, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8]);
        cfg.delay_step = Some(DelayStep::Steps(2));
        let syn = Gabaa::named(&pre, &post, cfg, Some("gaba")).unwrap();
        net.add(pre).unwrap();
        net.add(post).unwrap();
        net.connect(syn).unwrap();
        let mut v = Vec::new();
        for k in 0..8 {
            net.add_input("pre", x_at(&c, batch, k).matmul(w_in(&c)).mul_scalar(20.0))
                .unwrap();
            net.step(DT).unwrap();
            v.push(net.group("post").unwrap().v().unwrap());
        }
        let loss = membrane_cross_entropy(&v, &[0, 1], Readout::Mean).unwrap();
        let vars = net.train_vars();
        assert!(
            keys(&vars).contains(&"gaba.g_max".to_string()),
            "{:?}",
            keys(&vars)
        );
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        let g = to_f64_vec(
            grads
                .get::<2>(vars.iter().find(|(k, _)| k == "gaba.g_max").unwrap().1.id)
                .unwrap(),
        )
        .unwrap();
        assert!(
            g.iter().any(|x| *x != 0.0),
            "{backend}: g_max gradient {g:?}"
        );
        let before = net.state_dict().unwrap();
        let net = AdamConfig::new().init().step(1e-2, net, grads);
        // Every parameter and state compared bitwise: exactly the train vars changed.
        assert_eq!(
            before.diff_keys(&net.state_dict().unwrap()),
            keys(&vars),
            "{backend}: changed entries"
        );
    }
}
