//! Generalized integrate-and-fire neuron (BrainPy's legacy `bp.neurons.GIF`).

use std::sync::Arc;

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::{Surrogate, SurrogateFunction};

use super::SpikeReset;
use super::if_fire::{IfSpiking, fire};

crate::model_config! {
    /// Configuration of a [`Gif`] group; `Default` gives BrainPy's defaults.
    pub struct GifConfig;
    /// The parameters of [`GifModel`], in any number type.
    pub struct GifParams {
        /// Resting potential `V_rest` (mV). Default −70.
        v_rest: "V_rest" = -70.0, Any;
        /// Reset potential `V_reset` (mV). Default −70.
        v_reset: "V_reset" = -70.0, Any;
        /// Resting threshold `V_th_inf` (mV). Default −50.
        v_th_inf: "V_th_inf" = -50.0, Any;
        /// Lower bound of the threshold after a spike `V_th_reset` (mV). Default −60.
        v_th_reset: "V_th_reset" = -60.0, Any;
        /// Membrane resistance `R`. Default 20.
        r: "R" = 20.0, Any;
        /// Membrane time constant `tau` (ms). Default 20.
        tau: "tau" = 20.0, Positive;
        /// Threshold adaptation to V `a` (1/ms). Default 0.
        a: "a" = 0.0, Any;
        /// Threshold relaxation rate `b` (1/ms). Default 0.01.
        b: "b" = 0.01, Any;
        /// Decay rate of I1 `k1` (1/ms). Default 0.2.
        k1: "k1" = 0.2, Any;
        /// Decay rate of I2 `k2` (1/ms). Default 0.02.
        k2: "k2" = 0.02, Any;
        /// Factor of I1 at a spike `R1`. Default 0.
        r1: "R1" = 0.0, Any;
        /// Factor of I2 at a spike `R2`. Default 1.
        r2: "R2" = 1.0, Any;
        /// Jump of I1 at a spike `A1`. Default 0.
        a1: "A1" = 0.0, Any;
        /// Jump of I2 at a spike `A2`. Default 0.
        a2: "A2" = 0.0, Any;
        /// Refractory period `tau_ref` (ms). Default 0.
        tau_ref: "tau_ref" = 0.0, NonNegative;
    }
    options {
        /// Initial membrane potential. Default −70.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::constant(-70.0);
        /// Initial I1. Default 0.
        #[serde(alias = "I1_initializer")]
        i1_initializer: Initializer = Initializer::Zero;
        /// Initial I2. Default 0.
        #[serde(alias = "I2_initializer")]
        i2_initializer: Initializer = Initializer::Zero;
        /// Initial threshold (BrainPy's `Vth_initializer`). Default −50.
        #[serde(alias = "Vth_initializer")]
        vth_initializer: Initializer = Initializer::constant(-50.0);
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method. Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// Surrogate of the spike in Training mode. Default `InvSquareGrad(alpha=100)`.
        surrogate: Surrogate = Surrogate::inv_square_grad();
        /// Smooth forward spike in Training mode (BrainPy's `forward_use_surrogate`).
        forward_use_surrogate: bool = false;
        /// Reset rule of V in Training mode. Default soft.
        spk_reset: SpikeReset = SpikeReset::Soft;
        /// Detach the spike in the V and threshold resets (BrainPy's `detach_spk`).
        detach_spk: bool = false;
        /// A user surrogate replacing `surrogate` (not serialisable).
        #[serde(skip)]
        custom_surrogate: Option<Arc<dyn SurrogateFunction>> = None;
    }
}

crate::model_states! {
    /// The states of [`GifModel`] (besides `input` and `spike`).
    pub struct GifState {
        /// Membrane potential (mV).
        v: "V",
        /// Spike-triggered current I1.
        i1: "I1",
        /// Spike-triggered current I2.
        i2: "I2",
        /// Moving threshold (mV).
        v_th: "V_th",
        /// Time of the last spike (ms; −1e8 at reset).
        t_last_spike: "t_last_spike",
    }
}

/// `dI1/dt = −k1·I1`, `dI2/dt = −k2·I2`, `dV_th/dt = a(V − V_rest) − b(V_th − V_th_inf)`,
/// `τ dV/dt = −(V − V_rest) + R(I + I1 + I2)`; variables in the state order (V, I1, I2, V_th).
struct GifOde<'a, R> {
    p: &'a GifParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for GifOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        4
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, i1, i2, v_th, p) = (
            x[0].clone(),
            x[1].clone(),
            x[2].clone(),
            x[3].clone(),
            self.p,
        );
        match k {
            0 => (-(v - c(&p.v_rest)) + c(&p.r) * (c(&self.i) + i1 + i2)) / c(&p.tau),
            1 => -c(&p.k1) * i1,
            2 => -c(&p.k2) * i2,
            _ => c(&p.a) * (v - c(&p.v_rest)) - c(&p.b) * (v_th - c(&p.v_th_inf)),
        }
    }
}

/// Generalized integrate-and-fire neuron (Mihalaş & Niebur 2009), BrainPy `bp.neurons.GIF`
/// (2.4.6: `GifRef` with an `input` state).
///
/// **Equations**: `dI1/dt = −k1·I1`, `dI2/dt = −k2·I2`,
/// `dV_th/dt = a(V − V_rest) − b(V_th − V_th_inf)`, `τ dV/dt = −(V − V_rest) + R(I + I1 + I2)`,
/// `I` the accumulated `input`.
///
/// **Discrete update** (step k, `t = k·dt`): all four from the old values (exp_auto, Jacobi;
/// plus `σ√dt·ξ` on V with noise); refractory neurons (`t − t_last_spike ≤ tau_ref`) keep their
/// old V. The spike compares the new V with the **old** threshold state, as BrainPy does.
/// * NonBatching/Batching: `spike = V* ≥ V_th_old`; there `V = V_reset`, `I1 = R1·I1* + A1`,
///   `I2 = R2·I2* + A2`, `V_th = max(V_th_reset, V_th*)`, `t_last_spike = t`.
/// * Training: `spike = surrogate(V* − V_th_old)`; soft reset `V = V* − (V_th_old − V_reset)·s`
///   (default) or hard `V = V* + (V_reset − V*)·s`; `V_th = V_th* + (max(V_th_reset, V_th*) −
///   V_th*)·s` with `s` the spike (detached when `detach_spk`); `I1 = I1* + spike·(R1·I1* + A1 −
///   I1*)`, the same for I2, with the spike's gradient always (as BrainPy).
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest`, `V_reset` | mV | −70, −70 |
/// | `V_th_inf`, `V_th_reset` | mV | −50, −60 |
/// | `R`, `tau` | —, ms | 20, 20 |
/// | `a`, `b` | 1/ms | 0, 0.01 |
/// | `k1`, `k2` | 1/ms | 0.2, 0.02 |
/// | `R1`, `R2`, `A1`, `A2` | — | 0, 1, 0, 0 |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer`, `I1_initializer`, `I2_initializer`, `Vth_initializer` | | −70, 0, 0, −50 |
///
/// States: `V`, `I1`, `I2`, `V_th`, `input`, `spike`, `t_last_spike` (−1e8 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/lif.py::GifRefLTC`; oracle
/// `tests/data/oracle_zoo/gif_*`. BrainPy's `noise` goes on all four variables; brainburn adds
/// it to V only.
#[derive(Clone, Debug)]
pub struct GifModel {
    method: Method,
    spiking: IfSpiking,
}

/// A group of generalized IF neurons ([`GifModel`]).
pub type Gif = NeuGroup<GifModel>;

impl NeuronModel for GifModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "GIF";
    type Config = GifConfig;
    type Params<R> = GifParams<R>;
    type State<R> = GifState<R>;

    fn build(cfg: &GifConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: GifModel {
                method: cfg.method,
                spiking: IfSpiking::new(
                    &cfg.surrogate,
                    &cfg.custom_surrogate,
                    cfg.forward_use_surrogate,
                    cfg.spk_reset,
                    cfg.detach_spk,
                ),
            },
            params: cfg.params(),
            states: GifState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                i1: StateStart::Init(cfg.i1_initializer.clone()),
                i2: StateStart::Init(cfg.i2_initializer.clone()),
                v_th: StateStart::Init(cfg.vth_initializer.clone()),
                t_last_spike: StateStart::Init(Initializer::constant(-1e8)),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &GifParams<R>,
        s: &mut GifState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = GifOde { p, i: input };
        let x = [s.v.clone(), s.i1.clone(), s.i2.clone(), s.v_th.clone()];
        let [v_new, i1, i2, v_th] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v_new = match cx.noise() {
            Some(n) => v_new + n,
            None => v_new,
        };
        let f = fire(
            &self.spiking,
            s.v.clone(),
            v_new,
            s.t_last_spike.clone(),
            &s.v_th,
            &p.v_reset,
            &p.tau_ref,
            cx,
        );
        let raw = f.fired_raw();
        s.i1 = raw.set(i1.clone(), p.r1.clone() * i1 + p.a1.clone());
        s.i2 = raw.set(i2.clone(), p.r2.clone() * i2 + p.a2.clone());
        s.v_th = f.fired.set(v_th.clone(), p.v_th_reset.clone().max(v_th));
        s.v = f.v;
        s.t_last_spike = f.t_last_spike;
        f.spike
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StepTime;
    use crate::model::Fields;
    use crate::prelude::*;
    use crate::tensor_io::to_f64_vec;

    fn read(g: &Gif, key: &str) -> f64 {
        to_f64_vec(g.states().f(key)).expect("read")[0]
    }

    /// A spike is judged against the threshold state before the step, and resets V, I1, I2 and
    /// the threshold as BrainPy does.
    #[test]
    fn spikes_against_the_old_threshold_and_resets_every_state() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = GifConfig {
            v_initializer: Initializer::constant(-50.2),
            i1_initializer: Initializer::constant(0.5),
            i2_initializer: Initializer::constant(0.2),
            vth_initializer: Initializer::constant(-50.1),
            a: 0.1.into(),
            r1: 0.5.into(),
            a1: 1.0.into(),
            a2: (-0.3).into(),
            ..Default::default()
        };
        let mut g = Gif::new(1, cfg, &c, Mode::NonBatching).expect("group");
        let dt = 0.1;
        // With I = 2, V* ≈ −50.03 ≥ −50.1 (the old threshold) while the threshold itself moves
        // up to ≈ −49.90 (above V*): only the old-threshold rule makes this a spike.
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![2.0], [1, 1])))
            .expect("step");
        let ea = |x: f64, f: f64, a: f64| x + dt * (dt * a).exp_m1() / (dt * a) * f;
        let i1 = ea(0.5, -0.2 * 0.5, -0.2);
        let i2 = ea(0.2, -0.02 * 0.2, -0.02);
        let vth = ea(-50.1, 0.1 * (-50.2 + 70.0) - 0.01 * (-50.1 + 50.0), -0.01);
        let v = ea(
            -50.2,
            (-(-50.2 + 70.0) + 20.0 * (2.0 + 0.5 + 0.2)) / 20.0,
            -1.0 / 20.0,
        );
        assert!(
            v >= -50.1 && v < vth,
            "the case needs V* between the old and new threshold"
        );
        assert_eq!(read(&g, "V"), -70.0);
        assert!((read(&g, "I1") - (0.5 * i1 + 1.0)).abs() < 1e-12);
        assert!((read(&g, "I2") - (i2 - 0.3)).abs() < 1e-12);
        assert!((read(&g, "V_th") - vth.max(-60.0)).abs() < 1e-12);
        assert_eq!(read(&g, "t_last_spike"), 0.0);
        assert_eq!(
            <GifState<f64> as Fields<f64>>::KEYS,
            &["V", "I1", "I2", "V_th", "t_last_spike"]
        );
    }
}
