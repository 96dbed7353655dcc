//! Oracle parity of the foundation: `exp_auto` and the RK family (case h), LeakyIntegrator
//! (case a), LIF BPTT in Training mode (case g), and all surrogate gradients (case f).
//! Each runs on every compiled CPU backend, in the precision of the including binary.

use crate::PRECISION;
use crate::common::*;
use brainburn::burn::tensor::Tensor;
use brainburn::integrate::{Method, OdeSystem, integrate};
use brainburn::math::{Real, TVal};
use brainburn::prelude::*;
use brainburn::tensor_io::to_f64_vec;

// ---------------------------------------------------------------------------------------------
// (h) integrators

/// dx/dt = −x³ + sin(t) + a
struct Cubic {
    a: f64,
}

impl OdeSystem<TVal> for Cubic {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Real + From<TVal>>(&self, _i: usize, x: &[T], t: f64) -> T {
        -(x[0].clone().powi(3)) + T::from(TVal::S(t.sin() + self.a))
    }
}

/// dx/dt = −x³ + y ; dy/dt = x − 0.5·y² − exp(−y)
struct Joint;

impl OdeSystem<TVal> for Joint {
    fn n_vars(&self) -> usize {
        2
    }
    fn derivative<T: Real + From<TVal>>(&self, i: usize, x: &[T], _t: f64) -> T {
        let (a, b) = (x[0].clone(), x[1].clone());
        match i {
            0 => -(a.powi(3)) + b,
            _ => a - b.clone() * b.clone() * 0.5 - (-b).exp(),
        }
    }
}

/// dx/dt = cos(t): A = 0 exactly.
struct Cosine;

impl OdeSystem<TVal> for Cosine {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Real + From<TVal>>(&self, _i: usize, x: &[T], t: f64) -> T {
        x[0].clone() * 0.0 + T::from(TVal::S(t.cos()))
    }
}

fn scalar(ctx: &Ctx, v: f64) -> TVal {
    TVal::T(ctx.tensor(vec![v], [1, 1]))
}

fn value(v: TVal) -> f64 {
    match v {
        TVal::T(t) => to_f64_vec(t).unwrap()[0],
        TVal::S(s) => s,
    }
}

/// float64: 1e-12 (the bar; the results are O(1), rounding is ~1e-16). float32: the
/// oracle's f32 file holds BrainPy's float32 results; one step of O(1) values rounds to ~1e-7.
#[test]
fn exp_auto_and_rk_match_brainpy_case_h() {
    let h = oracle_json(&oracle_name(PRECISION, "h_exp_auto.json"));
    let t1 = &h["tests"]["1d"];
    let bar = tol(PRECISION, 1e-12, 1e-6);
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let sys = Cubic { a: num(&t1["a"]) };
        let (x0, t0, dt) = (
            t1["x0"].as_f64().unwrap(),
            t1["t0"].as_f64().unwrap(),
            t1["dt"].as_f64().unwrap(),
        );
        let mut worst = 0.0f64;
        for (name, method) in [
            ("exp_auto", Method::ExpAuto),
            ("euler", Method::Euler),
            ("rk2", Method::Rk2),
            ("heun2", Method::Heun2),
            ("midpoint", Method::Midpoint),
            ("rk4", Method::Rk4),
        ] {
            let want = t1["results"][name].as_f64().unwrap();
            let got = value(integrate(&sys, method, &[scalar(&c, x0)], t0, dt).remove(0));
            let err = (got - want).abs();
            worst = worst.max(err);
            assert!(
                err <= bar,
                "{backend} {name}: {got} vs {want} (err {err:e})"
            );
        }
        let j = &h["tests"]["2d_jointeq"];
        let xs = [
            scalar(&c, j["x0"].as_f64().unwrap()),
            scalar(&c, j["y0"].as_f64().unwrap()),
        ];
        let out = integrate(
            &Joint,
            Method::ExpAuto,
            &xs,
            j["t0"].as_f64().unwrap(),
            j["dt"].as_f64().unwrap(),
        );
        let (x, y) = (value(out[0].clone()), value(out[1].clone()));
        let (wx, wy) = (
            j["brainpy"]["x"].as_f64().unwrap(),
            j["brainpy"]["y"].as_f64().unwrap(),
        );
        assert!(
            (x - wx).abs() <= bar && (y - wy).abs() <= bar,
            "{backend} joint: {x},{y}"
        );
        worst = worst.max((x - wx).abs()).max((y - wy).abs());
        let z = &h["tests"]["zero_linear_part"];
        let got = value(
            integrate(
                &Cosine,
                Method::ExpAuto,
                &[scalar(&c, z["x0"].as_f64().unwrap())],
                z["t0"].as_f64().unwrap(),
                z["dt"].as_f64().unwrap(),
            )
            .remove(0),
        );
        let want = z["brainpy"].as_f64().unwrap();
        assert!((got - want).abs() <= bar, "{backend} A=0: {got} vs {want}");
        worst = worst.max((got - want).abs());
        println!("case h on {backend} {PRECISION}: worst |err| = {worst:e}");
    }
}

// ---------------------------------------------------------------------------------------------
// (a) LeakyIntegrator

fn run_leaky(c: &Ctx, cfg: LeakyIntegratorConfig, inputs: &[Vec<f64>], dt: f64) -> Vec<Vec<f64>> {
    let mut g = LeakyIntegrator::new(3, cfg, c, Mode::NonBatching).unwrap();
    let mut out = Vec::with_capacity(inputs.len());
    for (k, i) in inputs.iter().enumerate() {
        let x = c.tensor(i.clone(), [1, 3]);
        g.step_with(&StepTime::new(k as u64, dt), Some(x)).unwrap();
        out.push(to_f64_vec(g.v().unwrap()).unwrap());
    }
    out
}

/// float64: 1e-9 (the bar). float32: |V| <= 70 has an ulp of ~8e-6; both sides round
/// each of 1000 steps of a contracting linear map, so the traces stay within a few ulp.
#[test]
fn leaky_integrator_matches_brainpy_case_a() {
    let precision = PRECISION;
    let tol = tol(PRECISION, 1e-9, 5e-5);
    let (hdr, rows) = oracle_csv(&oracle_name(PRECISION, "a_leaky_integrator.csv"));
    let inputs: Vec<Vec<f64>> = (0..rows.len())
        .map(|k| {
            (0..3)
                .map(|j| column(&hdr, &rows, &format!("I{j}"))[k])
                .collect()
        })
        .collect();
    let json = oracle_json(&oracle_name(PRECISION, "a_leaky_integrator.json"));
    let dt = json["dt"].as_f64().unwrap();
    let custom = &json["groups"]["custom"]["params"];
    for backend in crate::backends() {
        let c = ctx(backend, precision);
        for (label, cfg) in [
            ("default", LeakyIntegratorConfig::default()),
            (
                "custom",
                LeakyIntegratorConfig {
                    v_rest: custom["V_rest"].as_f64().unwrap().into(),
                    r: f64s(&custom["R"]).into(),
                    tau: f64s(&custom["tau"]).into(),
                    v_initializer: Initializer::Values {
                        values: f64s(&json["groups"]["custom"]["V0"]),
                    },
                    ..Default::default()
                },
            ),
        ] {
            let got = run_leaky(&c, cfg, &inputs, dt);
            let mut worst = 0.0f64;
            for j in 0..3 {
                let want = column(&hdr, &rows, &format!("{label}_V{j}"));
                let g: Vec<f64> = got.iter().map(|r| r[j]).collect();
                worst = worst.max(assert_close(
                    &format!("{backend} {precision} {label} V{j}"),
                    &g,
                    &want,
                    tol,
                ));
            }
            println!("case a {label} on {backend} {precision}: worst |err| = {worst:e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (g) LIF BPTT

struct BpttOut {
    loss: f64,
    grad_w: Vec<f64>,
    spikes: Vec<f64>,
    v_after: Vec<f64>,
}

fn lif_bptt(c: &Ctx, g: &serde_json::Value, variant: &str) -> BpttOut {
    let c = c.autodiff();
    let (n_in, n_out, batch, steps) = (5, 3, 4, 20);
    let dt = g["dt"].as_f64().unwrap();
    let w = c.tensor(flat(&g["W"]), [n_in, n_out]).require_grad();
    let x = flat(&g["x"]);
    let l = flat(&g["L"]);
    let p = &g["variants"][variant]["lif_params"];
    let surrogate = if p["spk_fun"].as_str().unwrap().starts_with("Sigmoid") {
        Surrogate::Sigmoid { alpha: 4.0 }
    } else {
        Surrogate::InvSquareGrad { alpha: 100.0 }
    };
    let cfg = LifConfig {
        v_rest: p["V_rest"].as_f64().unwrap().into(),
        v_reset: p["V_reset"].as_f64().unwrap().into(),
        v_th: p["V_th"].as_f64().unwrap().into(),
        tau: p["tau"].as_f64().unwrap().into(),
        r: p["R"].as_f64().unwrap().into(),
        surrogate,
        spk_reset: if p["spk_reset"] == "hard" {
            SpikeReset::Hard
        } else {
            SpikeReset::Soft
        },
        ..Default::default()
    };
    let mut lif = Lif::new(n_out, cfg, &c, Mode::Training { batch_size: batch }).unwrap();
    let mut loss: Option<Tensor<1>> = None;
    let (mut spikes, mut v_after) = (Vec::new(), Vec::new());
    for k in 0..steps {
        let xk = c.tensor(
            x[k * batch * n_in..(k + 1) * batch * n_in].to_vec(),
            [batch, n_in],
        );
        let lk = c.tensor(
            l[k * batch * n_out..(k + 1) * batch * n_out].to_vec(),
            [batch, n_out],
        );
        lif.step_with(&StepTime::new(k as u64, dt), Some(xk.matmul(w.clone())))
            .unwrap();
        let s = lif.spike().unwrap().to_float(c.dtype());
        spikes.extend(to_f64_vec(s.clone().detach()).unwrap());
        v_after.extend(to_f64_vec(lif.v().unwrap().detach()).unwrap());
        let term = (s * lk).sum();
        loss = Some(match loss {
            None => term,
            Some(acc) => acc + term,
        });
    }
    let loss = loss.unwrap();
    let grads = loss.backward();
    let grad_w = to_f64_vec(w.grad(&grads).expect("W has a gradient")).unwrap();
    BpttOut {
        loss: to_f64_vec(loss).unwrap()[0],
        grad_w,
        spikes,
        v_after,
    }
}

/// float64: loss, ∂loss/∂W and V within 1e-9 (the bar), spikes identical. float32:
/// spikes identical; the loss is a sum of ~10–60 terms of size ~1 (rounding ~1e-6) and the
/// gradient is compared relative to its largest entry (1e-4: BPTT over 20 steps in float32).
#[test]
fn lif_bptt_matches_brainpy_case_g() {
    let g = oracle_json(&oracle_name(PRECISION, "g_training_lif_bptt.json"));
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for variant in ["default_lif", "hard_reset_sigmoid"] {
            let want = &g["variants"][variant];
            let out = lif_bptt(&c, &g, variant);
            assert_eq!(
                out.spikes,
                flat(&want["spikes"]),
                "{backend} {variant}: spikes"
            );
            let dl = (out.loss - num(&want["loss"])).abs();
            let wg = flat(&want["grad_W"]);
            let scale = wg.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let (tl, tg, tv) = match PRECISION {
                Precision::F64 => (1e-9, 1e-9, 1e-9),
                Precision::F32 => (1e-4, 1e-4 * scale, 1e-3),
            };
            let dv = assert_close(
                &format!("{backend} {variant} V"),
                &out.v_after,
                &flat(&want["V_after_reset"]),
                tv,
            );
            assert!(
                dl <= tl,
                "{backend} {variant}: loss {} vs {}",
                out.loss,
                want["loss"]
            );
            let dg = assert_close(&format!("{backend} {variant} grad_W"), &out.grad_w, &wg, tg);
            println!(
                "case g {variant} on {backend} {PRECISION}: |dloss| {dl:e}, max |dgrad| {dg:e} (largest grad {scale:e}), max |dV| {dv:e}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (f) surrogates

fn surrogate_from(class: &str, p: &serde_json::Value) -> Surrogate {
    let f = |k: &str| p[k].as_f64().unwrap_or_else(|| panic!("{class}: no {k}"));
    match class {
        "Sigmoid" => Surrogate::Sigmoid { alpha: f("alpha") },
        "PiecewiseQuadratic" => Surrogate::PiecewiseQuadratic { alpha: f("alpha") },
        "PiecewiseExp" => Surrogate::PiecewiseExp { alpha: f("alpha") },
        "SoftSign" => Surrogate::SoftSign { alpha: f("alpha") },
        "Arctan" => Surrogate::Arctan { alpha: f("alpha") },
        "NonzeroSignLog" => Surrogate::NonzeroSignLog { alpha: f("alpha") },
        "ERF" => Surrogate::Erf { alpha: f("alpha") },
        "PiecewiseLeakyRelu" => Surrogate::PiecewiseLeakyRelu {
            c: f("c"),
            w: f("w"),
        },
        "SquarewaveFourierSeries" => Surrogate::SquarewaveFourierSeries {
            n: f("n") as u32,
            t_period: f("t_period"),
        },
        "S2NN" => Surrogate::S2NN {
            alpha: f("alpha"),
            beta: f("beta"),
            epsilon: f("epsilon"),
        },
        "QPseudoSpike" => Surrogate::QPseudoSpike { alpha: f("alpha") },
        "LeakyRelu" => Surrogate::LeakyRelu {
            alpha: f("alpha"),
            beta: f("beta"),
        },
        "LogTailedRelu" => Surrogate::LogTailedRelu { alpha: f("alpha") },
        "ReluGrad" => Surrogate::ReluGrad {
            alpha: f("alpha"),
            width: f("width"),
        },
        "GaussianGrad" => Surrogate::GaussianGrad {
            sigma: f("sigma"),
            alpha: f("alpha"),
        },
        "MultiGaussianGrad" => Surrogate::MultiGaussianGrad {
            h: f("h"),
            s: f("s"),
            sigma: f("sigma"),
            scale: f("scale"),
        },
        "InvSquareGrad" => Surrogate::InvSquareGrad { alpha: f("alpha") },
        "SlayerGrad" => Surrogate::SlayerGrad { alpha: f("alpha") },
        _ => panic!("unknown surrogate {class}"),
    }
}

/// Forward values and autodiff gradients of `f` on the grid.
fn forward_and_grad(c: &Ctx, f: &SpikeFunction, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let c = c.autodiff();
    let xt = c.tensor(x.to_vec(), [1, x.len()]).require_grad();
    let y = f.apply(xt.clone()).unwrap();
    let grads = y.clone().sum().backward();
    let g = to_f64_vec(xt.grad(&grads).unwrap()).unwrap();
    (to_f64_vec(y.detach()).unwrap(), g)
}

/// float64: 1e-12; float32: 1e-6 (the bars), on forward, smooth forward and gradient.
#[test]
fn surrogates_match_brainpy_case_f() {
    let precision = PRECISION;
    let tol = tol(PRECISION, 1e-12, 1e-6);
    let f = oracle_json(&oracle_name(PRECISION, "f_surrogates.json"));
    let x = f64s(&f["x"]);
    for backend in crate::backends() {
        let c = ctx(backend, precision);
        let mut worst = (0.0f64, String::new());
        let mut note = |d: f64, what: String| {
            if d > worst.0 {
                worst = (d, what)
            }
        };
        let classes = f["surrogates"].as_object().unwrap();
        assert_eq!(
            classes.len(),
            18,
            "all 18 one-input surrogates are in the oracle"
        );
        for (class, variants) in classes {
            for (vname, v) in variants.as_object().unwrap() {
                let s = surrogate_from(class, &v["params"]);
                let (fwd, grad) = forward_and_grad(&c, &SpikeFunction::new(s.clone()), &x);
                let what = format!("{backend} {precision} {class} {vname}");
                note(
                    assert_close(&format!("{what} forward"), &fwd, &f64s(&v["forward"]), tol),
                    format!("{what} forward"),
                );
                note(
                    assert_close(&format!("{what} grad"), &grad, &f64s(&v["grad"]), tol),
                    format!("{what} grad"),
                );
                if let Some(smooth) = v.get("forward_use_surrogate") {
                    let sf = SpikeFunction::new(s.clone()).forward_use_surrogate(true);
                    let (fwd, grad2) = forward_and_grad(&c, &sf, &x);
                    note(
                        assert_close(&format!("{what} smooth forward"), &fwd, &f64s(smooth), tol),
                        format!("{what} smooth"),
                    );
                    // The gradient does not depend on the forward choice.
                    assert_close(
                        &format!("{what} smooth grad"),
                        &grad2,
                        &f64s(&v["grad"]),
                        tol,
                    );
                } else if v.get("forward_use_surrogate_supported")
                    == Some(&serde_json::Value::Bool(false))
                {
                    let sf = SpikeFunction::new(s.clone()).forward_use_surrogate(true);
                    let xt = c.tensor(x.clone(), [1, x.len()]);
                    assert!(
                        sf.apply(xt).is_err(),
                        "{what}: no smooth forward must be an error"
                    );
                }
            }
        }
        // Two-input crossing surrogates, x_old = x − 0.5.
        for (name, s) in [
            ("inv_square_grad2", TwoInputSurrogate::default()),
            ("relu_grad2", TwoInputSurrogate::relu_grad2()),
        ] {
            let r = &f["two_input"]["results"][name];
            let ca = c.autodiff();
            let xn = ca.tensor(x.clone(), [1, x.len()]).require_grad();
            let xo = ca
                .tensor(x.iter().map(|v| v - 0.5).collect(), [1, x.len()])
                .require_grad();
            let y = s.apply(xn.clone(), xo.clone());
            let grads = y.clone().sum().backward();
            let what = format!("{backend} {precision} {name}");
            note(
                assert_close(
                    &format!("{what} forward"),
                    &to_f64_vec(y.detach()).unwrap(),
                    &f64s(&r["forward"]),
                    tol,
                ),
                what.clone(),
            );
            let gn = to_f64_vec(xn.grad(&grads).unwrap()).unwrap();
            let go = to_f64_vec(xo.grad(&grads).unwrap()).unwrap();
            note(
                assert_close(
                    &format!("{what} grad_x_new"),
                    &gn,
                    &f64s(&r["grad_x_new"]),
                    tol,
                ),
                what.clone(),
            );
            note(
                assert_close(
                    &format!("{what} grad_x_old"),
                    &go,
                    &f64s(&r["grad_x_old"]),
                    tol,
                ),
                what.clone(),
            );
        }
        println!(
            "case f on {backend} {precision}: worst |err| = {:e} ({})",
            worst.0, worst.1
        );
    }
}

/// A user-defined surrogate plugs in without touching library code.
#[derive(Debug)]
struct Triangle;

impl SurrogateFunction for Triangle {
    fn describe(&self) -> String {
        "Triangle".into()
    }
    fn grad(&self, x: Tensor<2>) -> Tensor<2> {
        x.abs().neg().add_scalar(1.0).clamp_min(0.0)
    }
    fn smooth(&self, x: Tensor<2>) -> Result<Tensor<2>> {
        Ok(x.clamp(-1.0, 1.0).add_scalar(1.0).div_scalar(2.0))
    }
}

#[test]
fn custom_surrogate_gives_its_own_gradient() {
    let Some(&backend) = crate::backends().first() else {
        return;
    };
    let c = ctx(backend, PRECISION);
    let x = [-2.0, -0.5, 0.0, 0.25, 3.0];
    let (fwd, grad) = forward_and_grad(&c, &SpikeFunction::new(Triangle), &x);
    assert_eq!(fwd, vec![0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(grad, vec![0.0, 0.5, 1.0, 0.75, 0.0]);
}
