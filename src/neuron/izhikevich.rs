//! Izhikevich neuron (BrainPy's legacy `bp.neurons.Izhikevich`).

use std::sync::Arc;

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::{SpikeFunction, Surrogate, SurrogateFunction};

crate::model_config! {
    /// Configuration of an [`Izhikevich`] group; `Default` gives BrainPy's defaults.
    pub struct IzhikevichConfig;
    /// The parameters of [`IzhikevichModel`], in any number type.
    pub struct IzhikevichParams {
        /// Spike cut-off `V_th` (mV). Default 30.
        v_th: "V_th" = 30.0, Any;
        /// Quadratic coefficient `p1`. Default 0.04.
        p1: "p1" = 0.04, Any;
        /// Linear coefficient `p2`. Default 5.
        p2: "p2" = 5.0, Any;
        /// Constant `p3`. Default 140.
        p3: "p3" = 140.0, Any;
        /// Recovery rate `a`. Default 0.02.
        a: "a" = 0.02, Any;
        /// Recovery sensitivity `b`. Default 0.2.
        b: "b" = 0.2, Any;
        /// Reset potential `c` (mV). Default −65.
        c: "c" = -65.0, Any;
        /// Recovery jump `d`. Default 8.
        d: "d" = 8.0, Any;
        /// `tau` (ms): accepted as BrainPy does, unused by the equations. Default 10.
        tau: "tau" = 10.0, Positive;
        /// `R`: accepted as BrainPy does, unused by the equations. Default 1.
        r: "R" = 1.0, Any;
        /// Refractory period `tau_ref` (ms). Default 0.
        tau_ref: "tau_ref" = 0.0, NonNegative;
    }
    options {
        /// Initial membrane potential. Default −70.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::constant(-70.0);
        /// Initial recovery variable; `None` (the default) starts it at `b·V0`.
        #[serde(alias = "u_initializer")]
        u_initializer: Option<Initializer> = None;
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
        /// A user surrogate replacing `surrogate` (not serialisable).
        #[serde(skip)]
        custom_surrogate: Option<Arc<dyn SurrogateFunction>> = None;
    }
}

crate::model_states! {
    /// The states of [`IzhikevichModel`] (besides `input` and `spike`).
    pub struct IzhikevichState {
        /// Membrane potential (mV).
        v: "V",
        /// Recovery variable.
        u: "u",
        /// Time of the last spike (ms; −1e7 at reset).
        t_last_spike: "t_last_spike",
    }
}

/// `dV/dt = p1·V² + p2·V + p3 − u + I`, `du/dt = a(b·V − u)`.
struct IzhikevichOde<'a, R> {
    p: &'a IzhikevichParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for IzhikevichOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, u, p) = (x[0].clone(), x[1].clone(), self.p);
        if k == 0 {
            // BrainPy's operation order: p1·V·V + p2·V + p3 − u + I, left to right.
            c(&p.p1) * v.clone() * v.clone() + c(&p.p2) * v + c(&p.p3) - u + c(&self.i)
        } else {
            c(&p.a) * (c(&p.b) * v - u)
        }
    }
}

/// Izhikevich's simple model (Izhikevich 2003), BrainPy `bp.neurons.Izhikevich` (2.4.6:
/// `IzhikevichRef` with an `input` state).
///
/// **Equations**: `dV/dt = p1·V² + p2·V + p3 − u + I`, `du/dt = a(b·V − u)`, `I` the
/// accumulated `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `(V*, u*) = method(V, u, I)` (exp_auto: each
/// variable from the old values of both; plus `σ√dt·ξ` on V with noise); refractory neurons
/// (`t − t_last_spike ≤ tau_ref`) keep their old V while u integrates.
/// * NonBatching/Batching: `spike = V* ≥ V_th`; there `V = c`, `u = u* + d`, `t_last_spike = t`.
/// * Training: `spike = surrogate(V* − V_th)`; `V = V* + spike·(c − V*)`, `u = u* + d·spike`
///   (BrainPy has no reset choice for this model and always lets the gradient through the
///   reset; its `spk_reset` / `detach_spk` arguments are accepted and ignored, so brainburn
///   has neither).
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_th` | mV | 30 |
/// | `p1`, `p2`, `p3` | — | 0.04, 5, 140 |
/// | `a`, `b` | — | 0.02, 0.2 |
/// | `c` | mV | −65 |
/// | `d` | — | 8 |
/// | `tau`, `R` | ms, — | 10, 1 (unused, as in BrainPy) |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer` | mV | −70 |
/// | `u_initializer` | — | `b·V0` |
///
/// States: `V`, `u`, `input`, `spike`, `t_last_spike` (−1e7 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/lif.py::IzhikevichRefLTC`; oracle
/// `tests/data/oracle_zoo/izhikevich_*` (docs/zoo-reference.md). BrainPy's legacy wrapper puts
/// its `noise` on both V and u; brainburn adds it to V only.
#[derive(Clone, Debug)]
pub struct IzhikevichModel {
    method: Method,
    spike_fn: SpikeFunction,
    /// Whether u starts at `b·V0` (no `u_initializer`).
    u_derived: bool,
}

/// A group of Izhikevich neurons ([`IzhikevichModel`]).
pub type Izhikevich = NeuGroup<IzhikevichModel>;

impl NeuronModel for IzhikevichModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "Izhikevich";
    type Config = IzhikevichConfig;
    type Params<R> = IzhikevichParams<R>;
    type State<R> = IzhikevichState<R>;

    fn build(cfg: &IzhikevichConfig) -> Result<ModelParts<Self>> {
        let spike_fn = match &cfg.custom_surrogate {
            Some(c) => SpikeFunction::from_arc(c.clone()),
            None => SpikeFunction::new(cfg.surrogate.clone()),
        }
        .forward_use_surrogate(cfg.forward_use_surrogate);
        Ok(ModelParts {
            model: IzhikevichModel {
                method: cfg.method,
                spike_fn,
                u_derived: cfg.u_initializer.is_none(),
            },
            params: cfg.params(),
            states: IzhikevichState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                u: match &cfg.u_initializer {
                    Some(i) => StateStart::Init(i.clone()),
                    None => StateStart::Derived,
                },
                t_last_spike: StateStart::Init(Initializer::constant(-1e7)),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &IzhikevichParams<R>,
        s: &mut IzhikevichState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = IzhikevichOde { p, i: input };
        let x = [s.v.clone(), s.u.clone()];
        let [v_new, u_new] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v_new = match cx.noise() {
            Some(n) => v_new + n,
            None => v_new,
        };
        let refractory = (-s.t_last_spike.clone() + cx.t()).le(&p.tau_ref);
        let v = R::select(&refractory, s.v.clone(), v_new);
        if cx.training() {
            let spike = cx.spike(v.clone() - p.v_th.clone(), &self.spike_fn);
            s.v = v.clone() + spike.clone() * (p.c.clone() - v);
            s.u = u_new + spike.clone() * p.d.clone();
            let went = spike.clone().detach().gt(&R::cst(0.0));
            s.t_last_spike = R::select(&went, cx.time(), s.t_last_spike.clone()).detach();
            Spike::Float(spike)
        } else {
            let went = v.ge(&p.v_th);
            s.v = R::select(&went, p.c.clone(), v);
            s.u = R::select(&went, u_new.clone() + p.d.clone(), u_new);
            s.t_last_spike = R::select(&went, cx.time(), s.t_last_spike.clone());
            Spike::Mask(went)
        }
    }

    /// `u0 = b·V0` when no `u_initializer` was given (BrainPy's `u_initializer=None`).
    fn init_derived<R: Num>(&self, p: &IzhikevichParams<R>, s: &mut IzhikevichState<R>) {
        if self.u_derived {
            s.u = p.b.clone() * s.v.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StepTime;
    use crate::model::Fields;
    use crate::prelude::*;
    use crate::tensor_io::to_f64_vec;

    #[test]
    fn u_starts_at_b_v0_and_a_step_is_exp_auto_of_the_equations() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let mut g =
            Izhikevich::new(1, IzhikevichConfig::default(), &c, Mode::NonBatching).expect("group");
        let st = g.states();
        assert_eq!(to_f64_vec(st.f("u")).expect("u"), vec![0.2 * -70.0]);
        let (dt, i) = (0.1, 10.0);
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i], [1, 1])))
            .expect("step");
        let (v0, u0) = (-70.0f64, -14.0f64);
        let f = 0.04 * v0 * v0 + 5.0 * v0 + 140.0 - u0 + i;
        let a = 0.08 * v0 + 5.0;
        let v = v0 + dt * (dt * a).exp_m1() / (dt * a) * f;
        let fu = 0.02 * (0.2 * v0 - u0);
        let au = -0.02;
        let u = u0 + dt * (dt * au).exp_m1() / (dt * au) * fu;
        let st = g.states();
        assert!((to_f64_vec(st.f("V")).expect("V")[0] - v).abs() < 1e-12);
        assert!((to_f64_vec(st.f("u")).expect("u")[0] - u).abs() < 1e-12);
    }

    #[test]
    fn a_spike_resets_v_to_c_and_adds_d_to_u() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = IzhikevichConfig {
            v_initializer: Initializer::constant(35.0),
            u_initializer: Some(Initializer::constant(1.0)),
            ..Default::default()
        };
        let mut g = Izhikevich::new(1, cfg, &c, Mode::NonBatching).expect("group");
        g.step_with(&StepTime::new(0, 0.1), None).expect("step");
        let st = g.states();
        assert_eq!(to_f64_vec(st.f("V")).expect("V"), vec![-65.0]);
        let u = to_f64_vec(st.f("u")).expect("u")[0];
        let fu = 0.02 * (0.2 * 35.0 - 1.0);
        let want = 1.0 + 0.1 * (-0.002f64).exp_m1() / -0.002 * fu + 8.0;
        assert!((u - want).abs() < 1e-12, "{u} vs {want}");
        assert_eq!(
            <IzhikevichState<f64> as Fields<f64>>::KEYS,
            &["V", "u", "t_last_spike"]
        );
    }
}
