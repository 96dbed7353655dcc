//! Hindmarsh–Rose bursting neuron (BrainPy's legacy `bp.neurons.HindmarshRose`).

use crate::error::Result;
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate_array};
use crate::math::Num;
use crate::model::{ModelParts, NeuGroup, NeuronModel, Spike, StateStart, StepCx};
use crate::param::ParamSpec;
use crate::surrogate::TwoInputSurrogate;

use super::wang_buzsaki::crossing_spike;

crate::model_config! {
    /// Configuration of a [`HindmarshRose`] group; `Default` gives BrainPy's defaults.
    pub struct HindmarshRoseConfig;
    /// The parameters of [`HindmarshRoseModel`], in any number type.
    pub struct HindmarshRoseParams {
        /// Cubic coefficient `a`. Default 1.
        a: "a" = 1.0, Any;
        /// Quadratic coefficient `b`. Default 3.
        b: "b" = 3.0, Any;
        /// Constant of the recovery variable `c`. Default 1.
        c: "c" = 1.0, Any;
        /// Quadratic coefficient of the recovery variable `d`. Default 5.
        d: "d" = 5.0, Any;
        /// Time scale of the adaptation current `r`. Default 0.01.
        r: "r" = 0.01, Any;
        /// Adaptation coupling `s`. Default 4.
        s: "s" = 4.0, Any;
        /// Resting potential of the adaptation `V_rest`. Default −1.6.
        v_rest: "V_rest" = -1.6, Any;
        /// Spike threshold `V_th` (an upward crossing counts). Default 1.
        v_th: "V_th" = 1.0, Any;
    }
    options {
        /// Initial membrane potential. Default 0.
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::Zero;
        /// Initial recovery variable. Default −10.
        #[serde(alias = "y_initializer")]
        y_initializer: Initializer = Initializer::constant(-10.0);
        /// Initial adaptation current. Default 0.
        #[serde(alias = "z_initializer")]
        z_initializer: Initializer = Initializer::Zero;
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method. Default `exp_auto`.
        method: Method = Method::ExpAuto;
        /// Crossing surrogate of the spike in Training mode. Default `inv_square_grad2(100)`.
        surrogate: TwoInputSurrogate = TwoInputSurrogate::default();
    }
}

crate::model_states! {
    /// The states of [`HindmarshRoseModel`] (besides `input` and `spike`).
    pub struct HindmarshRoseState {
        /// Membrane potential.
        v: "V",
        /// Recovery variable (spiking).
        y: "y",
        /// Adaptation current (bursting).
        z: "z",
    }
}

/// `dV/dt = y − aV³ + bV² − z + I`, `dy/dt = c − dV² − y`, `dz/dt = r(s(V − V_rest) − z)`.
struct HindmarshRoseOde<'a, R> {
    p: &'a HindmarshRoseParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for HindmarshRoseOde<'_, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        3
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, y, z, p) = (x[0].clone(), x[1].clone(), x[2].clone(), self.p);
        match k {
            // BrainPy's operation order: y − a·V·V·V + b·V·V − z + I, left to right.
            0 => {
                y - c(&p.a) * v.clone() * v.clone() * v.clone() + c(&p.b) * v.clone() * v - z
                    + c(&self.i)
            }
            1 => c(&p.c) - c(&p.d) * v.clone() * v - y,
            _ => c(&p.r) * (c(&p.s) * (v - c(&p.v_rest)) - z),
        }
    }
}

/// Hindmarsh–Rose neuron (Hindmarsh & Rose 1984), BrainPy `bp.neurons.HindmarshRose` (2.4.6).
///
/// **Equations** (dimensionless): `dV/dt = y − aV³ + bV² − z + I`, `dy/dt = c − dV² − y`,
/// `dz/dt = r(s(V − V_rest) − z)`, `I` the accumulated `input`.
///
/// **Discrete update** (step k): `(V, y, z) = method(V, y, z, I)` (exp_auto: each variable from
/// the old values of all three; plus `σ√dt·ξ` on V with noise). No reset, no refractoriness.
/// * NonBatching/Batching: `spike = V_old < V_th ≤ V` (upward crossing).
/// * Training: the same crossing as a float spike with the two-input surrogate
///   (`inv_square_grad2`). BrainPy's default passes the *one-input* `inv_square_grad` the pair
///   `(V − V_th, V_old − V_th)`, so there `V_old − V_th` becomes alpha and the Training spike is
///   Heaviside `V ≥ V_th` on every step above threshold (docs/zoo-reference.md); brainburn
///   keeps the crossing, as outside Training.
///
/// | parameter | default |
/// |---|---|
/// | `a`, `b`, `c`, `d` | 1, 3, 1, 5 |
/// | `r`, `s` | 0.01, 4 |
/// | `V_rest` | −1.6 |
/// | `V_th` | 1 |
/// | `V_initializer`, `y_initializer`, `z_initializer` | 0, −10, 0 |
///
/// States: `V`, `y`, `z`, `input`, `spike`.
/// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/neurons/reduced_models.py::HindmarshRose`;
/// oracle `tests/data/oracle_zoo/hindmarshrose_*`. BrainPy's `noise` goes on V, y and z;
/// brainburn adds it to V only.
#[derive(Clone, Debug)]
pub struct HindmarshRoseModel {
    method: Method,
    surrogate: TwoInputSurrogate,
}

/// A group of Hindmarsh–Rose neurons ([`HindmarshRoseModel`]).
pub type HindmarshRose = NeuGroup<HindmarshRoseModel>;

impl NeuronModel for HindmarshRoseModel {
    crate::compiled_in_brainburn!(neuron);
    const CLASS: &'static str = "HindmarshRose";
    type Config = HindmarshRoseConfig;
    type Params<R> = HindmarshRoseParams<R>;
    type State<R> = HindmarshRoseState<R>;

    fn build(cfg: &HindmarshRoseConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: HindmarshRoseModel {
                method: cfg.method,
                surrogate: cfg.surrogate.clone(),
            },
            params: cfg.params(),
            states: HindmarshRoseState {
                v: StateStart::Init(cfg.v_initializer.clone()),
                y: StateStart::Init(cfg.y_initializer.clone()),
                z: StateStart::Init(cfg.z_initializer.clone()),
            },
            noise: cfg.noise.clone(),
            noise_seed: cfg.noise_seed,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &HindmarshRoseParams<R>,
        s: &mut HindmarshRoseState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = HindmarshRoseOde { p, i: input };
        let x = [s.v.clone(), s.y.clone(), s.z.clone()];
        let [v, y, z] = integrate_array(&sys, self.method, x, cx.t(), cx.dt());
        let v = match cx.noise() {
            Some(n) => v + n,
            None => v,
        };
        let spike = crossing_spike(&s.v, &v, &p.v_th, cx, &self.surrogate);
        *s = HindmarshRoseState { v, y, z };
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

    /// One exp_auto step by hand from (V, y, z) = (0.5, −9, 0.2).
    #[test]
    fn one_step_is_exp_auto_of_the_equations() {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).expect("flex f64");
        let cfg = HindmarshRoseConfig {
            v_initializer: Initializer::constant(0.5),
            y_initializer: Initializer::constant(-9.0),
            z_initializer: Initializer::constant(0.2),
            ..Default::default()
        };
        let mut g = HindmarshRose::new(1, cfg, &c, Mode::NonBatching).expect("group");
        let (dt, i) = (0.05, 2.0);
        g.step_with(&StepTime::new(0, dt), Some(c.tensor(vec![i], [1, 1])))
            .expect("step");
        let (v, y, z) = (0.5f64, -9.0f64, 0.2f64);
        let ea = |x: f64, f: f64, a: f64| x + dt * (dt * a).exp_m1() / (dt * a) * f;
        let fv = y - v * v * v + 3.0 * v * v - z + i;
        let want = [
            ea(v, fv, -3.0 * v * v + 6.0 * v),
            ea(y, 1.0 - 5.0 * v * v - y, -1.0),
            ea(z, 0.01 * (4.0 * (v + 1.6) - z), -0.01),
        ];
        let st = g.states();
        for (k, key) in ["V", "y", "z"].iter().enumerate() {
            let got = to_f64_vec(st.f(key)).expect("read")[0];
            assert!((got - want[k]).abs() < 1e-12, "{key}: {got} vs {}", want[k]);
        }
        assert_eq!(
            <HindmarshRoseState<f64> as Fields<f64>>::KEYS,
            &["V", "y", "z"]
        );
    }
}
