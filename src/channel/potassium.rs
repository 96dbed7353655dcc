//! Voltage-gated potassium channels of the `p⁴` type (BrainPy `potassium_compatible.py`).

use serde::{Deserialize, Serialize};

use super::{Channel, ChannelParams, markov_rhs, markov_steady};
use crate::integrate::Method;
use crate::math::{Dual, Real, TVal, x_over_expm1};
use crate::param::ParamSpec;

/// The rate functions of a `p⁴` potassium channel, of `V` and the shift `V_sh`.
trait P4Rates {
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T;
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T;
}

/// `I = g_max·p⁴·(E − V)`.
pub(crate) fn p4_current<T: Real>(g_max: T, p: T, e: T, v: T) -> T {
    g_max * p.powi(4) * (e - v)
}

const P4_GATES: &[&str] = &["p"];

fn p4_steady<R: P4Rates>(v: &TVal, p: &ChannelParams) -> Vec<TVal> {
    let sh = p.get("V_sh");
    vec![markov_steady(
        R::f_p_alpha(v.clone(), sh.clone()),
        R::f_p_beta(v.clone(), sh),
    )]
}

fn p4_gate<R: P4Rates>(i: usize, g: &[Dual<TVal>], v: &TVal, p: &ChannelParams) -> Dual<TVal> {
    assert_eq!(i, 0, "a p4 channel has one gate, asked for gate {i}");
    let sh = p.get("V_sh");
    let a = R::f_p_alpha(v.clone(), sh.clone());
    let b = R::f_p_beta(v.clone(), sh);
    markov_rhs(g[0].clone(), Dual::cst(a), Dual::cst(b), p.dual("phi"))
}

macro_rules! p4_channel {
    ($ty:ident, $class:literal) => {
        impl P4Rates for $ty {
            fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
                $ty::f_p_alpha(v, v_sh)
            }
            fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
                $ty::f_p_beta(v, v_sh)
            }
        }

        impl Channel for $ty {
            fn class_name(&self) -> &'static str {
                $class
            }
            fn gate_names(&self) -> &'static [&'static str] {
                P4_GATES
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
                p4_steady::<$ty>(v, p)
            }
            fn gate_derivative(
                &self,
                i: usize,
                gates: &[Dual<TVal>],
                v: &TVal,
                p: &ChannelParams,
            ) -> Dual<TVal> {
                p4_gate::<$ty>(i, gates, v, p)
            }
            fn current(&self, v: Dual<TVal>, gates: &[TVal], p: &ChannelParams) -> Dual<TVal> {
                p4_current(p.dual("g_max"), Dual::cst(gates[0].clone()), p.dual("E"), v)
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

/// Hodgkin–Huxley (1952) delayed-rectifier potassium current (BrainPy
/// `bp.channels.IK_HH1952`, 2.4.6).
///
/// `I = g_max·p⁴·(E − V)`, `dp/dt = φ(α_p(1 − p) − β_p p)`:
///
/// * `α_p = 0.01(V − V_sh + 10)/(1 − exp(−(V − V_sh + 10)/10))` (removable singularity at
///   `V = V_sh − 10`, −55 mV by default: guarded, limit 0.1)
/// * `β_p = 0.125·exp(−(V − V_sh + 20)/80)`
///
/// **The defaults are BrainPy's, not the textbook's**: `E = −90`, `g_max = 10` (classic HH:
/// −77, 36). The gate `p` (n) starts at `α/(α + β)` and advances with `exp_auto` from the old V.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `E` | mV | −90 |
/// | `g_max` | mS/cm² | 10 |
/// | `phi` | — | 1 |
/// | `V_sh` | mV | −45 |
///
/// Reference: Hodgkin & Huxley, J Physiol 117:500 (1952); BrainPy 2.4.6
/// `brainpy/_src/dyn/channels/potassium_compatible.py::IK_HH1952`.
#[doc(alias = "IK_HH1952")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IKHH1952 {
    /// Reversal potential `E` (mV). Default −90.
    #[serde(alias = "E")]
    pub e: ParamSpec,
    /// Maximal conductance `g_max` (mS/cm²). Default 10.
    pub g_max: ParamSpec,
    /// Temperature factor `phi`. Default 1.
    pub phi: ParamSpec,
    /// Voltage shift `V_sh` (mV). Default −45.
    #[serde(alias = "V_sh")]
    pub v_sh: ParamSpec,
    /// Integration method of the gate. Default `exp_auto`.
    pub method: Method,
}

impl Default for IKHH1952 {
    fn default() -> Self {
        IKHH1952 {
            e: (-90.0).into(),
            g_max: 10.0.into(),
            phi: 1.0.into(),
            v_sh: (-45.0).into(),
            method: Method::ExpAuto,
        }
    }
}

impl IKHH1952 {
    /// `α_p(V) = 0.01·u/(1 − e^{−u/10})`, `u = V − V_sh + 10` (guarded at `u = 0`).
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let u = v - v_sh + 10.0;
        x_over_expm1(u / -10.0) * 0.1
    }
    /// `β_p(V) = 0.125·exp(−(V − V_sh + 20)/80)`.
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh + 20.0) / -80.0).exp() * 0.125
    }
}

p4_channel!(IKHH1952, "IK_HH1952");

/// Traub–Miles (1991) potassium current (BrainPy `bp.channels.IK_TM1991`, 2.4.6), the
/// potassium current of the COBA-HH benchmark.
///
/// `I = g_max·p⁴·(E − V)`, `dp/dt = φ(α_p(1 − p) − β_p p)`:
///
/// * `α_p = 0.032(15 − V + V_sh)/(exp((15 − V + V_sh)/5) − 1)` (removable singularity at
///   `V = V_sh + 15`, −45 mV by default, −48 mV with the benchmark's `V_sh = −63` — where
///   BrainPy produces NaN: guarded, limit 0.16)
/// * `β_p = 0.5·exp((10 − V + V_sh)/40)`
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `E` | mV | −90 |
/// | `g_max` | mS/cm² | 10 |
/// | `phi` | — | 1 |
/// | `V_sh` | mV | −60 |
///
/// Reference: Traub & Miles, *Neuronal Networks of the Hippocampus* (1991); BrainPy 2.4.6
/// `brainpy/_src/dyn/channels/potassium_compatible.py::IK_TM1991`.
#[doc(alias = "IK_TM1991")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IKTM1991 {
    /// Reversal potential `E` (mV). Default −90.
    #[serde(alias = "E")]
    pub e: ParamSpec,
    /// Maximal conductance `g_max` (mS/cm²). Default 10.
    pub g_max: ParamSpec,
    /// Temperature factor `phi`. Default 1.
    pub phi: ParamSpec,
    /// Voltage shift `V_sh` (mV). Default −60.
    #[serde(alias = "V_sh")]
    pub v_sh: ParamSpec,
    /// Integration method of the gate. Default `exp_auto`.
    pub method: Method,
}

impl Default for IKTM1991 {
    fn default() -> Self {
        IKTM1991 {
            e: (-90.0).into(),
            g_max: 10.0.into(),
            phi: 1.0.into(),
            v_sh: (-60.0).into(),
            method: Method::ExpAuto,
        }
    }
}

impl IKTM1991 {
    /// `α_p(V) = 0.032·c/(e^{c/5} − 1)`, `c = 15 − V + V_sh` (guarded at `c = 0`).
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let c = (v - v_sh).rsub(15.0);
        x_over_expm1(c / 5.0) * 0.16
    }
    /// `β_p(V) = 0.5·exp((10 − V + V_sh)/40)`.
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh).rsub(10.0) / 40.0).exp() * 0.5
    }
}

p4_channel!(IKTM1991, "IK_TM1991");

#[cfg(test)]
mod tests {
    use super::*;

    fn series(x: f64) -> f64 {
        1.0 - x / 2.0 + x * x / 12.0
    }

    /// At each removable singularity and 1e-9, 1e-6 mV next to it: finite and equal to the
    /// analytic value within 1e-9 relative.
    #[test]
    fn removable_singularities_are_finite_and_exact() {
        for d in [0.0, 1e-9, -1e-9, 1e-6, -1e-6] {
            let v = -55.0 + d;
            let a = IKHH1952::f_p_alpha(v, -45.0);
            let want = 0.1 * series((v + 45.0 + 10.0) / -10.0);
            assert!(
                a.is_finite() && ((a - want) / want).abs() < 1e-9,
                "{d}: {a}"
            );
            for (sh, vs) in [(-60.0, -45.0), (-63.0, -48.0)] {
                let v = vs + d;
                let a = IKTM1991::f_p_alpha(v, sh);
                let want = 0.16 * series((15.0 - (v - sh)) / 5.0);
                assert!(
                    a.is_finite() && ((a - want) / want).abs() < 1e-9,
                    "{d}: {a}"
                );
            }
        }
    }

    #[test]
    fn rates_equal_brainpy_quotients_away_from_singularities() {
        for v in [-90.0, -65.0, -52.3, -30.0, 0.0, 35.0] {
            let sh = -45.0;
            let t = v - sh + 10.0;
            let bp = 0.01 * t / (1.0 - (-t / 10.0f64).exp());
            let a = IKHH1952::f_p_alpha(v, sh);
            assert!(((a - bp) / bp).abs() < 1e-13, "{v}: {a} vs {bp}");
            let sh = -63.0;
            let c = 15.0 - v + sh;
            let bp = 0.032 * c / ((c / 5.0f64).exp() - 1.0);
            let a = IKTM1991::f_p_alpha(v, sh);
            assert!(((a - bp) / bp).abs() < 1e-13, "{v}: {a} vs {bp}");
        }
    }
}
