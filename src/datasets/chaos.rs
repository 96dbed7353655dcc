//! Chaotic time series for reservoir computing: the Mackey–Glass and Lorenz systems, as
//! BrainPy's data package generates them (`brainpy_datasets.chaos.MackeyGlassEq` and
//! `LorenzEq`, integrated with classical RK4).
//!
//! **Mackey–Glass** `dx/dt = β·x(t−τ)/(1 + x(t−τ)ⁿ) − γ·x(t)`, defaults `β = 2`, `γ = 1`,
//! `τ = 2`, `n = 9.65`, `dt = 0.1`, `x(0) = 1.2`. The delayed value comes from a ring buffer of
//! `⌈τ/dt⌉ + 1` past states read at the nearest step (BrainPy's `TimeDelay` with
//! `interp_method='round'`: offset `k = round_half_even((τ − (t_now − T))/dt)` from the oldest
//! slot, clamped to the last slot as jax's indexing clamps it). The buffer starts at `history`
//! (BrainPy draws `x₀ + 0.2·(U − 0.5)`).
//!
//! **Lorenz** `ẋ = σ(y − x)`, `ẏ = x(ρ − z) − y`, `ż = xy − βz`, defaults `σ = 10`, `ρ = 28`,
//! `β = 8/3`.
//!
//! Both return the state after each step (the initial condition is not included), as BrainPy
//! does. Both systems are chaotic: this port rounds as Rust's operations do, BrainPy's XLA build
//! fuses multiply-adds, so long series part after some hundred steps while their statistics
//! agree (`tests/cases/reservoir.rs` compares the first steps and uses BrainPy's own series
//! for the examples' oracle).

use crate::error::{Error, Result};

/// Mackey–Glass parameters (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct MackeyGlass {
    /// β.
    pub beta: f64,
    /// γ.
    pub gamma: f64,
    /// τ (time units).
    pub tau: f64,
    /// n.
    pub n: f64,
    /// Step (time units).
    pub dt: f64,
    /// x(0).
    pub x0: f64,
}

impl Default for MackeyGlass {
    fn default() -> Self {
        MackeyGlass {
            beta: 2.0,
            gamma: 1.0,
            tau: 2.0,
            n: 9.65,
            dt: 0.1,
            x0: 1.2,
        }
    }
}

impl MackeyGlass {
    /// Slots of the delay buffer, `⌈τ/dt⌉ + 1`.
    pub fn history_len(&self) -> usize {
        (self.tau / self.dt).ceil() as usize + 1
    }

    /// `steps` states after each RK4 step from a delay buffer filled with `history`
    /// (`history_len()` values, oldest first; `None`: all `x0`).
    pub fn series(&self, steps: usize, history: Option<&[f64]>) -> Result<Vec<f64>> {
        for (name, v) in [("dt", self.dt), ("tau", self.tau)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::arg(
                    format!("MackeyGlass.{name}"),
                    format!("must be finite and > 0, got {v}"),
                ));
            }
        }
        let len = self.history_len();
        let mut data = match history {
            Some(h) if h.len() != len => {
                return Err(Error::ShapeMismatch {
                    what: "MackeyGlass history".into(),
                    expected: vec![len],
                    got: vec![h.len()],
                });
            }
            Some(h) => h.to_vec(),
            None => vec![self.x0; len],
        };
        let (dt, tau) = (self.dt, self.tau);
        let mut idx = 0usize;
        let mut now = 0.0f64;
        let mut x = self.x0;
        let mut out = Vec::with_capacity(steps);
        for i in 0..steps {
            let t = i as f64 * dt;
            // Offsets and the index as BrainPy's compiled code forms them: the delayed time is
            // `t + (h − τ)` and its slot `round_half_even(diff·(1/dt))`; these lookups sit on
            // the rounding boundary (`diff/dt ≈ ½` at the half steps), so the same expression
            // is needed to read the same slot.
            let inv_dt = 1.0 / dt;
            let delayed = |data: &[f64], h: f64| -> f64 {
                let at = t + (h - tau);
                let diff = tau - (now - at);
                let k = (diff * inv_dt).round_ties_even() as i64;
                let mut j = idx as i64 + k;
                if j < 0 {
                    j += len as i64;
                }
                data[j.clamp(0, len as i64 - 1) as usize]
            };
            let f = |x: f64, xt: f64| self.beta * xt / (1.0 + xt.powf(self.n)) - self.gamma * x;
            let k1 = f(x, delayed(&data, 0.0));
            let k2 = f(x + 0.5 * dt * k1, delayed(&data, 0.5 * dt));
            let k3 = f(x + 0.5 * dt * k2, delayed(&data, 0.5 * dt));
            let k4 = f(x + dt * k3, delayed(&data, dt));
            x += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            data[idx] = x;
            now += dt;
            idx = (idx + 1) % len;
            out.push(x);
        }
        Ok(out)
    }
}

/// Lorenz parameters (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct Lorenz {
    /// σ.
    pub sigma: f64,
    /// ρ.
    pub rho: f64,
    /// β.
    pub beta: f64,
    /// Step (time units).
    pub dt: f64,
}

impl Default for Lorenz {
    fn default() -> Self {
        Lorenz {
            sigma: 10.0,
            rho: 28.0,
            beta: 8.0 / 3.0,
            dt: 0.01,
        }
    }
}

impl Lorenz {
    /// `steps` states `[x, y, z]` after each RK4 step from `init`.
    pub fn series(&self, steps: usize, init: [f64; 3]) -> Result<Vec<[f64; 3]>> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(Error::arg(
                "Lorenz.dt",
                format!("must be finite and > 0, got {}", self.dt),
            ));
        }
        let f = |[x, y, z]: [f64; 3]| {
            [
                self.sigma * (y - x),
                x * (self.rho - z) - y,
                x * y - self.beta * z,
            ]
        };
        let add =
            |a: [f64; 3], k: [f64; 3], h: f64| [a[0] + h * k[0], a[1] + h * k[1], a[2] + h * k[2]];
        let dt = self.dt;
        let mut s = init;
        let mut out = Vec::with_capacity(steps);
        for _ in 0..steps {
            let k1 = f(s);
            let k2 = f(add(s, k1, 0.5 * dt));
            let k3 = f(add(s, k2, 0.5 * dt));
            let k4 = f(add(s, k3, dt));
            for d in 0..3 {
                s[d] += dt / 6.0 * (k1[d] + 2.0 * k2[d] + 2.0 * k3[d] + k4[d]);
            }
            out.push(s);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mackey_glass_stays_on_its_attractor() {
        let s = MackeyGlass::default().series(5000, None).unwrap();
        let tail = &s[1000..];
        let (lo, hi) = tail
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(lo > 0.1 && hi < 2.0 && hi - lo > 0.5, "range {lo}..{hi}");
        assert!(MackeyGlass::default().series(3, Some(&[1.0])).is_err());
    }

    #[test]
    fn lorenz_stays_on_its_attractor() {
        let s = Lorenz::default().series(5000, [1.0, 1.0, 1.0]).unwrap();
        assert!(
            s.iter()
                .all(|p| p[2] > -1.0 && p[2] < 60.0 && p[0].abs() < 30.0)
        );
        assert!(s[1000..].iter().any(|p| p[0] > 5.0) && s[1000..].iter().any(|p| p[0] < -5.0));
    }
}
