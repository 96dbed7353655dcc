//! Wang–Buzsáki interneuron (BrainPy's `bp.neurons.WangBuzsakiModel`).

use serde::{Deserialize, Serialize};

use super::{NeuronGroup, add_noise, ge};
use crate::backend::Ctx;
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate};
use crate::math::{Real, TVal, x_over_expm1};
use crate::mode::Mode;
use crate::param::{NParam, ParamSpec, Params};
use crate::state::{StateInit, StateTensor};
use crate::surrogate::TwoInputSurrogate;

/// Configuration of a [`WangBuzsakiModel`]; `Default` gives the true defaults of BrainPy's
/// code (its docstring lists HH's values by mistake).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WangBuzsakiConfig {
    /// Sodium reversal potential `ENa` (mV). Default 55.
    #[serde(alias = "ENa")]
    pub e_na: ParamSpec,
    /// Sodium conductance `gNa` (mS/cm²). Default 35.
    #[serde(alias = "gNa")]
    pub g_na: ParamSpec,
    /// Potassium reversal potential `EK` (mV). Default −90.
    #[serde(alias = "EK")]
    pub e_k: ParamSpec,
    /// Potassium conductance `gK` (mS/cm²). Default 9.
    #[serde(alias = "gK")]
    pub g_k: ParamSpec,
    /// Leak reversal potential `EL` (mV). Default −65.
    #[serde(alias = "EL")]
    pub e_l: ParamSpec,
    /// Leak conductance `gL` (mS/cm²). Default 0.1.
    #[serde(alias = "gL")]
    pub g_l: ParamSpec,
    /// Spike threshold `V_th` (mV). Default 20.
    #[serde(alias = "V_th")]
    pub v_th: ParamSpec,
    /// Temperature factor `phi` of the h and n kinetics. Default 5.
    pub phi: ParamSpec,
    /// Membrane capacitance `C` (µF/cm²). Default 1.
    #[serde(alias = "C")]
    pub c: ParamSpec,
    /// Initial V (mV). Default −65.
    #[serde(alias = "V_initializer")]
    pub v_initializer: Initializer,
    /// Initial h. Default 0.6.
    pub h_initializer: Initializer,
    /// Initial n. Default 0.32.
    pub n_initializer: Initializer,
    /// Noise σ on V (Euler–Maruyama), none by default.
    pub noise: Option<ParamSpec>,
    /// Seed of the noise stream.
    pub noise_seed: u64,
    /// Integration method of (V, h, n). Default `exp_auto`.
    pub method: Method,
    /// The crossing surrogate of the spike in Training mode. Default `InvSquareGrad2(α=100)`.
    pub surrogate: TwoInputSurrogate,
}

impl Default for WangBuzsakiConfig {
    fn default() -> Self {
        WangBuzsakiConfig {
            e_na: 55.0.into(),
            g_na: 35.0.into(),
            e_k: (-90.0).into(),
            g_k: 9.0.into(),
            e_l: (-65.0).into(),
            g_l: 0.1.into(),
            v_th: 20.0.into(),
            phi: 5.0.into(),
            c: 1.0.into(),
            v_initializer: Initializer::constant(-65.0),
            h_initializer: Initializer::constant(0.6),
            n_initializer: Initializer::constant(0.32),
            noise: None,
            noise_seed: 0,
            method: Method::ExpAuto,
            surrogate: TwoInputSurrogate::default(),
        }
    }
}

/// `α_m(V) = −0.1(V + 35)/(exp(−0.1(V + 35)) − 1)`, guarded at V = −35 (limit 1).
pub fn alpha_m<T: Real>(v: T) -> T {
    x_over_expm1((v + 35.0) * -0.1)
}

/// `β_m(V) = 4·exp(−(V + 60)/18)`.
pub fn beta_m<T: Real>(v: T) -> T {
    ((v + 60.0) / -18.0).exp() * 4.0
}

/// `m∞ = α_m/(α_m + β_m)` (instantaneous activation).
pub fn m_inf<T: Real>(v: T) -> T {
    let a = alpha_m(v.clone());
    a.clone() / (a + beta_m(v))
}

/// `α_h(V) = 0.07·exp(−(V + 58)/20)`.
pub fn alpha_h<T: Real>(v: T) -> T {
    ((v + 58.0) / -20.0).exp() * 0.07
}

/// `β_h(V) = 1/(exp(−0.1(V + 28)) + 1)`.
pub fn beta_h<T: Real>(v: T) -> T {
    (((v + 28.0) * -0.1).exp() + 1.0).recip()
}

/// `α_n(V) = −0.01(V + 34)/(exp(−0.1(V + 34)) − 1)`, guarded at V = −34 (limit 0.1).
pub fn alpha_n<T: Real>(v: T) -> T {
    x_over_expm1((v + 34.0) * -0.1) * 0.1
}

/// `β_n(V) = 0.125·exp(−(V + 44)/80)`.
pub fn beta_n<T: Real>(v: T) -> T {
    ((v + 44.0) / -80.0).exp() * 0.125
}

/// The parameters of the model equations, in any number type.
#[derive(Clone, Debug)]
pub struct WbParams<T> {
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
    /// `phi`.
    pub phi: T,
    /// `C`.
    pub c: T,
}

impl<R: Clone> WbParams<R> {
    /// The same parameters in another number type.
    pub fn cast<T: From<R>>(&self) -> WbParams<T> {
        WbParams {
            e_na: T::from(self.e_na.clone()),
            g_na: T::from(self.g_na.clone()),
            e_k: T::from(self.e_k.clone()),
            g_k: T::from(self.g_k.clone()),
            e_l: T::from(self.e_l.clone()),
            g_l: T::from(self.g_l.clone()),
            phi: T::from(self.phi.clone()),
            c: T::from(self.c.clone()),
        }
    }
}

/// `dV/dt = (−gNa m∞³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I)/C`.
pub fn wb_dv<T: Real>(v: T, h: T, n: T, i: T, p: &WbParams<T>) -> T {
    let i_na = p.g_na.clone() * m_inf(v.clone()).powi(3) * h * (v.clone() - p.e_na.clone());
    let i_k = p.g_k.clone() * n.powi(4) * (v.clone() - p.e_k.clone());
    let i_l = p.g_l.clone() * (v - p.e_l.clone());
    (-i_na - i_k - i_l + i) / p.c.clone()
}

/// `dh/dt = φ(α_h(1 − h) − β_h h)`.
pub fn wb_dh<T: Real>(h: T, v: T, phi: T) -> T {
    let (a, b) = (alpha_h(v.clone()), beta_h(v));
    phi * (a * h.clone().rsub(1.0) - b * h)
}

/// `dn/dt = φ(α_n(1 − n) − β_n n)`.
pub fn wb_dn<T: Real>(n: T, v: T, phi: T) -> T {
    let (a, b) = (alpha_n(v.clone()), beta_n(v));
    phi * (a * n.clone().rsub(1.0) - b * n)
}

struct WbOde {
    p: WbParams<TVal>,
    i: TVal,
}

impl OdeSystem<TVal> for WbOde {
    fn n_vars(&self) -> usize {
        3
    }
    fn derivative<T: Real + From<TVal>>(&self, k: usize, x: &[T], _t: f64) -> T {
        match k {
            0 => wb_dv(
                x[0].clone(),
                x[1].clone(),
                x[2].clone(),
                T::from(self.i.clone()),
                &self.p.cast(),
            ),
            1 => wb_dh(x[1].clone(), x[0].clone(), T::from(self.p.phi.clone())),
            _ => wb_dn(x[2].clone(), x[0].clone(), T::from(self.p.phi.clone())),
        }
    }
}

/// Checks that every value of the built parameter `key` satisfies `ok` (`what` says how).
pub(crate) fn check_param(
    params: &Params,
    key: &str,
    label: &str,
    ok: fn(f64) -> bool,
    what: &str,
) -> Result<()> {
    for x in params.get(key).host_values()? {
        if !ok(x) {
            return Err(Error::arg(label, format!("must be {what}, got {x}")));
        }
    }
    Ok(())
}

/// The spike of a threshold crossing, `V_old < V_th ≤ V_new`: bool outside Training, float
/// with the two-input crossing surrogate on `(V_new − V_th, V_old − V_th)` in Training.
pub(crate) fn crossing_spike(
    v_old: &burn::tensor::Tensor<2>,
    v_new: &burn::tensor::Tensor<2>,
    v_th: &TVal,
    mode: Mode,
    surrogate: &TwoInputSurrogate,
) -> StateTensor {
    if mode.is_training() {
        let x_new = (TVal::T(v_new.clone()) - v_th.clone()).into_tensor_like(v_new);
        let x_old = (TVal::T(v_old.clone()) - v_th.clone()).into_tensor_like(v_old);
        StateTensor::Float(surrogate.apply(x_new, x_old))
    } else {
        let above = ge(v_new.clone(), v_th);
        let was_below = ge(v_old.clone(), v_th).bool_not();
        StateTensor::Bool(above.bool_and(was_below))
    }
}

/// Wang–Buzsáki fast-spiking interneuron (BrainPy `bp.neurons.WangBuzsakiModel`, 2.4.6).
///
/// **Equations** (V in mV, t in ms, `I` the accumulated `input` in µA/cm²):
///
/// `C dV/dt = −gNa m∞³ h (V − ENa) − gK n⁴ (V − EK) − gL (V − EL) + I`,
/// `dh/dt = φ(α_h(1 − h) − β_h h)`, `dn/dt = φ(α_n(1 − n) − β_n n)`,
///
/// with `m∞ = α_m/(α_m + β_m)`, `α_m = −0.1(V + 35)/(exp(−0.1(V + 35)) − 1)`,
/// `β_m = 4 exp(−(V + 60)/18)`, `α_h = 0.07 exp(−(V + 58)/20)`,
/// `β_h = 1/(exp(−0.1(V + 28)) + 1)`, `α_n = −0.01(V + 34)/(exp(−0.1(V + 34)) − 1)`,
/// `β_n = 0.125 exp(−(V + 44)/80)`. The removable singularities of α_m (V = −35) and α_n
/// (V = −34) are evaluated with the guarded `x/(eˣ − 1)`, so no V gives NaN (BrainPy 2.4.6
/// does).
///
/// **Discrete update** (step k, `t = k·dt`): (V, h, n) advance as one joint system with the
/// group's method, every variable from the start-of-step values (exp_auto: `x⁺ = x +
/// dt·φ(dt·∂f/∂x)·f` per variable, Jacobi style, as BrainPy's `JointEq`); with noise,
/// `V⁺ += σ√dt·ξ`. Spike: `V_old < V_th ≤ V⁺` — bool in NonBatching/Batching; in Training a
/// float with the two-input crossing surrogate (`inv_square_grad2`, α = 100) on
/// `(V⁺ − V_th, V_old − V_th)` (BrainPy stores bool spikes even in Training; SPEC §3).
/// No reset.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `ENa` | mV | 55 |
/// | `gNa` | mS/cm² | 35 |
/// | `EK` | mV | −90 |
/// | `gK` | mS/cm² | 9 |
/// | `EL` | mV | −65 |
/// | `gL` | mS/cm² | 0.1 |
/// | `V_th` | mV | 20 |
/// | `phi` | — | 5 |
/// | `C` | µF/cm² | 1 |
/// | `V_initializer` | mV | −65 |
/// | `h_initializer` | — | 0.6 |
/// | `n_initializer` | — | 0.32 |
///
/// Every parameter may be per-neuron, an initializer, and trainable. States: `V`, `h`, `n`,
/// `input`, `spike`.
///
/// Reference: Wang & Buzsáki, J Neurosci 16:6402 (1996); BrainPy 2.4.6
/// `brainpy/_src/dyn/neurons/hh.py::WangBuzsakiHHLTC`. `oracle` cases b (f–I curve) and
/// h (`wb_one_step`) pin it.
#[derive(Clone, Debug)]
pub struct WangBuzsakiModel {
    core: Core,
    geometry: Geometry,
    method: Method,
    surrogate: TwoInputSurrogate,
    noise_seed: u64,
}

impl WangBuzsakiModel {
    /// A group of `size` neurons named `WangBuzsakiModel<k>`.
    pub fn new(
        size: impl IntoGeometry,
        cfg: WangBuzsakiConfig,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// A group with an explicit name (`None` for the default).
    pub fn named(
        size: impl IntoGeometry,
        cfg: WangBuzsakiConfig,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        let vs = geometry.varshape();
        let mut core = Core::new("WangBuzsakiModel", name, ctx, mode)?;
        let p = &mut core.params;
        p.build("ENa", &cfg.e_na, &vs, ctx)?;
        p.build("gNa", &cfg.g_na, &vs, ctx)?;
        p.build("EK", &cfg.e_k, &vs, ctx)?;
        p.build("gK", &cfg.g_k, &vs, ctx)?;
        p.build("EL", &cfg.e_l, &vs, ctx)?;
        p.build("gL", &cfg.g_l, &vs, ctx)?;
        p.build("V_th", &cfg.v_th, &vs, ctx)?;
        p.build("phi", &cfg.phi, &vs, ctx)?;
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
        cfg.h_initializer.validate("h_initializer")?;
        cfg.n_initializer.validate("n_initializer")?;
        let s = &mut core.states;
        s.declare("V", StateInit::Float(cfg.v_initializer.clone()), vs.clone());
        s.declare("h", StateInit::Float(cfg.h_initializer.clone()), vs.clone());
        s.declare("n", StateInit::Float(cfg.n_initializer.clone()), vs.clone());
        s.declare("input", StateInit::Float(Initializer::Zero), vs.clone());
        s.declare("spike", StateInit::Spike, vs.clone());
        core.states.reset(ctx, core.mode)?;
        Ok(WangBuzsakiModel {
            core,
            geometry,
            method: cfg.method,
            surrogate: cfg.surrogate,
            noise_seed: cfg.noise_seed,
        })
    }

    fn ode_params(&self) -> WbParams<TVal> {
        let p = &self.core.params;
        WbParams {
            e_na: p.tval("ENa"),
            g_na: p.tval("gNa"),
            e_k: p.tval("EK"),
            g_k: p.tval("gK"),
            e_l: p.tval("EL"),
            g_l: p.tval("gL"),
            phi: p.tval("phi"),
            c: p.tval("C"),
        }
    }
}

impl Dynamics for WangBuzsakiModel {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "WangBuzsakiModel"
    }
}

impl NeuronGroup for WangBuzsakiModel {
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
            crate::fused::neurons::wb::WbKernel::<E>::new(core, method, None, seed)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let s = &self.core.states;
        let (v, h, n) = (s.f("V"), s.f("h"), s.f("n"));
        let sys = WbOde {
            p: self.ode_params(),
            i: TVal::T(s.f("input")),
        };
        let x = [TVal::T(v.clone()), TVal::T(h.clone()), TVal::T(n.clone())];
        let mut out = integrate(&sys, self.method, &x, ts.t, ts.dt).into_iter();
        let mut next = |like: &burn::tensor::Tensor<2>| {
            out.next()
                .expect("integrate returns one value per variable")
                .into_tensor_like(like)
        };
        let v_new = next(&v);
        let h_new = next(&h);
        let n_new = next(&n);
        let noise = self.core.params.try_get("noise").map(NParam::tval);
        let v_new = add_noise(v_new, noise.as_ref(), self.noise_seed, ts, &self.core.ctx);
        let spike = crossing_spike(
            &v,
            &v_new,
            &self.core.params.tval("V_th"),
            self.core.mode,
            &self.surrogate,
        );
        let s = &mut self.core.states;
        s.set_f("V", v_new);
        s.set_f("h", h_new);
        s.set_f("n", n_new);
        s.set("spike", spike);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x/(eˣ − 1) by its Taylor series (|x| ≤ 1e-6: the omitted x⁴/720 is below 1e-26).
    fn series(x: f64) -> f64 {
        1.0 - x / 2.0 + x * x / 12.0
    }

    /// α_m at V = −35 and α_n at V = −34, exactly and 1e-9, 1e-6 mV away: finite and equal to
    /// the analytic value within 1e-9 relative.
    #[test]
    fn removable_singularities_are_finite_and_exact() {
        for d in [0.0, 1e-9, -1e-9, 1e-6, -1e-6] {
            let v = -35.0 + d;
            let a = alpha_m(v);
            let want = series((v + 35.0) * -0.1);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "α_m {d}: {a}"
            );
            let v = -34.0 + d;
            let a = alpha_n(v);
            let want = 0.1 * series((v + 34.0) * -0.1);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "α_n {d}: {a}"
            );
        }
        assert_eq!(alpha_m(-35.0f64), 1.0);
        assert_eq!(alpha_n(-34.0f64), 0.1);
    }

    /// Away from the singularities the guarded forms equal BrainPy's quotients.
    #[test]
    fn rates_equal_brainpy_quotients() {
        for v in [-90.0f64, -65.0, -40.2, -20.0, 0.0, 30.0] {
            let bp_m = -0.1 * (v + 35.0) / ((-0.1 * (v + 35.0)).exp() - 1.0);
            let bp_n = -0.01 * (v + 34.0) / ((-0.1 * (v + 34.0)).exp() - 1.0);
            assert!(((alpha_m(v) - bp_m) / bp_m).abs() < 1e-13, "{v}");
            assert!(((alpha_n(v) - bp_n) / bp_n).abs() < 1e-13, "{v}");
        }
    }
}
