//! Voltage-gated sodium channels of the `p³q` type (BrainPy `sodium_compatible.py`).

use super::{ChannelModel, markov_rhs, markov_steady};
use crate::integrate::Method;
use crate::math::{Num, Real, x_over_expm1};
use crate::param::ParamSpec;

/// The rate functions of a `p³q` sodium channel, of `V` and the shift `V_sh`.
trait P3qRates {
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T;
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T;
    fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T;
    fn f_q_beta<T: Real>(v: T, v_sh: T) -> T;
}

/// `I = g_max·p³·q·(E − V)`.
#[inline(always)]
pub(crate) fn p3q_current<T: Real>(g_max: T, p: T, q: T, e: T, v: T) -> T {
    g_max * p.powi(3) * q * (e - v)
}

crate::model_states! {
    /// The gates of a `p³q` sodium channel.
    pub struct P3qGates {
        /// Activation (`m`).
        p: "p",
        /// Inactivation (`h`).
        q: "q",
    }
}

/// The `ChannelModel` of a `p³q` channel whose config is `$ty` (parameters `E`, `g_max`,
/// `phi`, `V_sh`; option `method`).
macro_rules! p3q_channel {
    ($ty:ident, $params:ident, $class:literal) => {
        impl ChannelModel for $ty {
            crate::compiled_in_brainburn!(channel);
            const CLASS: &'static str = $class;
            type Params<R> = $params<R>;
            type Gates<R> = P3qGates<R>;

            fn param_specs(&self) -> $params<ParamSpec> {
                self.params()
            }
            fn method(&self) -> Method {
                self.method
            }
            fn steady_state<R: Num>(&self, v: R, p: &$params<R>) -> P3qGates<R> {
                let sh = p.v_sh.clone();
                P3qGates {
                    p: markov_steady(
                        <$ty as P3qRates>::f_p_alpha(v.clone(), sh.clone()),
                        <$ty as P3qRates>::f_p_beta(v.clone(), sh.clone()),
                    ),
                    q: markov_steady(
                        <$ty as P3qRates>::f_q_alpha(v.clone(), sh.clone()),
                        <$ty as P3qRates>::f_q_beta(v, sh),
                    ),
                }
            }
            #[inline(always)]
            fn gate_derivative<T: Num>(
                &self,
                i: usize,
                g: &P3qGates<T>,
                v: T,
                p: &$params<T>,
            ) -> T {
                let sh = p.v_sh.clone();
                if i == 0 {
                    let a = <$ty as P3qRates>::f_p_alpha(v.clone(), sh.clone());
                    let b = <$ty as P3qRates>::f_p_beta(v, sh);
                    markov_rhs(g.p.clone(), a, b, p.phi.clone())
                } else {
                    let a = <$ty as P3qRates>::f_q_alpha(v.clone(), sh.clone());
                    let b = <$ty as P3qRates>::f_q_beta(v, sh);
                    markov_rhs(g.q.clone(), a, b, p.phi.clone())
                }
            }
            #[inline(always)]
            fn current<T: Num>(&self, v: T, g: &P3qGates<T>, p: &$params<T>) -> T {
                p3q_current(p.g_max.clone(), g.p.clone(), g.q.clone(), p.e.clone(), v)
            }
        }
    };
}

crate::model_config! {
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
    #[derive(PartialEq)]
    pub struct INaHH1952;
    /// The parameters of [`INaHH1952`], in any number type.
    pub struct INaHH1952Params {
        /// Reversal potential `E` (mV). Default 50.0.
        e: "E" = 50.0, Any;
        /// Maximal conductance `g_max` (mS/cm²). Default 120.0.
        g_max: "g_max" = 120.0, NonNegative;
        /// Temperature factor `phi`. Default 1.
        phi: "phi" = 1.0, NonNegative;
        /// Voltage shift `V_sh` (mV). Default -45.0.
        v_sh: "V_sh" = -45.0, Any;
    }
    options {
        /// Integration method of the gates. Default `exp_auto`.
        method: Method = Method::ExpAuto;
    }
}

impl INaHH1952 {
    /// `α_p(V) = 0.1·u/(1 − e^{−u/10})`, `u = V − V_sh − 5` (guarded at `u = 0`).
    #[inline(always)]
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let u = v - v_sh - 5.0;
        x_over_expm1(u / -10.0)
    }
    /// `β_p(V) = 4·exp(−(V − V_sh + 20)/18)`.
    #[inline(always)]
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh + 20.0) / -18.0).exp() * 4.0
    }
    /// `α_q(V) = 0.07·exp(−(V − V_sh + 20)/20)`.
    #[inline(always)]
    pub fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh + 20.0) / -20.0).exp() * 0.07
    }
    /// `β_q(V) = 1/(1 + exp(−(V − V_sh − 10)/10))`.
    #[inline(always)]
    pub fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        (((v - v_sh - 10.0) / -10.0).exp() + 1.0).recip()
    }
}

impl P3qRates for INaHH1952 {
    #[inline(always)]
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_p_alpha(v, v_sh)
    }
    #[inline(always)]
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_p_beta(v, v_sh)
    }
    #[inline(always)]
    fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_q_alpha(v, v_sh)
    }
    #[inline(always)]
    fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        INaHH1952::f_q_beta(v, v_sh)
    }
}

p3q_channel!(INaHH1952, INaHH1952Params, "INa_HH1952");

crate::model_config! {
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
    #[derive(PartialEq)]
    pub struct INaTM1991;
    /// The parameters of [`INaTM1991`], in any number type.
    pub struct INaTM1991Params {
        /// Reversal potential `E` (mV). Default 50.0.
        e: "E" = 50.0, Any;
        /// Maximal conductance `g_max` (mS/cm²). Default 120.0.
        g_max: "g_max" = 120.0, NonNegative;
        /// Temperature factor `phi`. Default 1.
        phi: "phi" = 1.0, NonNegative;
        /// Voltage shift `V_sh` (mV). Default -63.0.
        v_sh: "V_sh" = -63.0, Any;
    }
    options {
        /// Integration method of the gates. Default `exp_auto`.
        method: Method = Method::ExpAuto;
    }
}

impl INaTM1991 {
    /// `α_p(V) = 0.32·u/(e^{u/4} − 1)`, `u = 13 − V + V_sh` (guarded at `u = 0`).
    #[inline(always)]
    pub fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        let u = (v - v_sh).rsub(13.0);
        x_over_expm1(u / 4.0) * 1.28
    }
    /// `β_p(V) = 0.28·w/(e^{w/5} − 1)`, `w = V − V_sh − 40` (guarded at `w = 0`).
    #[inline(always)]
    pub fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        let w = v - v_sh - 40.0;
        x_over_expm1(w / 5.0) * 1.4
    }
    /// `α_q(V) = 0.128·exp((17 − V + V_sh)/18)`.
    #[inline(always)]
    pub fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        ((v - v_sh).rsub(17.0) / 18.0).exp() * 0.128
    }
    /// `β_q(V) = 4/(1 + exp(−(V − V_sh − 40)/5))`.
    #[inline(always)]
    pub fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        (((v - v_sh - 40.0) / -5.0).exp() + 1.0).rdiv(4.0)
    }
}

impl P3qRates for INaTM1991 {
    #[inline(always)]
    fn f_p_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_p_alpha(v, v_sh)
    }
    #[inline(always)]
    fn f_p_beta<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_p_beta(v, v_sh)
    }
    #[inline(always)]
    fn f_q_alpha<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_q_alpha(v, v_sh)
    }
    #[inline(always)]
    fn f_q_beta<T: Real>(v: T, v_sh: T) -> T {
        INaTM1991::f_q_beta(v, v_sh)
    }
}

p3q_channel!(INaTM1991, INaTM1991Params, "INa_TM1991");

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
