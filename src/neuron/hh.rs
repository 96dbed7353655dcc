//! The classic Hodgkin–Huxley neuron (BrainPy's `bp.neurons.HH` / `bp.dyn.HHLTC`).

use serde::{Deserialize, Serialize};

use super::NeuronGroup;
use super::add_noise;
use super::wang_buzsaki::{check_param, crossing_spike};
use crate::backend::Ctx;
use crate::channel::markov_steady;
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::Result;
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate};
use crate::math::{Real, TVal, x_over_expm1};
use crate::mode::Mode;
use crate::param::{NParam, ParamSpec};
use crate::state::StateInit;
use crate::surrogate::TwoInputSurrogate;

/// Configuration of an [`Hh`] group; `Default` gives BrainPy's defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HhConfig {
    /// Sodium reversal potential `ENa` (mV). Default 50.
    #[serde(alias = "ENa")]
    pub e_na: ParamSpec,
    /// Sodium conductance `gNa` (mS/cm²). Default 120.
    #[serde(alias = "gNa")]
    pub g_na: ParamSpec,
    /// Potassium reversal potential `EK` (mV). Default −77.
    #[serde(alias = "EK")]
    pub e_k: ParamSpec,
    /// Potassium conductance `gK` (mS/cm²). Default 36.
    #[serde(alias = "gK")]
    pub g_k: ParamSpec,
    /// Leak reversal potential `EL` (mV). Default −54.387.
    #[serde(alias = "EL")]
    pub e_l: ParamSpec,
    /// Leak conductance `gL` (mS/cm²). Default 0.03 (BrainPy's; the 1952 paper has 0.3).
    #[serde(alias = "gL")]
    pub g_l: ParamSpec,
    /// Spike threshold `V_th` (mV). Default 20.
    #[serde(alias = "V_th")]
    pub v_th: ParamSpec,
    /// Membrane capacitance `C` (µF/cm²). Default 1.
    #[serde(alias = "C")]
    pub c: ParamSpec,
    /// Initial V (mV). Default `Uniform(−70, −60)` (BrainPy's; seeded, seed 0).
    #[serde(alias = "V_initializer")]
    pub v_initializer: Initializer,
    /// Initial m; `None` (default) = steady state `α_m/(α_m + β_m)` at the initial V.
    pub m_initializer: Option<Initializer>,
    /// Initial h; `None` (default) = steady state at the initial V.
    pub h_initializer: Option<Initializer>,
    /// Initial n; `None` (default) = steady state at the initial V.
    pub n_initializer: Option<Initializer>,
    /// Noise σ on V (Euler–Maruyama), none by default.
    pub noise: Option<ParamSpec>,
    /// Seed of the noise stream.
    pub noise_seed: u64,
    /// Integration method of (V, m, h, n). Default `exp_auto`.
    pub method: Method,
    /// The crossing surrogate of the spike in Training mode. Default `InvSquareGrad2(α=100)`.
    pub surrogate: TwoInputSurrogate,
}

impl Default for HhConfig {
    fn default() -> Self {
        HhConfig {
            e_na: 50.0.into(),
            g_na: 120.0.into(),
            e_k: (-77.0).into(),
            g_k: 36.0.into(),
            e_l: (-54.387).into(),
            g_l: 0.03.into(),
            v_th: 20.0.into(),
            c: 1.0.into(),
            v_initializer: Initializer::uniform(-70.0, -60.0, 0),
            m_initializer: None,
            h_initializer: None,
            n_initializer: None,
            noise: None,
            noise_seed: 0,
            method: Method::ExpAuto,
            surrogate: TwoInputSurrogate::default(),
        }
    }
}

/// `α_m = 0.1(V + 40)/(1 − exp(−(V + 40)/10))`, guarded at V = −40 (limit 1).
pub fn m_alpha<T: Real>(v: T) -> T {
    x_over_expm1((v + 40.0) / -10.0)
}
/// `β_m = 4·exp(−(V + 65)/18)`.
pub fn m_beta<T: Real>(v: T) -> T {
    ((v + 65.0) / -18.0).exp() * 4.0
}
/// `α_h = 0.07·exp(−(V + 65)/20)`.
pub fn h_alpha<T: Real>(v: T) -> T {
    ((v + 65.0) / -20.0).exp() * 0.07
}
/// `β_h = 1/(1 + exp(−(V + 35)/10))`.
pub fn h_beta<T: Real>(v: T) -> T {
    (((v + 35.0) / -10.0).exp() + 1.0).recip()
}
/// `α_n = 0.01(V + 55)/(1 − exp(−(V + 55)/10))`, guarded at V = −55 (limit 0.1).
pub fn n_alpha<T: Real>(v: T) -> T {
    x_over_expm1((v + 55.0) / -10.0) * 0.1
}
/// `β_n = 0.125·exp(−(V + 65)/80)`.
pub fn n_beta<T: Real>(v: T) -> T {
    ((v + 65.0) / -80.0).exp() * 0.125
}

/// The parameters of the HH equations, in any number type.
#[derive(Clone, Debug)]
pub struct HhParams<T> {
    /// `ENa`.
    pub e_na: T,
    /// `gNa`.
    pub g_na: T,
    /// `EK`.
    pub e_k: T,
    /// `gK`.
    pub g_k: T,
    /// `EL`.
    pub e_l: T,
    /// `gL`.
    pub g_l: T,
    /// `C`.
    pub c: T,
}

impl<R: Clone> HhParams<R> {
    /// The same parameters in another number type.
    pub fn cast<T: From<R>>(&self) -> HhParams<T> {
        HhParams {
            e_na: T::from(self.e_na.clone()),
            g_na: T::from(self.g_na.clone()),
            e_k: T::from(self.e_k.clone()),
            g_k: T::from(self.g_k.clone()),
            e_l: T::from(self.e_l.clone()),
            g_l: T::from(self.g_l.clone()),
            c: T::from(self.c.clone()),
        }
    }
}

/// `dV/dt = (−gNa m³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I)/C`.
pub fn hh_dv<T: Real>(v: T, m: T, h: T, n: T, i: T, p: &HhParams<T>) -> T {
    let i_na = p.g_na.clone() * m.powi(3) * h * (v.clone() - p.e_na.clone());
    let i_k = p.g_k.clone() * n.powi(4) * (v.clone() - p.e_k.clone());
    let i_l = p.g_l.clone() * (v - p.e_l.clone());
    (-i_na - i_k - i_l + i) / p.c.clone()
}

/// `dx/dt = α(1 − x) − β x` for a gate with rates `alpha`, `beta`.
pub fn hh_dgate<T: Real>(x: T, alpha: T, beta: T) -> T {
    alpha * x.clone().rsub(1.0) - beta * x
}

struct HhOde {
    p: HhParams<TVal>,
    i: TVal,
}

impl OdeSystem<TVal> for HhOde {
    fn n_vars(&self) -> usize {
        4
    }
    fn derivative<T: Real + From<TVal>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let v = x[0].clone();
        match k {
            0 => hh_dv(
                v,
                x[1].clone(),
                x[2].clone(),
                x[3].clone(),
                T::from(self.i.clone()),
                &self.p.cast(),
            ),
            1 => hh_dgate(x[1].clone(), m_alpha(v.clone()), m_beta(v)),
            2 => hh_dgate(x[2].clone(), h_alpha(v.clone()), h_beta(v)),
            _ => hh_dgate(x[3].clone(), n_alpha(v.clone()), n_beta(v)),
        }
    }
}

/// The classic Hodgkin–Huxley neuron (BrainPy `bp.neurons.HH` = `bp.dyn.HHLTC`, 2.4.6).
///
/// **Equations** (V in mV, t in ms, `I` the accumulated `input` in µA/cm²):
///
/// `C dV/dt = −gNa m³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I`,
/// `dx/dt = α_x(1 − x) − β_x x` for x ∈ {m, h, n}, with
/// `α_m = 0.1(V + 40)/(1 − exp(−(V + 40)/10))`, `β_m = 4 exp(−(V + 65)/18)`,
/// `α_h = 0.07 exp(−(V + 65)/20)`, `β_h = 1/(1 + exp(−(V + 35)/10))`,
/// `α_n = 0.01(V + 55)/(1 − exp(−(V + 55)/10))`, `β_n = 0.125 exp(−(V + 65)/80)` — the
/// `INa_HH1952`/`IK_HH1952` rates at `V_sh = −45`. The removable singularities of α_m
/// (V = −40) and α_n (V = −55) are guarded.
///
/// It stands alone (one joint system, BrainPy's structure and state names `m`, `h`, `n`)
/// rather than being a [`CondNeuGroup`](super::CondNeuGroup) with channels; a CondNeuGroup
/// with `INa_HH1952`, `IK_HH1952 { E: −77, g_max: 36 }` and `IL { E: −54.387, g_max: 0.03 }`
/// and `V_th = 20` integrates the same equations in the same (Jacobi) order: V from the old
/// gates, gates from the old V.
///
/// **Discrete update** (step k, `t = k·dt`): (V, m, h, n) advance as one joint system with the
/// group's method, every variable from the start-of-step values (exp_auto per variable, as
/// BrainPy's `JointEq`); with noise `V⁺ += σ√dt·ξ`. Spike: `V_old < V_th ≤ V⁺` — bool in
/// NonBatching/Batching, a float with the two-input crossing surrogate (`inv_square_grad2`,
/// α = 100) in Training. No reset. (BrainPy writes `m ** 3.0` with a float exponent, i.e.
/// `pow`; brainburn multiplies, `m·m²`: the values agree to rounding.)
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `ENa` | mV | 50 |
/// | `gNa` | mS/cm² | 120 |
/// | `EK` | mV | −77 |
/// | `gK` | mS/cm² | 36 |
/// | `EL` | mV | −54.387 |
/// | `gL` | mS/cm² | 0.03 |
/// | `V_th` | mV | 20 |
/// | `C` | µF/cm² | 1 |
/// | `V_initializer` | mV | Uniform(−70, −60), seeded |
/// | `m/h/n_initializer` | — | steady state at V₀ |
///
/// States: `V`, `m`, `h`, `n`, `input`, `spike`; gates given no initializer return to their
/// steady state at the new V on every `reset_state`.
///
/// Reference: Hodgkin & Huxley, J Physiol 117:500 (1952); BrainPy 2.4.6
/// `brainpy/_src/dyn/neurons/hh.py::HHLTC`.
#[derive(Clone, Debug)]
pub struct Hh {
    core: Core,
    geometry: Geometry,
    method: Method,
    surrogate: TwoInputSurrogate,
    noise_seed: u64,
    /// Which of m, h, n start at steady state.
    steady: [bool; 3],
}

impl Hh {
    /// A group of `size` neurons named `HH<k>`.
    pub fn new(size: impl IntoGeometry, cfg: HhConfig, ctx: &Ctx, mode: Mode) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// A group with an explicit name (`None` for the default).
    pub fn named(
        size: impl IntoGeometry,
        cfg: HhConfig,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        let vs = geometry.varshape();
        let mut core = Core::new("HH", name, ctx, mode)?;
        let p = &mut core.params;
        p.build("ENa", &cfg.e_na, &vs, ctx)?;
        p.build("gNa", &cfg.g_na, &vs, ctx)?;
        p.build("EK", &cfg.e_k, &vs, ctx)?;
        p.build("gK", &cfg.g_k, &vs, ctx)?;
        p.build("EL", &cfg.e_l, &vs, ctx)?;
        p.build("gL", &cfg.g_l, &vs, ctx)?;
        p.build("V_th", &cfg.v_th, &vs, ctx)?;
        p.build("C", &cfg.c, &vs, ctx)?;
        check_param(p, "C", "C", |x| x > 0.0, "positive")?;
        for g in ["gNa", "gK", "gL"] {
            check_param(p, g, g, |x| x >= 0.0, "non-negative")?;
        }
        // In `params` (under `noise`) so that device moves, optimizers and state dicts see it.
        if let Some(n) = &cfg.noise {
            core.params.build("noise", n, &vs, ctx)?;
        }
        cfg.v_initializer.validate("V_initializer")?;
        let s = &mut core.states;
        s.declare("V", StateInit::Float(cfg.v_initializer.clone()), vs.clone());
        let mut steady = [false; 3];
        for (k, (key, init)) in [
            ("m", &cfg.m_initializer),
            ("h", &cfg.h_initializer),
            ("n", &cfg.n_initializer),
        ]
        .into_iter()
        .enumerate()
        {
            let init = match init {
                Some(i) => {
                    i.validate(&format!("{key}_initializer"))?;
                    i.clone()
                }
                None => {
                    steady[k] = true;
                    Initializer::Zero
                }
            };
            s.declare(key, StateInit::Float(init), vs.clone());
        }
        s.declare("input", StateInit::Float(Initializer::Zero), vs.clone());
        s.declare("spike", StateInit::Spike, vs.clone());
        core.states.reset(ctx, core.mode)?;
        let mut hh = Hh {
            core,
            geometry,
            method: cfg.method,
            surrogate: cfg.surrogate,
            noise_seed: cfg.noise_seed,
            steady,
        };
        hh.init_gates();
        Ok(hh)
    }

    /// Puts the gates without an initializer at their steady state at the current V.
    fn init_gates(&mut self) {
        let v = self.core.states.f("V");
        let tv = TVal::T(v.clone());
        let values = [
            markov_steady(m_alpha(tv.clone()), m_beta(tv.clone())),
            markov_steady(h_alpha(tv.clone()), h_beta(tv.clone())),
            markov_steady(n_alpha(tv.clone()), n_beta(tv)),
        ];
        for ((key, steady), x) in ["m", "h", "n"].into_iter().zip(self.steady).zip(values) {
            if steady {
                self.core.states.set_f(key, x.into_tensor_like(&v));
            }
        }
    }
}

impl Dynamics for Hh {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "HH"
    }

    /// Re-creates every state from its initializer, then puts the gates without one at their
    /// steady state at the new V.
    fn reset_state(&mut self, batch: Option<usize>) -> Result<()> {
        self.core.reset(batch)?;
        self.init_gates();
        Ok(())
    }
}

impl NeuronGroup for Hh {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        let (core, method, seed) = (&self.core, self.method, self.noise_seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            // `noise` is a parameter of the core.
            crate::fused::neurons::hh::HhKernel::<E>::new(core, method, None, seed)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let s = &self.core.states;
        let p = &self.core.params;
        let v = s.f("V");
        let sys = HhOde {
            p: HhParams {
                e_na: p.tval("ENa"),
                g_na: p.tval("gNa"),
                e_k: p.tval("EK"),
                g_k: p.tval("gK"),
                e_l: p.tval("EL"),
                g_l: p.tval("gL"),
                c: p.tval("C"),
            },
            i: TVal::T(s.f("input")),
        };
        let x = [
            TVal::T(v.clone()),
            TVal::T(s.f("m")),
            TVal::T(s.f("h")),
            TVal::T(s.f("n")),
        ];
        let out: Vec<_> = integrate(&sys, self.method, &x, ts.t, ts.dt)
            .into_iter()
            .map(|x| x.into_tensor_like(&v))
            .collect();
        let [v_new, m, h, n]: [_; 4] = out
            .try_into()
            .expect("integrate returns one value per variable");
        let noise = self.core.params.try_get("noise").map(NParam::tval);
        let v_new = add_noise(v_new, noise.as_ref(), self.noise_seed, ts, &self.core.ctx);
        let spike = crossing_spike(&v, &v_new, &p.tval("V_th"), self.core.mode, &self.surrogate);
        let s = &mut self.core.states;
        s.set_f("V", v_new);
        s.set_f("m", m);
        s.set_f("h", h);
        s.set_f("n", n);
        s.set("spike", spike);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{IKHH1952, INaHH1952};

    /// The HH rates are the HH1952 channels' at V_sh = −45 (to rounding of the shift).
    #[test]
    fn rates_equal_hh1952_channels_at_default_shift() {
        for v in [-90.0f64, -65.0, -55.0, -40.0, -12.5, 30.0] {
            let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-12;
            assert!(close(m_alpha(v), INaHH1952::f_p_alpha(v, -45.0)), "{v}");
            assert!(close(m_beta(v), INaHH1952::f_p_beta(v, -45.0)), "{v}");
            assert!(close(h_alpha(v), INaHH1952::f_q_alpha(v, -45.0)), "{v}");
            assert!(close(h_beta(v), INaHH1952::f_q_beta(v, -45.0)), "{v}");
            assert!(close(n_alpha(v), IKHH1952::f_p_alpha(v, -45.0)), "{v}");
            assert!(close(n_beta(v), IKHH1952::f_p_beta(v, -45.0)), "{v}");
        }
        assert_eq!(m_alpha(-40.0f64), 1.0);
        assert_eq!(n_alpha(-55.0f64), 0.1);
    }
}
