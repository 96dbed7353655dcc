//! FitzHugh–Nagumo neuron (BrainPy's legacy `bp.neurons.FHN`).

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::TwoInputSurrogate;

use super::wang_buzsaki::crossing_spike;

crate::model_config! {
    /// Configuration of an [`Fhn`] group; `Default` gives BrainPy's defaults.
    pub struct FhnConfig;
    /// The parameters of [`FhnModel`], in any number type.
    pub struct FhnParams {
        /// Offset of the recovery variable `a`. Default 0.7.
        a: "a" = 0.7, Any;
        /// Decay of the recovery variable `b`. Default 0.8.
        b: "b" = 0.8, Any;
        /// Time scale of the recovery variable `tau`. Default 12.5.
        tau: "tau" = 12.5, Positive;
        /// Spike threshold `Vth` (BrainPy's name; an upward crossing counts). Default 1.8.
        v_th: "Vth" = 1.8, Any;
    }
    options {
        /// Initial membrane potential. Default 0.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::Zero;
        /// Initial recovery variable. Default 0.
        #[serde(alias = "w_initializer")]
        w_initializer: Initializer = Initializer::Zero;
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method. Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// Crossing surrogate of the spike in Training mode (BrainPy has no Training mode for
        /// this model). Default `inv_square_grad2(100)`.
        surrogate: TwoInputSurrogate = TwoInputSurrogate::default();
    }
}

crate::model_states! {
    /// The states of [`FhnModel`] (besides `input` and `spike`).
    pub struct FhnState {
        /// Membrane potential.
        v: "V",
        /// Recovery variable.
        w: "w",
    }
}

/// `dV/dt = V − V³/3 − w + I`, `τ dw/dt = V + a − b·w`.
struct FhnOde<'a, R> {
    p: &'a FhnParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for FhnOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, w, p) = (x[0].clone(), x[1].clone(), self.p);
        if k == 0 {
            // BrainPy's operation order: V − V·V·V/3 − w + I, left to right.
            v.clone() - v.clone() * v.clone() * v / 3.0 - w + c(&self.i)
        } else {
            (v + c(&p.a) - c(&p.b) * w) / c(&p.tau)
        }
    }
}

/// FitzHugh–Nagumo neuron (FitzHugh 1961), BrainPy `bp.neurons.FHN` (2.4.6).
///
/// **Equations** (dimensionless): `dV/dt = V − V³/3 − w + I`, `τ dw/dt = V + a − b·w`, `I` the
/// accumulated `input`.
///
/// **Discrete update** (step k): `(V, w) = method(V, w, I)` (exp_auto: each variable from the
/// old values of both; plus `σ√dt·ξ` on V with noise). No reset.
/// * NonBatching/Batching: `spike = V_old < Vth ≤ V` (upward crossing).
/// * Training (brainburn only; BrainPy's FHN supports NonBatching mode only): the same crossing
///   as a float spike with the two-input surrogate.
///
/// exp_auto at `V = ±1`: `∂f/∂V = 1 − V²` is exactly 0 here, so `φ = 1`. BrainPy's reverse-mode
/// derivative rounds it to 1.1e-16 (f64) / −6e-8 (f32), its `(e^{dt·A} − 1)/(dt·A)` collapses to
/// 0 and V stays frozen at ±1 forever; brainburn does not copy that (docs/zoo-reference.md).
///
/// | parameter | default |
/// |---|---|
/// | `a`, `b` | 0.7, 0.8 |
/// | `tau` | 12.5 |
/// | `Vth` | 1.8 |
/// | `V_initializer`, `w_initializer` | 0, 0 |
///
/// States: `V`, `w`, `input`, `spike`.
/// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/neurons/reduced_models.py::FHN`; oracle
/// `tests/data/oracle_zoo/fhn_*`. BrainPy's `noise` goes on V and w; brainburn adds it to V only.
#[derive(Clone, Debug)]
pub struct FhnModel {
    method: Method,
    surrogate: TwoInputSurrogate,
}

/// A group of FitzHugh–Nagumo neurons ([`FhnModel`]).
pub type Fhn = NeuGroup<FhnModel>;

impl NeuronModel for FhnModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "FHN";
    type Config = FhnConfig;
    type Params<R> = FhnParams<R>;
    type State<R> = FhnState<R>;

    fn build(cfg: &FhnConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: FhnModel {
                method: cfg.method,
                surrogate: cfg.surrogate.clone(),
            },
            params: cfg.params(),
            states: FhnState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                w: StateStart::Init(cfg.w_initializer.clone()),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &FhnParams<R>,
        s: &mut FhnState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = FhnOde { p, i: input };
        let [v, w] = integrate_array(
            &sys,
            self.method,
            [s.v.clone(), s.w.clone()],
            cx.t(),
            cx.dt(),
        );
        let v = match cx.noise() {
            Some(n) => v + n,
            None => v,
        };
        let spike = crossing_spike(&s.v, &v, &p.v_th, cx, &self.surrogate);
        *s = FhnState { v, w };
        spike
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::StepTime;
    use crate::model::Fields;
    use crate::prelude::*;
    use crate::tensor_io::to_f64_vec;

    /// One exp_auto step by hand, and V = −1 (where ∂f/∂V = 0) moves by Euler's `dt·f`.
    #[test]
    fn one_step_is_exp_auto_of_the_equations() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        for v0 in [-1.2f64, -1.0] {
            let cfg = FhnConfig {
                v_initializer: Initializer::constant(v0),
                w_initializer: Initializer::constant(0.5),
                ..Default::default()
            };
            let mut g = Fhn::new(1, cfg, &c, Mode::NonBatching).expect("group");
            let (dt, i) = (0.1, 1.0);
            g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i], [1, 1])))
                .expect("step");
            let w0 = 0.5f64;
            let f = v0 - v0 * v0 * v0 / 3.0 - w0 + i;
            let a = 1.0 - v0 * v0;
            let v = if a == 0.0 {
                v0 + dt * f
            } else {
                v0 + dt * (dt * a).exp_m1() / (dt * a) * f
            };
            let fw = (v0 + 0.7 - 0.8 * w0) / 12.5;
            let aw = -0.8 / 12.5;
            let w = w0 + dt * (dt * aw).exp_m1() / (dt * aw) * fw;
            let st = g.states();
            let gv = to_f64_vec(st.f("V")).expect("V")[0];
            assert!((gv - v).abs() < 1e-12, "V0 {v0}: {gv} vs {v}");
            assert!((to_f64_vec(st.f("w")).expect("w")[0] - w).abs() < 1e-12);
        }
        assert_eq!(
            <FhnParams<f64> as Fields<f64>>::KEYS,
            &["a", "b", "tau", "Vth"]
        );
    }
}
