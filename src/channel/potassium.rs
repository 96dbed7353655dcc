//! Voltage-gated potassium channels of the `p⁴` type (BrainPy `potassium_compatible.py`).

use super::{ChannelModel, markov_rhs, markov_steady};
use crate::integrate::Method;
use crate::math::{Num, Real, x_over_expm1};
use crate::param::ParamSpec;

/// The rate functions of a `p⁴` potassium channel, of `V` and the shift `V_sh`.
trait P4Rates {
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T;
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T;
}

/// `I = g_max·p⁴·(E − V)`.
#[inline(always)]
pub(crate) fn p4_current<T: Real>(g_max: T, p: T, e: T, v: T) -> T {
    g_max * p.powi(4) * (e - v)
}

crate::model_states! {
    /// The gate of a `p⁴` potassium channel.
    pub struct P4Gates {
        /// Activation (`n`).
        p: "p",
    }
}

/// The `ChannelModel` of a `p⁴` channel whose config is `$ty` (parameters `E`, `g_max`,
/// `phi`, `V_sh`; option `method`).
macro_rules! p4_channel {
    ($ty:ident, $params:ident, $class:literal) => {
        impl P4Rates for $ty {
            #[inline(always)]
            fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
                $ty::f_p_alpha(v, v_sh)
            }
            #[inline(always)]
            fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
                $ty::f_p_beta(v, v_sh)
            }
        }

        impl ChannelModel for $ty {
            crate::compiled_in_brainburn!(channel);
            const CLASS: &'static str = $class;
            type Params<R> = $params<R>;
            type Gates<R> = P4Gates<R>;

            fn param_specs(&self) -> $params<ParamSpec> {
                self.params()
            }
            fn method(&self) -> Method {
                self.method
            }
            fn steady_state<R: Num>(&self, v: R, p: &$params<R>) -> P4Gates<R> {
                let sh = p.v_sh.clone();
                P4Gates {
                    p: markov_steady(
                        <$ty as P4Rates>::f_p_alpha(v.clone(), sh.clone()),
                        <$ty as P4Rates>::f_p_beta(v, sh),
                    ),
                }
            }
            #[inline(always)]
            fn gate_derivative<T: Num>(
                &self,
                _i: usize,
                g: &P4Gates<T>,
                v: T,
                p: &$params<T>,
            ) -> T {
                let sh = p.v_sh.clone();
                let a = <$ty as P4Rates>::f_p_alpha(v.clone(), sh.clone());
                let b = <$ty as P4Rates>::f_p_beta(v, sh);
                markov_rhs(g.p.clone(), a, b, p.phi.clone())
            }
            #[inline(always)]
            fn current<T: Num>(&self, v: T, g: &P4Gates<T>, p: &$params<T>) -> T {
                p4_current(p.g_max.clone(), g.p.clone(), p.e.clone(), v)
            }
        }
    };
}

crate::model_config! {
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
    #[derive(PartialEq)]
    pub struct IKHH1952;
    /// The parameters of [`IKHH1952`], in any number type.
    pub struct IKHH1952Params {
        /// Reversal potential `E` (mV). Default -90.0.
        e: "E" = -90.0, Any;
        /// Maximal conductance `g_max` (mS/cm²). Default 10.0.
        g_max: "g_max" = 10.0, NonNegative;
        /// Temperature factor `phi`. Default 1.
        phi: "phi" = 1.0, NonNegative;
        /// Voltage shift `V_sh` (mV). Default -45.0.
        v_sh: "V_sh" = -45.0, Any;
    }
    options {
        /// Integration method of the gate. Default `exp_auto`.
        method: Method = Method::ExpAuto;
    }
}

impl IKHH1952 {
    /// `α_p(V) = 0.01·u/(1 − e^{−u/10})`, `u = V − V_sh + 10` (guarded at `u = 0`).
    #[inline(always)]
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let u = v - v_sh + 10.0;
        x_over_expm1(u / -10.0) * 0.1
    }
    /// `β_p(V) = 0.125·exp(−(V − V_sh + 20)/80)`.
    #[inline(always)]
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh + 20.0) / -80.0).exp() * 0.125
    }
}

p4_channel!(IKHH1952, IKHH1952Params, "IK_HH1952");

crate::model_config! {
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
    #[derive(PartialEq)]
    pub struct IKTM1991;
    /// The parameters of [`IKTM1991`], in any number type.
    pub struct IKTM1991Params {
        /// Reversal potential `E` (mV). Default -90.0.
        e: "E" = -90.0, Any;
        /// Maximal conductance `g_max` (mS/cm²). Default 10.0.
        g_max: "g_max" = 10.0, NonNegative;
        /// Temperature factor `phi`. Default 1.
        phi: "phi" = 1.0, NonNegative;
        /// Voltage shift `V_sh` (mV). Default -60.0.
        v_sh: "V_sh" = -60.0, Any;
    }
    options {
        /// Integration method of the gate. Default `exp_auto`.
        method: Method = Method::ExpAuto;
    }
}

impl IKTM1991 {
    /// `α_p(V) = 0.032·c/(e^{c/5} − 1)`, `c = 15 − V + V_sh` (guarded at `c = 0`).
    #[inline(always)]
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let c = (v - v_sh).rsub(15.0);
        x_over_expm1(c / 5.0) * 0.16
    }
    /// `β_p(V) = 0.5·exp((10 − V + V_sh)/40)`.
    #[inline(always)]
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh).rsub(10.0) / 40.0).exp() * 0.5
    }
}

p4_channel!(IKTM1991, IKTM1991Params, "IK_TM1991");

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
