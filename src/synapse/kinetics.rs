//! Synaptic kinetics, written once over [`Real`]: the transmitter-gated conductance of
//! AMPA/GABAa, the single-exponential decay of `Exponential`, and the two-state kinetics of
//! `DualExponential`/`Alpha`, `NMDA` and `BioNMDA` (whose systems, generic over their parameters' type,
//! both the composed tensor step and the fused host kernel integrate).

use serde::{Deserialize, Serialize};

use crate::integrate::OdeSystem;
use crate::math::{Num, Real, TVal};

/// How long the transmitter of an AMPA/GABAa release stays on (`window` in files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransmitterWindow {
    /// BrainPy's rule (the default): `TT = T` while `t − t_arrival < T_duration`, evaluated in
    /// the run's float type with BrainPy's `t` ([`crate::dynamics::StepTime::t_in`]) and the
    /// arrival time stored in that type. A window lasts `round(T_duration/dt)` steps, or one
    /// step more or less where the float comparison says so (float64 case d: an 11-step
    /// window at dt 0.1, T_duration 1; in float32 the windows drift with t's rounding).
    #[default]
    Time,
    /// Whole steps: the transmitter is on for `max(1, round(T_duration/dt))` steps from the
    /// arrival step, whatever the rounding of `t` (state `transmitter_steps` counts them down).
    Steps,
}

/// `dg/dt = α·TT·(1 − g) − β·g` (AMPA/GABAa gating; `TT` the transmitter concentration).
///
/// With TT constant over a step, exp_auto is the exact step
/// `g⁺ = g∞ + (g − g∞)·e^{−(α·TT + β)·dt}`, `g∞ = α·TT/(α·TT + β)` (pure decay `g·e^{−β·dt}`
/// when TT = 0), computed as BrainPy does: `g + dt·φ(−(α·TT + β)·dt)·(dg/dt)`.
pub fn gating_dg<T: Real>(g: T, tt: T, alpha: T, beta: T) -> T {
    alpha * tt * g.clone().rsub(1.0) - beta * g
}

/// `dg/dt = −g/τ` (`Exponential`; exp_auto gives `g·e^{−dt/τ}`).
pub fn exponential_dg<T: Real>(g: T, tau: T) -> T {
    -g / tau
}

/// `DualExponential`/`Alpha`: `dg/dt = −g/τ_decay + h` (`h` the rise variable).
pub fn dual_exp_dg<T: Real>(g: T, h: T, tau_decay: T) -> T {
    -g / tau_decay + h
}

/// The rise variable of `DualExponential`/`Alpha` and of `NMDA` (`x`): `dh/dt = −h/τ_rise`.
pub fn rise_dh<T: Real>(h: T, tau_rise: T) -> T {
    -h / tau_rise
}

/// `NMDA`: `dg/dt = −g/τ_decay + a·x·(1 − g)` (nonlinear in g: exp_auto's ∂f/∂g is
/// `−1/τ_decay − a·x`).
pub fn nmda_dg<T: Real>(g: T, x: T, a: T, tau_decay: T) -> T {
    -g.clone() / tau_decay + a * x * g.rsub(1.0)
}

/// The two-state kinetics of the presynaptically aligned synapses, variables `[g, h]` (NMDA's
/// `h` is BrainPy's `x`). BrainPy integrates them as one `JointEq`: with exp_auto each variable
/// steps on its own derivative with the other held at its start-of-step value.
#[derive(Clone, Debug)]
pub enum TwoState<P> {
    /// `DualExponential` (and `Alpha`, `τ_rise = τ_decay`).
    DualExp {
        /// τ_decay (ms).
        tau_decay: P,
        /// τ_rise (ms).
        tau_rise: P,
    },
    /// `BioNMDA`: `dg/dt = α₁·x·(1 − g) − β₁·g`, `dx/dt = α₂·T·(1 − x) − β₂·x` (both the
    /// gating form of [`gating_dg`]), `T` the transmitter concentration of the step.
    BioNmda {
        /// α₁ (1/ms).
        alpha1: P,
        /// β₁ (1/ms).
        beta1: P,
        /// α₂ (1/(mM·ms)).
        alpha2: P,
        /// β₂ (1/ms).
        beta2: P,
        /// The transmitter concentration `T` (mM): `T_0` inside the release window, else 0.
        t: P,
    },
    /// `NMDA`.
    Nmda {
        /// The rate `a` (1/ms) of the g equation.
        a: P,
        /// τ_decay (ms).
        tau_decay: P,
        /// τ_rise (ms).
        tau_rise: P,
    },
}

impl<P> TwoState<P> {
    /// The same system with its parameters mapped (keys to tensor values or host lanes).
    pub fn map<Q>(&self, f: impl Fn(&P) -> Q) -> TwoState<Q> {
        match self.try_map(|p| Ok::<Q, std::convert::Infallible>(f(p))) {
            Ok(s) => s,
        }
    }
}

impl<P> TwoState<P> {
    /// The same system with its parameters mapped, or the first error.
    pub fn try_map<Q, E>(
        &self,
        mut f: impl FnMut(&P) -> std::result::Result<Q, E>,
    ) -> std::result::Result<TwoState<Q>, E> {
        Ok(match self {
            TwoState::DualExp {
                tau_decay,
                tau_rise,
            } => TwoState::DualExp {
                tau_decay: f(tau_decay)?,
                tau_rise: f(tau_rise)?,
            },
            TwoState::Nmda {
                a,
                tau_decay,
                tau_rise,
            } => TwoState::Nmda {
                a: f(a)?,
                tau_decay: f(tau_decay)?,
                tau_rise: f(tau_rise)?,
            },
            TwoState::BioNmda {
                alpha1,
                beta1,
                alpha2,
                beta2,
                t,
            } => TwoState::BioNmda {
                alpha1: f(alpha1)?,
                beta1: f(beta1)?,
                alpha2: f(alpha2)?,
                beta2: f(beta2)?,
                t: f(t)?,
            },
        })
    }

    /// Whether an arriving spike adds 1 to the rise variable (DualExponential, NMDA); BioNMDA
    /// releases transmitter instead ([`TwoState::with_transmitter`]).
    pub fn jumps(&self) -> bool {
        !matches!(self, TwoState::BioNmda { .. })
    }

    /// BioNMDA's system with its transmitter concentration `T` replaced by `f(T)` (the release
    /// window applied); the other systems unchanged.
    pub fn with_transmitter(self, f: impl FnOnce(P) -> P) -> Self {
        match self {
            TwoState::BioNmda {
                alpha1,
                beta1,
                alpha2,
                beta2,
                t,
            } => TwoState::BioNmda {
                alpha1,
                beta1,
                alpha2,
                beta2,
                t: f(t),
            },
            other => other,
        }
    }
}

impl<P: Num> OdeSystem<P> for TwoState<P> {
    fn n_vars(&self) -> usize {
        2
    }
    fn derivative<T: Num + From<P>>(&self, i: usize, x: &[T], _t: f64) -> T {
        let (g, h) = (x[0].clone(), x[1].clone());
        match (self, i) {
            (TwoState::DualExp { tau_decay, .. }, 0) => {
                dual_exp_dg(g, h, T::from(tau_decay.clone()))
            }
            (TwoState::Nmda { a, tau_decay, .. }, 0) => {
                nmda_dg(g, h, T::from(a.clone()), T::from(tau_decay.clone()))
            }
            (TwoState::DualExp { tau_rise, .. } | TwoState::Nmda { tau_rise, .. }, _) => {
                rise_dh(h, T::from(tau_rise.clone()))
            }
            (TwoState::BioNmda { alpha1, beta1, .. }, 0) => {
                gating_dg(g, h, T::from(alpha1.clone()), T::from(beta1.clone()))
            }
            (
                TwoState::BioNmda {
                    alpha2, beta2, t, ..
                },
                _,
            ) => gating_dg(
                h,
                T::from(t.clone()),
                T::from(alpha2.clone()),
                T::from(beta2.clone()),
            ),
        }
    }
}

/// The gating ODE with the step's constants.
pub(crate) struct Gating {
    pub alpha: TVal,
    pub beta: TVal,
    pub tt: TVal,
}

impl OdeSystem<TVal> for Gating {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Num + From<TVal>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        gating_dg(
            x[0].clone(),
            T::from(self.tt.clone()),
            T::from(self.alpha.clone()),
            T::from(self.beta.clone()),
        )
    }
}

/// The exponential decay with its time constant.
pub(crate) struct Decay {
    pub tau: TVal,
}

impl OdeSystem<TVal> for Decay {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Num + From<TVal>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        exponential_dg(x[0].clone(), T::from(self.tau.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrate::{Method, integrate};

    struct HostGating {
        tt: f64,
    }

    impl OdeSystem<f64> for HostGating {
        fn n_vars(&self) -> usize {
            1
        }
        fn derivative<T: Num + From<f64>>(&self, _i: usize, x: &[T], _t: f64) -> T {
            gating_dg(x[0].clone(), T::from(self.tt), T::from(0.53), T::from(0.18))
        }
    }

    #[test]
    fn exp_auto_is_the_exact_exponential_step() {
        let (g0, dt) = (0.2f64, 0.1f64);
        for tt in [0.0, 1.0] {
            let k = 0.53 * tt + 0.18;
            let ginf = 0.53 * tt / k;
            let want = ginf + (g0 - ginf) * (-k * dt).exp();
            let got = integrate(&HostGating { tt }, Method::ExpAuto, &[g0], 0.0, dt)[0];
            assert!((got - want).abs() < 1e-15, "TT={tt}: {got} vs {want}");
        }
        // One isolated 1-ms GABAa pulse from g = 0 peaks at 0.7465·(1 − e^{−0.71}) (BRAINPY_REFERENCE §5).
        let mut g = 0.0f64;
        for _ in 0..10 {
            g = integrate(&HostGating { tt: 1.0 }, Method::ExpAuto, &[g], 0.0, 0.1)[0];
        }
        let want = 0.53 / 0.71 * (1.0 - (-0.71f64).exp());
        assert!(
            (g - want).abs() < 1e-14 && (g - 0.37948).abs() < 1e-5,
            "{g}"
        );
        assert_eq!(exponential_dg(2.0f64, 4.0), -0.5);
    }

    #[test]
    fn two_state_exp_auto_steps_each_variable_on_its_own_derivative() {
        // BrainPy's JointEq under exp_auto: g steps with the old h, h with its own decay.
        let (g0, h0, dt) = (0.3f64, 0.7f64, 0.1f64);
        let de = TwoState::DualExp {
            tau_decay: 5.0f64,
            tau_rise: 2.0,
        };
        let [g, h] = crate::integrate::integrate_array(&de, Method::ExpAuto, [g0, h0], 0.0, dt);
        let phi = |a: f64| ((a * dt).exp() - 1.0) / (a * dt);
        let want_g = g0 + dt * phi(-0.2) * (-g0 / 5.0 + h0);
        let want_h = h0 + dt * phi(-0.5) * (-h0 / 2.0);
        assert!(
            (g - want_g).abs() < 1e-15 && (h - want_h).abs() < 1e-15,
            "{g} {h}"
        );
        let nm = TwoState::Nmda {
            a: 0.5f64,
            tau_decay: 100.0,
            tau_rise: 2.0,
        };
        let [g, _] = crate::integrate::integrate_array(&nm, Method::ExpAuto, [g0, h0], 0.0, dt);
        let a = -1.0 / 100.0 - 0.5 * h0;
        let want = g0 + dt * phi(a) * (-g0 / 100.0 + 0.5 * h0 * (1.0 - g0));
        assert!((g - want).abs() < 1e-15, "{g} vs {want}");
    }
}
