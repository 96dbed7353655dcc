//! Short-term plasticity (SPEC §4): Tsodyks–Markram facilitation and depression that really
//! scale each release.
//!
//! States (one per presynaptic neuron): `u` (utilisation, STP only) and `x` (available
//! resources). Each step, before the spikes act:
//!
//! * decay with the integration method of the synapse (exact for exp_auto):
//!   `du/dt = −u/τ_f`, `dx/dt = (1 − x)/τ_d`;
//! * on a spike (value `s`, 1 for a boolean spike, the float spike in Training mode):
//!   STP: `u⁺ = u⁻ + U(1 − u⁻)·s`, release `r = u⁺·x⁻·s`, `x⁺ = x⁻ − r`;
//!   STD: release `r = x⁻·s`, `x⁺ = x⁻ − U·x⁻·s`.
//!
//! The release scale (`u⁺·x⁻` for STP, `x⁻` for STD) multiplies the transmitter
//! concentration of an AMPA/GABAa release and the conductance jump of `Exponential`.
//!
//! **Differences from BrainPy 2.4.6** (`dynold/synplast/short_term_plasticity.py`):
//! * BrainPy's code integrates `du/dt = U − u/τ_f` (its docstring says `−u/τ_f`; u then drifts
//!   towards `U·τ_f`); brainburn integrates `du/dt = −u/τ_f`, the Tsodyks–Pawelzik–Markram
//!   (1998) facilitation, and starts from its rest state `u = 0` (BrainPy starts at `u = U`), so
//!   the first spike after rest releases `U·x`.
//! * BrainPy multiplies the spike by `u⁺·x⁺` (x *after* the depletion of this very spike);
//!   brainburn uses the resources available at the spike, `u⁺·x⁻` (STP) and `x⁻` (STD).
//! * In BrainPy the scaled spike has no effect on AMPA/GABAa (their kinetics only test the
//!   spike for truthiness); in brainburn it scales the release.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::backend::Ctx;
use crate::dynamics::StepTime;
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate};
use crate::math::{Num, Real, TVal};
use crate::param::{ParamSpec, Params};
use crate::state::{StateInit, StateSet};

fn d_stp_u() -> ParamSpec {
    0.15.into()
}
fn d_tau_f() -> ParamSpec {
    1500.0.into()
}
fn d_tau_d() -> ParamSpec {
    200.0.into()
}
fn d_std_u() -> ParamSpec {
    0.07.into()
}

/// Short-term plasticity of a synapse (BrainPy `bp.synplast.STP` / `STD`).
///
/// In files: `stp = { kind = "stp", U = 0.15, tau_f = 1500, tau_d = 200 }` or
/// `stp = { kind = "std", tau = 200, U = 0.07 }`. Parameters are scalars or one value per
/// presynaptic neuron, and may be trainable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShortTermPlasticity {
    /// Facilitation and depression. Parameter keys `U`, `tau_f`, `tau_d`; states `u`, `x`.
    Stp {
        /// Utilisation increment `U`. Default 0.15.
        #[serde(alias = "U", default = "d_stp_u")]
        u: ParamSpec,
        /// Facilitation time constant (ms). Default 1500.
        #[serde(default = "d_tau_f")]
        tau_f: ParamSpec,
        /// Depression (recovery) time constant (ms). Default 200.
        #[serde(default = "d_tau_d")]
        tau_d: ParamSpec,
    },
    /// Depression only. Parameter keys `U`, `tau_d`; state `x`.
    Std {
        /// Recovery time constant (ms). Default 200.
        #[serde(default = "d_tau_d")]
        tau: ParamSpec,
        /// Fraction of the resources used by a spike `U`. Default 0.07.
        #[serde(alias = "U", default = "d_std_u")]
        u: ParamSpec,
    },
}

impl ShortTermPlasticity {
    /// STP with BrainPy's defaults (U 0.15, τ_f 1500 ms, τ_d 200 ms).
    pub fn stp() -> Self {
        ShortTermPlasticity::Stp {
            u: d_stp_u(),
            tau_f: d_tau_f(),
            tau_d: d_tau_d(),
        }
    }

    /// STD with BrainPy's defaults (τ 200 ms, U 0.07).
    pub fn std() -> Self {
        ShortTermPlasticity::Std {
            tau: d_tau_d(),
            u: d_std_u(),
        }
    }

    fn is_stp(&self) -> bool {
        matches!(self, ShortTermPlasticity::Stp { .. })
    }

    /// Declares the parameters and states on a synapse over `pre_varshape`.
    pub(crate) fn build(
        &self,
        params: &mut Params,
        states: &mut StateSet,
        pre_varshape: &[usize],
        ctx: &Ctx,
    ) -> Result<()> {
        let (u, tau_d) = match self {
            ShortTermPlasticity::Stp { u, tau_f, tau_d } => {
                positive(tau_f, "tau_f")?;
                params.build("tau_f", tau_f, pre_varshape, ctx)?;
                (u, tau_d)
            }
            ShortTermPlasticity::Std { tau, u } => (u, tau),
        };
        positive(tau_d, if self.is_stp() { "tau_d" } else { "tau" })?;
        if let Some(v) = u.as_scalar()
            && !(0.0..=1.0).contains(&v)
        {
            return Err(Error::arg("U", format!("must be in [0, 1], got {v}")));
        }
        params.build("U", u, pre_varshape, ctx)?;
        params.build("tau_d", tau_d, pre_varshape, ctx)?;
        if self.is_stp() {
            states.declare(
                "u",
                StateInit::Float(Initializer::Zero),
                pre_varshape.to_vec(),
            );
        }
        states.declare(
            "x",
            StateInit::Float(Initializer::constant(1.0)),
            pre_varshape.to_vec(),
        );
        Ok(())
    }

    /// Advances `u`, `x` one step with the spikes `s` (float `[rows, pre]`, 0/1 or Training
    /// spikes) and returns the release scale of a spike of each neuron this step
    /// (`u⁺·x⁻` or `x⁻`).
    pub(crate) fn step(
        &self,
        params: &Params,
        states: &mut StateSet,
        s: Tensor<2>,
        method: Method,
        ts: &StepTime,
    ) -> Tensor<2> {
        let big_u = params.tval("U");
        let tau_d = params.tval("tau_d");
        let x = TVal::T(states.f("x"));
        let s = TVal::T(s);
        if self.is_stp() {
            let u = TVal::T(states.f("u"));
            let sys = TmDecay {
                tau_f: params.tval("tau_f"),
                tau_d,
            };
            let mut out = integrate(&sys, method, &[u, x], ts.t, ts.dt).into_iter();
            let (u_dec, x_dec) = (next(&mut out), next(&mut out));
            let (u_new, x_new, scale) = stp_spike(u_dec, x_dec, s, big_u);
            let like = states.f("x");
            states.set_f("u", u_new.into_tensor_like(&like));
            states.set_f("x", x_new.into_tensor_like(&like));
            scale.into_tensor_like(&like)
        } else {
            let sys = RecoveryDecay { tau_d };
            let x_dec = next(&mut integrate(&sys, method, &[x], ts.t, ts.dt).into_iter());
            let (x_new, scale) = std_spike(x_dec, s, big_u);
            let like = states.f("x");
            states.set_f("x", x_new.into_tensor_like(&like));
            scale.into_tensor_like(&like)
        }
    }
}

fn next(it: &mut impl Iterator<Item = TVal>) -> TVal {
    it.next()
        .expect("the integrator returns one value per variable")
}

fn positive(p: &ParamSpec, key: &str) -> Result<()> {
    if let Some(v) = p.as_scalar()
        && (v.is_nan() || v <= 0.0)
    {
        return Err(Error::arg(
            key,
            format!("a time constant must be > 0, got {v}"),
        ));
    }
    Ok(())
}

/// `du/dt = −u/τ_f`.
pub(crate) fn facilitation_du<T: Real>(u: T, tau_f: T) -> T {
    -u / tau_f
}

/// `dx/dt = (1 − x)/τ_d`.
pub(crate) fn recovery_dx<T: Real>(x: T, tau_d: T) -> T {
    x.rsub(1.0) / tau_d
}

/// The spike part of STP: `(u⁺, x⁺, scale = u⁺·x⁻)` from the decayed `u⁻`, `x⁻` and the
/// spike `s`.
pub(crate) fn stp_spike<T: Real>(u: T, x: T, s: T, big_u: T) -> (T, T, T) {
    let u_new = u.clone() + big_u * u.rsub(1.0) * s.clone();
    let scale = u_new.clone() * x.clone();
    let x_new = x - scale.clone() * s;
    (u_new, x_new, scale)
}

/// The spike part of STD: `(x⁺, scale = x⁻)`.
pub(crate) fn std_spike<T: Real>(x: T, s: T, big_u: T) -> (T, T) {
    let x_new = x.clone() - big_u * x.clone() * s;
    (x_new, x)
}

struct TmDecay {
    tau_f: TVal,
    tau_d: TVal,
}

impl OdeSystem<TVal> for TmDecay {
    fn n_vars(&self) -> usize {
        2
    }
    fn derivative<T: Num + From<TVal>>(&self, i: usize, x: &[T], _t: f64) -> T {
        match i {
            0 => facilitation_du(x[0].clone(), T::from(self.tau_f.clone())),
            _ => recovery_dx(x[1].clone(), T::from(self.tau_d.clone())),
        }
    }
}

struct RecoveryDecay {
    tau_d: TVal,
}

impl OdeSystem<TVal> for RecoveryDecay {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Num + From<TVal>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        recovery_dx(x[0].clone(), T::from(self.tau_d.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsodyks_markram_spike_updates() {
        // From rest u = 0, x = 1: the first spike releases U and leaves 1 − U.
        let (u, x, scale) = stp_spike(0.0f64, 1.0, 1.0, 0.15);
        assert_eq!((u, scale), (0.15, 0.15));
        assert!((x - 0.85).abs() < 1e-15);
        // No spike: nothing changes.
        let (u2, x2, _) = stp_spike(0.3f64, 0.6, 0.0, 0.15);
        assert_eq!((u2, x2), (0.3, 0.6));
        let (x, scale) = std_spike(0.8f64, 1.0, 0.07);
        assert_eq!(scale, 0.8);
        assert!((x - 0.8 * 0.93).abs() < 1e-15);
    }
}
