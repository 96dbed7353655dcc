//! Training mode of the zoo models (issue 15): BPTT gradients against central finite
//! differences in float64, on every compiled CPU backend (included from the float64 binary
//! only: finite differences need float64).
//!
//! Each run drives a group in `Mode::Training` with `input = w·x_j` (one trainable scalar `w`)
//! and takes `loss = Σ_t Σ_j (L_tj·V_tj + spike_tj)`. The IF-type models use a smooth forward
//! spike (`Sigmoid(alpha = 1)` with `forward_use_surrogate`: the spike *is* the sigmoid, so
//! resets and jumps are smooth functions of `w`) and the loss is differentiable: the BPTT
//! gradient must equal the central difference of the loss (step `h = 1e-5`; the difference's
//! own error is O(h²) ≈ 1e-10 relative plus rounding ≈ 1e-16·|loss|/h, far below the 1e-6
//! bar). The crossing models (HindmarshRose, FHN, MorrisLecar) do not reset, so V is smooth
//! in `w` whatever the spike; their loss is `Σ L·V` (their Heaviside spike is constant in `w`
//! almost everywhere while its surrogate gradient is not).

use crate::PRECISION;
use crate::common::*;
use brainburn::burn::tensor::Tensor;
use brainburn::prelude::*;
use brainburn::tensor_io::to_f64_vec;

const DT: f64 = 0.1;
const STEPS: u64 = 150;

/// The loss weight of neuron j at step k: fixed numbers in [−0.4, 0.4].
fn l_weight(k: u64, j: usize) -> f64 {
    ((k as usize * 7 + j * 3) % 5) as f64 / 5.0 - 0.4
}

/// (loss, ∂loss/∂w) of one Training-mode run at weight `w`; the spikes enter the loss when
/// `with_spikes` (only for smooth forward spikes: a Heaviside spike is constant in `w` almost
/// everywhere while its surrogate gradient is not zero).
fn loss_and_grad<M: NeuronModel>(
    c: &Ctx,
    cfg: &M::Config,
    x: &[f64],
    w: f64,
    with_spikes: bool,
) -> (f64, f64) {
    let n = x.len();
    let wt = c.tensor(vec![w], [1, 1]).require_grad();
    let xb = c.tensor(x.to_vec(), [1, n]);
    let mut g = NeuGroup::<M>::new(n, cfg.clone(), c, Mode::Training { batch_size: 1 }).unwrap();
    let mut loss: Option<Tensor<1>> = None;
    for k in 0..STEPS {
        g.step_with(&StepTime::new(k, DT), Some(wt.clone().matmul(xb.clone())))
            .unwrap();
        let v = g.v().unwrap();
        let s = g.spike().unwrap().to_float(c.dtype());
        let lk = c.tensor((0..n).map(|j| l_weight(k, j)).collect(), [1, n]);
        let term = if with_spikes {
            (v * lk).sum() + s.sum()
        } else {
            (v * lk).sum()
        };
        loss = Some(match loss {
            None => term,
            Some(acc) => acc + term,
        });
    }
    let loss = loss.unwrap();
    let value = to_f64_vec(loss.clone()).unwrap()[0];
    let grads = loss.backward();
    let grad = to_f64_vec(wt.grad(&grads).expect("w has a gradient")).unwrap()[0];
    (value, grad)
}

/// BPTT ∂loss/∂w equals the central difference of the loss within 1e-6 relative.
fn check_grad<M: NeuronModel>(label: &str, cfg: M::Config, x: &[f64], with_spikes: bool) {
    assert_eq!(PRECISION, Precision::F64, "finite differences need float64");
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let w = 1.0;
        let h = 1e-5;
        let (loss, grad) = loss_and_grad::<M>(&c, &cfg, x, w, with_spikes);
        let (up, _) = loss_and_grad::<M>(&c, &cfg, x, w + h, with_spikes);
        let (down, _) = loss_and_grad::<M>(&c, &cfg, x, w - h, with_spikes);
        let fd = (up - down) / (2.0 * h);
        assert!(
            loss.is_finite() && grad.is_finite(),
            "{label}: {loss} {grad}"
        );
        assert!(
            grad.abs() > 1e-3,
            "{label}: the case must depend on w (grad {grad})"
        );
        let err = (grad - fd).abs() / fd.abs().max(1.0);
        assert!(
            err <= 1e-6,
            "{label} on {backend}: BPTT {grad} vs central difference {fd} (rel {err:e})"
        );
        println!(
            "{label} on {backend}: loss {loss:.6}, BPTT {grad:.9e}, FD {fd:.9e}, rel {err:.2e}"
        );
    }
}

/// `Sigmoid(alpha = 1)`: its smooth forward is `σ(x)` whatever alpha (as BrainPy's), its
/// gradient `α·σ(αx)(1 − σ(αx))`, so only alpha = 1 makes the backward the forward's derivative.
fn sigmoid() -> Surrogate {
    Surrogate::Sigmoid { alpha: 1.0 }
}

#[test]
fn expif_and_adexif_bptt_equal_finite_differences() {
    check_grad::<ExpIfModel>(
        "ExpIF",
        ExpIfConfig {
            v_initializer: Initializer::constant(-65.0),
            surrogate: sigmoid(),
            forward_use_surrogate: true,
            ..Default::default()
        },
        &[6.0, 10.0, 16.0],
        true,
    );
    check_grad::<AdExIfModel>(
        "AdExIF",
        AdExIfConfig {
            v_initializer: Initializer::constant(-65.0),
            surrogate: sigmoid(),
            forward_use_surrogate: true,
            spk_reset: SpikeReset::Hard,
            ..Default::default()
        },
        &[6.0, 10.0, 16.0],
        true,
    );
}

#[test]
fn quaif_and_adquaif_bptt_equal_finite_differences() {
    check_grad::<QuaIfModel>(
        "QuaIF",
        QuaIfConfig {
            v_initializer: Initializer::constant(-65.0),
            surrogate: sigmoid(),
            forward_use_surrogate: true,
            ..Default::default()
        },
        &[3.0, 6.0, 12.0],
        true,
    );
    check_grad::<AdQuaIfModel>(
        "AdQuaIF",
        AdQuaIfConfig {
            v_initializer: Initializer::constant(-65.0),
            surrogate: sigmoid(),
            forward_use_surrogate: true,
            ..Default::default()
        },
        &[5.0, 10.0, 20.0],
        true,
    );
}

#[test]
fn gif_bptt_equals_finite_differences() {
    check_grad::<GifModel>(
        "GIF",
        GifConfig {
            a1: 1.0.into(),
            a2: (-0.5).into(),
            a: 0.01.into(),
            surrogate: sigmoid(),
            forward_use_surrogate: true,
            ..Default::default()
        },
        &[1.0, 2.0, 4.0],
        true,
    );
    // Izhikevich is not here yet: its BPTT gradient differs from the central difference by
    // 1.65e-4 relative (223.2835 vs 223.2467 on this case, measured) and the cause is not
    // found (open in the issue note).
}

#[test]
fn bellec_models_bptt_equal_finite_differences() {
    let cfg = AlifBellecConfig {
        v_rest: 0.0.into(),
        v_th: 1.0.into(),
        beta: 0.5.into(),
        tau_a: 200.0.into(),
        v_initializer: Initializer::constant(0.0),
        a_initializer: Initializer::constant(0.0),
        surrogate: sigmoid(),
        forward_use_surrogate: true,
        ..Default::default()
    };
    check_grad::<AlifBellecAlif>("ALIFBellec2020", cfg.clone(), &[1.2, 2.0, 4.0], true);
    check_grad::<AlifBellecLifSfa>("LIF_SFA_Bellec2020", cfg, &[1.2, 2.0, 4.0], true);
}

#[test]
fn crossing_models_bptt_equal_finite_differences() {
    check_grad::<HindmarshRoseModel>(
        "HindmarshRose",
        HindmarshRoseConfig::default(),
        &[1.0, 2.0, 3.5],
        false,
    );
    check_grad::<FhnModel>("FHN", FhnConfig::default(), &[0.5, 1.0, 1.5], false);
    check_grad::<MorrisLecarModel>(
        "MorrisLecar",
        MorrisLecarConfig {
            v_initializer: Initializer::constant(-65.0),
            ..Default::default()
        },
        &[60.0, 100.0, 150.0],
        false,
    );
}
