//! Synaptic kinetics, written once over [`Real`]: the transmitter-gated conductance of
//! AMPA/GABAa and the single-exponential decay of `Exponential`.

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
}
