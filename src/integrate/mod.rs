//! Numerical integration of model equations (SPEC §2).
//!
//! A model states its right-hand side once, as an [`OdeSystem`] generic over [`Real`]; the
//! integrator is chosen per group with [`Method`] and never knows which model it steps.
//!
//! * `exp_auto` (the default, as in BrainPy): for each variable x with dx/dt = f,
//!   `x⁺ = x + dt·φ(dt·A)·f`, `A = ∂f/∂x` at the start-of-step values of all variables (exact,
//!   by forward-mode dual numbers), `φ(z) = (eᶻ − 1)/z`, `φ(0) = 1`. Variables of a joint
//!   system advance independently from the old state (Jacobi style), as BrainPy's `JointEq`.
//! * `euler`, `rk2` (Ralston, β = 2/3, BrainPy's default), `heun2`, `midpoint`, `rk4`: explicit
//!   Runge–Kutta on the whole system jointly.
//! * Noise (SDE, Euler–Maruyama) is added by the model after the drift step: see [`noise`].

pub mod noise;
mod ode;

pub use ode::{
    Copies, FnSource, OdeRhs, OdeSystem, Source, Vars, integrate, integrate_array, integrate_vars,
};

use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::error::{Error, Result};

/// An integration method, chosen per group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exponential Euler with the exact diagonal linearisation (BrainPy `exp_auto`).
    #[default]
    ExpAuto,
    /// Forward Euler.
    Euler,
    /// Two-stage Runge–Kutta with β = 2/3 (Ralston; BrainPy `rk2`).
    Rk2,
    /// Heun's two-stage method (β = 1).
    Heun2,
    /// Midpoint method (β = 1/2).
    Midpoint,
    /// Classical fourth-order Runge–Kutta.
    Rk4,
}

impl Method {
    /// The BrainPy name of the method.
    pub fn name(self) -> &'static str {
        match self {
            Method::ExpAuto => "exp_auto",
            Method::Euler => "euler",
            Method::Rk2 => "rk2",
            Method::Heun2 => "heun2",
            Method::Midpoint => "midpoint",
            Method::Rk4 => "rk4",
        }
    }
}

impl FromStr for Method {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "exp_auto" | "exp_euler" | "exponential_euler" | "exp_euler_auto" => Method::ExpAuto,
            "euler" => Method::Euler,
            "rk2" => Method::Rk2,
            "heun2" => Method::Heun2,
            "midpoint" => Method::Midpoint,
            "rk4" => Method::Rk4,
            _ => {
                return Err(Error::arg(
                    "method",
                    format!("`{s}` is not one of exp_auto, euler, rk2, heun2, midpoint, rk4"),
                ));
            }
        })
    }
}
