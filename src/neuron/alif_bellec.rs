//! Adaptive LIF neurons of Bellec et al. 2020 (BrainPy's legacy `bp.neurons.ALIFBellec2020`
//! and `bp.neurons.LIF_SFA_Bellec2020`): one equation set, two spike rules.

use std::sync::Arc;

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::{SpikeFunction, Surrogate, SurrogateFunction};

crate::model_config! {
    /// Configuration of an [`AlifBellec2020`] or [`LifSfaBellec2020`] group; `Default` gives
    /// BrainPy's defaults.
    pub struct AlifBellecConfig;
    /// The parameters of [`AlifBellecModel`], in any number type.
    pub struct AlifBellecParams {
        /// Resting potential `V_rest` (mV). Default −70.
        v_rest: "V_rest" = -70.0, Any;
        /// Baseline threshold `V_th` (mV); also the size of the soft reset. Default −60.
        v_th: "V_th" = -60.0, Any;
        /// Membrane resistance `R`. Default 1.
        r: "R" = 1.0, Any;
        /// Threshold adaptation per unit of `a`, `beta`. Default 1.6.
        beta: "beta" = 1.6, Any;
        /// Membrane time constant `tau` (ms). Default 20.
        tau: "tau" = 20.0, Positive;
        /// Adaptation time constant `tau_a` (ms). Default 2000.
        tau_a: "tau_a" = 2000.0, Positive;
        /// Refractory period `tau_ref` (ms). Default 0 (BrainPy's `None`: never refractory).
        tau_ref: "tau_ref" = 0.0, NonNegative;
    }
    options {
        /// Initial membrane potential. Default −70.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::constant(-70.0);
        /// Initial adaptation variable. Default −50.
        #[serde(alias = "a_initializer")]
        a_initializer: Initializer = Initializer::constant(-50.0);
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method. Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// Surrogate of the spike (`spike_fun`). Default `ReluGrad(alpha=0.3, width=1)`.
        surrogate: Surrogate = Surrogate::relu_grad();
        /// Smooth forward spike in Training mode (BrainPy's `forward_use_surrogate`).
        forward_use_surrogate: bool = false;
        /// e-prop: the soft reset takes the spike without its gradient (ALIF only).
        eprop: bool = false;
        /// A user surrogate replacing `surrogate` (not serialisable).
        #[serde(skip)]
        custom_surrogate: Option<Arc<dyn SurrogateFunction>> = None;
    }
}

crate::model_states! {
    /// The states of [`AlifBellecModel`] (besides `input` and `spike`).
    pub struct AlifBellecState {
        /// Membrane potential (mV).
        v: "V",
        /// Threshold adaptation variable.
        a: "a",
        /// Time of the last spike (ms; −1e7 at reset).
        t_last_spike: "t_last_spike",
    }
}

/// `τ dV/dt = −(V − V_rest) + R·I`, `τ_a da/dt = −a`.
struct AlifOde<'a, R> {
    p: &'a AlifBellecParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for AlifOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let p = self.p;
        if k == 0 {
            (-(x[0].clone() - c(&p.v_rest)) + c(&p.r) * c(&self.i)) / c(&p.tau)
        } else {
            -x[1].clone() / c(&p.tau_a)
        }
    }
}

/// Adaptive LIF neuron with spike-frequency adaptation (Bellec et al. 2020, e-prop), BrainPy
/// `bp.neurons.ALIFBellec2020` and `bp.neurons.LIF_SFA_Bellec2020` (2.4.6).
///
/// **Equations**: `τ dV/dt = −(V − V_rest) + R·I`, `τ_a da/dt = −a`, `I` the accumulated
/// `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `(V*, a*) = method(V, a, I)` (plus `σ√dt·ξ` on V
/// with noise); refractory neurons (`t − t_last_spike ≤ tau_ref`) keep their old V; with
/// `a_old` the adaptation before the step:
/// * ALIF, NonBatching/Batching: `spike = V* ≥ V_th + β·a_old`.
/// * ALIF Training, and LIF_SFA in **every** mode: `spike = spike_fun((V* − V_th − β·a_old)/V_th)`
///   (Heaviside forward). Note the division: with a negative `V_th` (the default −60) it flips
///   the sign, so LIF_SFA "spikes" while `V* ≤ V_th + β·a_old` (BrainPy does the same).
/// * then the soft reset `V = V* − V_th·spike` (ALIF with `eprop`: the spike detached),
///   `a = a* + spike`, `t_last_spike = t` where it spiked.
///
/// With the defaults (`V0 = −70`, `a0 = −50`) the ALIF threshold is −140 and the reset
/// subtracts −60 mV: every neuron spikes on every step and V climbs, as in BrainPy
/// (docs/zoo-reference.md). The models are meant for `V_rest = 0`, `V_th > 0`.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest`, `V_th` | mV | −70, −60 |
/// | `R`, `beta` | — | 1, 1.6 |
/// | `tau`, `tau_a` | ms | 20, 2000 |
/// | `tau_ref` | ms | 0 (BrainPy `None`) |
/// | `V_initializer`, `a_initializer` | | −70, −50 |
///
/// States: `V`, `a`, `input`, `spike`, `t_last_spike` (−1e7 at reset). Differences from
/// BrainPy, none of which changes a trajectory: `t_last_spike` exists also without `tau_ref`
/// (BrainPy adds it, and ALIF's Boolean `refractory`, only when `tau_ref` is given);
/// LIF_SFA has an `input` state (BrainPy's takes its input only through `update(x)`) and, outside
/// Training, a Boolean spike (BrainPy's is 0/1 float).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/neurons/reduced_models.py`; oracle
/// `tests/data/oracle_zoo/{alif,lifsfa}_*`. BrainPy's `noise` goes on V and a; brainburn adds it
/// to V only.
/// `SFA = false` is `ALIFBellec2020`, `SFA = true` is `LIF_SFA_Bellec2020`.
#[derive(Clone, Debug)]
pub struct AlifBellecModel<const SFA: bool> {
    method: Method,
    spike_fn: SpikeFunction,
    eprop: bool,
}

/// BrainPy's `ALIFBellec2020`.
pub type AlifBellecAlif = AlifBellecModel<false>;
/// BrainPy's `LIF_SFA_Bellec2020`.
pub type AlifBellecLifSfa = AlifBellecModel<true>;
/// A group of `ALIFBellec2020` neurons.
pub type AlifBellec2020 = NeuGroup<AlifBellecAlif>;
/// A group of `LIF_SFA_Bellec2020` neurons.
pub type LifSfaBellec2020 = NeuGroup<AlifBellecLifSfa>;

/// `ALIFBellec2020`'s executions, compiled into brainburn (see
/// [`compiled_in_brainburn!`](crate::compiled_in_brainburn)).
#[inline(never)]
fn alif_fns() -> &'static crate::model::GroupFns<AlifBellecAlif> {
    &crate::model::GroupFns::<AlifBellecAlif>::GENERIC
}

/// `LIF_SFA_Bellec2020`'s executions, compiled into brainburn.
#[inline(never)]
fn lif_sfa_fns() -> &'static crate::model::GroupFns<AlifBellecLifSfa> {
    &crate::model::GroupFns::<AlifBellecLifSfa>::GENERIC
}

impl<const SFA: bool> NeuronModel for AlifBellecModel<SFA> {
    #[inline(always)]
    fn group_fns() -> &'static crate::model::GroupFns<Self> {
        // The generic impl picks one of the two non-generic instances (a generic body would
        // be compiled again in every crate that uses the model).
        let fns: &'static dyn std::any::Any = if SFA { lif_sfa_fns() } else { alif_fns() };
        fns.downcast_ref()
            .expect("SFA selects the instance of this very type")
    }

    const CLASS: &'static str = if SFA {
        "LIF_SFA_Bellec2020"
    } else {
        "ALIFBellec2020"
    };
    type Config = AlifBellecConfig;
    type Params<R> = AlifBellecParams<R>;
    type State<R> = AlifBellecState<R>;

    fn build(cfg: &AlifBellecConfig) -> Result<ModelParts<Self>> {
        let spike_fn = match &cfg.custom_surrogate {
            Some(c) => SpikeFunction::from_arc(c.clone()),
            None => SpikeFunction::new(cfg.surrogate.clone()),
        }
        .forward_use_surrogate(cfg.forward_use_surrogate);
        Ok(ModelParts {
            model: AlifBellecModel {
                method: cfg.method,
                spike_fn,
                eprop: cfg.eprop,
            },
            params: cfg.params(),
            states: AlifBellecState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                a: StateStart::Init(cfg.a_initializer.clone()),
                t_last_spike: StateStart::Init(Initializer::constant(-1e7)),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &AlifBellecParams<R>,
        s: &mut AlifBellecState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = AlifOde { p, i: input };
        let x = [s.v.clone(), s.a.clone()];
        let [v_new, a_new] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v_new = match cx.noise() {
            Some(n) => v_new + n,
            None => v_new,
        };
        let refractory = (-s.t_last_spike.clone() + cx.t()).le(&p.tau_ref);
        let v = R::select(&refractory, s.v.clone(), v_new);
        let over = v.clone() - p.v_th.clone() - p.beta.clone() * s.a.clone();
        if cx.training() {
            let spike = cx.spike(over / p.v_th.clone(), &self.spike_fn);
            let reset = if self.eprop && !SFA {
                spike.clone().detach()
            } else {
                spike.clone()
            };
            s.v = v - p.v_th.clone() * reset;
            s.a = a_new + spike.clone();
            let went = spike.clone().detach().gt(&R::cst(0.0));
            s.t_last_spike = R::select(&went, cx.time(), s.t_last_spike.clone()).detach();
            Spike::Float(spike)
        } else {
            // ALIF: V* ≥ V_th + β·a_old. LIF_SFA: the Heaviside forward of spike_fun,
            // (V* − V_th − β·a_old)/V_th ≥ 0.
            let went = if SFA {
                (over / p.v_th.clone()).ge(&R::cst(0.0))
            } else {
                v.ge(&(p.v_th.clone() + p.beta.clone() * s.a.clone()))
            };
            s.v = R::select(&went, v.clone() - p.v_th.clone(), v);
            s.a = R::select(&went, a_new.clone() + 1.0, a_new);
            s.t_last_spike = R::select(&went, cx.time(), s.t_last_spike.clone());
            Spike::Mask(went)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StepTime;
    use crate::prelude::*;
    use crate::tensor_io::to_f64_vec;

    fn read<M: NeuronModel>(g: &NeuGroup<M>, key: &str) -> Vec<f64> {
        to_f64_vec(g.states().f(key)).expect("read")
    }

    /// With the defaults ALIF fires on the first step (threshold −140 < V0) and its reset
    /// *raises* V by 60 mV; LIF_SFA's divided rule does not fire.
    #[test]
    fn the_defaults_fire_alif_every_step_and_lif_sfa_never() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let mut alif =
            AlifBellec2020::new(1, AlifBellecConfig::default(), &c, Mode::NonBatching).unwrap();
        let mut sfa =
            LifSfaBellec2020::new(1, AlifBellecConfig::default(), &c, Mode::NonBatching).unwrap();
        let dt = 0.1;
        alif.step_with(&StepTime::new(0, dt), None).unwrap();
        sfa.step_with(&StepTime::new(0, dt), None).unwrap();
        // V* = −70 (at rest), a* = −50·e^{−dt/2000}.
        let a = -50.0 * (-dt / 2000.0f64).exp();
        assert_eq!(read(&alif, "V"), vec![-10.0]);
        assert!((read(&alif, "a")[0] - (a + 1.0)).abs() < 1e-12);
        assert_eq!(read(&sfa, "V"), vec![-70.0]);
        assert!((read(&sfa, "a")[0] - a).abs() < 1e-12);
        assert_eq!(AlifBellecAlif::CLASS, "ALIFBellec2020");
        assert_eq!(AlifBellecLifSfa::CLASS, "LIF_SFA_Bellec2020");
    }

    /// Bellec-scale parameters: the two rules agree when V_th > 0.
    #[test]
    fn with_a_positive_threshold_both_rules_fire_alike() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = AlifBellecConfig {
            v_rest: 0.0.into(),
            v_th: 1.0.into(),
            beta: 0.5.into(),
            tau_ref: 2.0.into(),
            v_initializer: Initializer::constant(0.0),
            a_initializer: Initializer::constant(0.0),
            ..Default::default()
        };
        let mut alif = AlifBellec2020::new(1, cfg.clone(), &c, Mode::NonBatching).unwrap();
        let mut sfa = LifSfaBellec2020::new(1, cfg, &c, Mode::NonBatching).unwrap();
        let mut n = (0, 0);
        for k in 0..600 {
            let x = Some(c.tensor(vec![4.0], [1, 1]));
            alif.step_with(&StepTime::new(k, 0.1), x.clone()).unwrap();
            sfa.step_with(&StepTime::new(k, 0.1), x).unwrap();
            assert_eq!(read(&alif, "V"), read(&sfa, "V"), "step {k}");
            n.0 += usize::from(read(&alif, "t_last_spike")[0] == k as f64 * 0.1);
            n.1 += usize::from(read(&sfa, "t_last_spike")[0] == k as f64 * 0.1);
        }
        assert_eq!(n.0, n.1);
        assert!(n.0 >= 3, "the case must spike: {n:?}");
    }
}
