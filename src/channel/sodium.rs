//! Voltage-gated sodium channels of the `p³q` type (BrainPy `sodium_compatible.py`).

use serde::{Deserialize, Serialize};

use super::{Channel, ChannelParams, markov_rhs, markov_steady};
use crate::integrate::Method;
use crate::math::{Dual, Real, TVal, x_over_expm1};
use crate::param::ParamSpec;

/// The rate functions of a `p³q` sodium channel, of `V` and the shift `V_sh`.
trait P3qRates {
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T;
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T;
    fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T;
    fn f_q_beta<T: Real>(v: T, v_sh: T) -> T;
}

/// `I = g_max·p³·q·(E − V)`.
pub(crate) fn p3q_current<T: Real>(g_max: T, p: T, q: T, e: T, v: T) -> T {
    g_max * p.powi(3) * q * (e - v)
}

const P3Q_GATES: &[&str] = &["p", "q"];

fn p3q_steady<R: P3qRates>(v: &TVal, p: &ChannelParams) -> Vec<TVal> {
    let sh = p.get("V_sh");
    vec![
        markov_steady(
            R::f_p_alpha(v.clone(), sh.clone()),
            R::f_p_beta(v.clone(), sh.clone()),
        ),
        markov_steady(
            R::f_q_alpha(v.clone(), sh.clone()),
            R::f_q_beta(v.clone(), sh),
        ),
    ]
}

fn p3q_gate<R: P3qRates>(i: usize, g: &[Dual<TVal>], v: &TVal, p: &ChannelParams) -> Dual<TVal> {
    let sh = p.get("V_sh");
    let (a, b) = match i {
        0 => (
            R::f_p_alpha(v.clone(), sh.clone()),
            R::f_p_beta(v.clone(), sh),
        ),
        1 => (
            R::f_q_alpha(v.clone(), sh.clone()),
            R::f_q_beta(v.clone(), sh),
        ),
        _ => panic!("a p3q channel has two gates, asked for gate {i}"),
    };
    markov_rhs(g[i].clone(), Dual::cst(a), Dual::cst(b), p.dual("phi"))
}

fn p3q_current_dual(v: Dual<TVal>, g: &[TVal], p: &ChannelParams) -> Dual<TVal> {
    p3q_current(
        p.dual("g_max"),
        Dual::cst(g[0].clone()),
        Dual::cst(g[1].clone()),
        p.dual("E"),
        v,
    )
}

macro_rules! p3q_channel {
    ($ty:ident, $class:literal) => {
        impl Channel for $ty {
            fn class_name(&self) -> &'static str {
                $class
            }
            fn gate_names(&self) -> &'static [&'static str] {
                P3Q_GATES
            }
            fn param_specs(&self) -> Vec<(&'static str, ParamSpec)> {
                vec![
                    ("E", self.e.clone()),
                    ("g_max", self.g_max.clone()),
                    ("phi", self.phi.clone()),
                    ("V_sh", self.v_sh.clone()),
                ]
            }
            fn nonnegative_params(&self) -> &'static [&'static str] {
                &["g_max"]
            }
            fn method(&self) -> Method {
                self.method
            }
            fn steady_state(&self, v: &TVal, p: &ChannelParams) -> Vec<TVal> {
                p3q_steady::<$ty>(v, p)
            }
            fn gate_derivative(
                &self,
                i: usize,
                gates: &[Dual<TVal>],
                v: &TVal,
                p: &ChannelParams,
            ) -> Dual<TVal> {
                p3q_gate::<$ty>(i, gates, v, p)
            }
            fn current(&self, v: Dual<TVal>, gates: &[TVal], p: &ChannelParams) -> Dual<TVal> {
                p3q_current_dual(v, gates, p)
            }
            fn clone_box(&self) -> Box<dyn Channel> {
                Box::new(self.clone())
            }
            fn host_kind(&self) -> Option<crate::fused::neurons::cond::HostChannelKind> {
                Some(crate::fused::neurons::cond::HostChannelKind::$ty)
            }
        }
    };
}

/// Hodgkin–Huxley (1952) sodium current (BrainPy `bp.channels.INa_HH1952`, 2.4.6).
///
/// `I = g_max·p³·q·(E − V)`, `dp/dt = φ(α_p(1 − p) − β_p p)`, `dq/dt = φ(α_q(1 − q) − β_q q)`:
///
/// * `α_p = 0.1(V − V_sh − 5)/(1 − exp(−(V − V_sh − 5)/10))` (removable singularity at
///   `V = V_sh + 5`, −40 mV by default: guarded, limit 1)
/// * `β_p = 4·exp(−(V − V_sh + 20)/18)`
/// * `α_q = 0.07·exp(−(V − V_sh + 20)/20)`
/// * `β_q = 1/(1 + exp(−(V − V_sh − 10)/10))`
///
/// With `V_sh = −45` these are the classic HH rates in the modern −65 mV convention.
/// Gates `p` (m) and `q` (h) start at `α/(α + β)`; both advance with `exp_auto` from the old V.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `E` | mV | 50 |
/// | `g_max` | mS/cm² | 120 |
/// | `phi` | — | 1 |
/// | `V_sh` | mV | −45 |
///
/// Reference: Hodgkin & Huxley, J Physiol 117:500 (1952); BrainPy 2.4.6
/// `brainpy/_src/dyn/channels/sodium_compatible.py::INa_HH1952`.
#[doc(alias = "INa_HH1952")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct INaHH1952 {
    /// Reversal potential `E` (mV). Default 50.
    #[serde(alias = "E")]
    pub e: ParamSpec,
    /// Maximal conductance `g_max` (mS/cm²). Default 120.
    pub g_max: ParamSpec,
    /// Temperature factor `phi`. Default 1.
    pub phi: ParamSpec,
    /// Voltage shift `V_sh` (mV). Default −45.
    #[serde(alias = "V_sh")]
    pub v_sh: ParamSpec,
    /// Integration method of the gates. Default `exp_auto`.
    pub method: Method,
}

impl Default for INaHH1952 {
    fn default() -> Self {
        INaHH1952 {
            e: 50.0.into(),
            g_max: 120.0.into(),
            phi: 1.0.into(),
            v_sh: (-45.0).into(),
            method: Method::ExpAuto,
        }
    }
}

impl INaHH1952 {
    /// `α_p(V) = 0.1·u/(1 − e^{−u/10})`, `u = V − V_sh − 5` (guarded at `u = 0`).
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let u = v - v_sh - 5.0;
        x_over_expm1(u / -10.0)
    }
    /// `β_p(V) = 4·exp(−(V − V_sh + 20)/18)`.
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh + 20.0) / -18.0).exp() * 4.0
    }
    /// `α_q(V) = 0.07·exp(−(V − V_sh + 20)/20)`.
    pub fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh + 20.0) / -20.0).exp() * 0.07
    }
    /// `β_q(V) = 1/(1 + exp(−(V − V_sh − 10)/10))`.
    pub fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        (((v - v_sh - 10.0) / -10.0).exp() + 1.0).recip()
    }
}

impl P3qRates for INaHH1952 {
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_p_alpha(v, v_sh)
    }
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_p_beta(v, v_sh)
    }
    fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_q_alpha(v, v_sh)
    }
    fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_q_beta(v, v_sh)
    }
}

p3q_channel!(INaHH1952, "INa_HH1952");

/// Traub–Miles (1991) sodium current (BrainPy `bp.channels.INa_TM1991`, 2.4.6), the sodium
/// current of the COBA-HH benchmark.
///
/// `I = g_max·p³·q·(E − V)`, `dp/dt = φ(α_p(1 − p) − β_p p)`, `dq/dt = φ(α_q(1 − q) − β_q q)`:
///
/// * `α_p = 0.32(13 − V + V_sh)/(exp((13 − V + V_sh)/4) − 1)` (removable singularity at
///   `V = V_sh + 13`, −50 mV by default: guarded, limit 1.28)
/// * `β_p = 0.28(V − V_sh − 40)/(exp((V − V_sh − 40)/5) − 1)` (removable singularity at
///   `V = V_sh + 40`, −23 mV by default: guarded, limit 1.4)
/// * `α_q = 0.128·exp((17 − V + V_sh)/18)`
/// * `β_q = 4/(1 + exp(−(V − V_sh − 40)/5))`
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `E` | mV | 50 |
/// | `g_max` | mS/cm² | 120 |
/// | `phi` | — | 1 |
/// | `V_sh` | mV | −63 |
///
/// Reference: Traub & Miles, *Neuronal Networks of the Hippocampus* (1991); BrainPy 2.4.6
/// `brainpy/_src/dyn/channels/sodium_compatible.py::INa_TM1991`.
#[doc(alias = "INa_TM1991")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct INaTM1991 {
    /// Reversal potential `E` (mV). Default 50.
    #[serde(alias = "E")]
    pub e: ParamSpec,
    /// Maximal conductance `g_max` (mS/cm²). Default 120.
    pub g_max: ParamSpec,
    /// Temperature factor `phi`. Default 1.
    pub phi: ParamSpec,
    /// Voltage shift `V_sh` (mV). Default −63.
    #[serde(alias = "V_sh")]
    pub v_sh: ParamSpec,
    /// Integration method of the gates. Default `exp_auto`.
    pub method: Method,
}

impl Default for INaTM1991 {
    fn default() -> Self {
        INaTM1991 {
            e: 50.0.into(),
            g_max: 120.0.into(),
            phi: 1.0.into(),
            v_sh: (-63.0).into(),
            method: Method::ExpAuto,
        }
    }
}

impl INaTM1991 {
    /// `α_p(V) = 0.32·u/(e^{u/4} − 1)`, `u = 13 − V + V_sh` (guarded at `u = 0`).
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let u = (v - v_sh).rsub(13.0);
        x_over_expm1(u / 4.0) * 1.28
    }
    /// `β_p(V) = 0.28·w/(e^{w/5} − 1)`, `w = V − V_sh − 40` (guarded at `w = 0`).
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        let w = v - v_sh - 40.0;
        x_over_expm1(w / 5.0) * 1.4
    }
    /// `α_q(V) = 0.128·exp((17 − V + V_sh)/18)`.
    pub fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh).rsub(17.0) / 18.0).exp() * 0.128
    }
    /// `β_q(V) = 4/(1 + exp(−(V − V_sh − 40)/5))`.
    pub fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        (((v - v_sh - 40.0) / -5.0).exp() + 1.0).rdiv(4.0)
    }
}

impl P3qRates for INaTM1991 {
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_p_alpha(v, v_sh)
    }
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_p_beta(v, v_sh)
    }
    fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_q_alpha(v, v_sh)
    }
    fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_q_beta(v, v_sh)
    }
}

p3q_channel!(INaTM1991, "INa_TM1991");

#[cfg(test)]
mod tests {
    use super::*;

    /// x/(eˣ − 1) by its Taylor series (|x| ≤ 1e-5: the x⁴ term is below 1e-23).
    fn series(x: f64) -> f64 {
        1.0 - x / 2.0 + x * x / 12.0
    }

    /// At each removable singularity and 1e-9, 1e-6 mV next to it: finite and equal to the
    /// analytic value within 1e-9 relative (the series is exact to ~1e-23 there).
    #[test]
    fn removable_singularities_are_finite_and_exact() {
        for d in [0.0, 1e-9, -1e-9, 1e-6, -1e-6] {
            // INa_HH1952 α_p at V = V_sh + 5 = −40: u = d, x = −d/10, α = x/(eˣ−1).
            let a = INaHH1952::f_p_alpha(-40.0 + d, -45.0);
            let want = series(-((-40.0 + d) + 45.0 - 5.0) / 10.0);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "{d}: {a}"
            );
            // INa_TM1991 α_p at V = V_sh + 13 = −50: 1.28·x/(eˣ−1), x = u/4.
            let v = -50.0 + d;
            let a = INaTM1991::f_p_alpha(v, -63.0);
            let want = 1.28 * series((13.0 - v - 63.0) / 4.0);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "{d}: {a}"
            );
            // INa_TM1991 β_p at V = V_sh + 40 = −23: 1.4·x/(eˣ−1), x = w/5.
            let v = -23.0 + d;
            let b = INaTM1991::f_p_beta(v, -63.0);
            let want = 1.4 * series((v + 63.0 - 40.0) / 5.0);
            assert!(
                b.is_finite() && ((b - want) / want).abs() < 1e-9,
                "{d}: {b}"
            );
        }
    }

    /// Away from the singularity the guarded forms equal BrainPy's quotients.
    #[test]
    fn rates_equal_brainpy_quotients_away_from_singularities() {
        for v in [-90.0, -65.0, -52.3, -30.0, 0.0, 35.0] {
            let sh = -45.0;
            let t = v - sh - 5.0;
            let bp = 0.1 * t / (1.0 - (-t / 10.0f64).exp());
            let a = INaHH1952::f_p_alpha(v, sh);
            assert!(((a - bp) / bp).abs() < 1e-13, "{v}: {a} vs {bp}");
            let sh = -63.0;
            let t = 13.0 - v + sh;
            let bp = 0.32 * t / ((t / 4.0f64).exp() - 1.0);
            let a = INaTM1991::f_p_alpha(v, sh);
            assert!(((a - bp) / bp).abs() < 1e-13, "{v}: {a} vs {bp}");
            let t = v - sh - 40.0;
            let bp = 0.28 * t / ((t / 5.0f64).exp() - 1.0);
            let b = INaTM1991::f_p_beta(v, sh);
            assert!(((b - bp) / bp).abs() < 1e-13, "{v}: {b} vs {bp}");
        }
    }
}
