use crate::math::{Dual, Real};

use super::Method;

/// A system of ordinary differential equations `dxᵢ/dt = fᵢ(x, t)`.
///
/// `R` is the value type of the states (tensors, floats). `derivative` is generic over the
/// number type `T` it is evaluated in: the integrator calls it with `T = R` and, for
/// `exp_auto`, with dual numbers `T = Dual<R>`; parameters held as `R` enter with `T::from`.
pub trait OdeSystem<R: Real> {
    /// Number of state variables.
    fn n_vars(&self) -> usize;

    /// `dxᵢ/dt` for variable `i` at states `x` (all variables) and time `t`.
    fn derivative<T: Real + From<R>>(&self, i: usize, x: &[T], t: f64) -> T;
}

/// One step of `method` from states `x` at time `t` over `dt`; returns the new states.
pub fn integrate<R: Real, S: OdeSystem<R>>(
    sys: &S,
    method: Method,
    x: &[R],
    t: f64,
    dt: f64,
) -> Vec<R> {
    assert_eq!(
        x.len(),
        sys.n_vars(),
        "state count must equal the system's variable count"
    );
    match method {
        Method::ExpAuto => exp_auto(sys, x, t, dt),
        Method::Euler => {
            let k1 = eval(sys, x, t);
            axpy(x, &k1, dt)
        }
        Method::Rk2 => two_stage(sys, x, t, dt, 2.0 / 3.0),
        Method::Heun2 => two_stage(sys, x, t, dt, 1.0),
        Method::Midpoint => two_stage(sys, x, t, dt, 0.5),
        Method::Rk4 => rk4(sys, x, t, dt),
    }
}

fn eval<R: Real, S: OdeSystem<R>>(sys: &S, x: &[R], t: f64) -> Vec<R> {
    (0..x.len()).map(|i| sys.derivative::<R>(i, x, t)).collect()
}

/// `x + a·k` elementwise over the variables.
fn axpy<R: Real>(x: &[R], k: &[R], a: f64) -> Vec<R> {
    x.iter()
        .zip(k)
        .map(|(x, k)| x.clone() + k.clone() * a)
        .collect()
}

fn exp_auto<R: Real, S: OdeSystem<R>>(sys: &S, x: &[R], t: f64, dt: f64) -> Vec<R> {
    (0..x.len())
        .map(|i| {
            let duals: Vec<Dual<R>> = x
                .iter()
                .enumerate()
                .map(|(j, v)| {
                    if i == j {
                        Dual::var(v.clone())
                    } else {
                        Dual::cst(v.clone())
                    }
                })
                .collect();
            let y = sys.derivative::<Dual<R>>(i, &duals, t);
            let f = y.v;
            match y.d {
                // A = 0 exactly: φ = 1, plain Euler.
                None => x[i].clone() + f * dt,
                Some(a) => x[i].clone() + (a * dt).exprel() * dt * f,
            }
        })
        .collect()
}

/// Generic explicit two-stage Runge–Kutta with parameter β (BrainPy's `rk2` tableau:
/// c = (0, β), a₂₁ = β, b = (1 − 1/(2β), 1/(2β))).
fn two_stage<R: Real, S: OdeSystem<R>>(sys: &S, x: &[R], t: f64, dt: f64, beta: f64) -> Vec<R> {
    let k1 = eval(sys, x, t);
    let x2 = axpy(x, &k1, beta * dt);
    let k2 = eval(sys, &x2, t + beta * dt);
    let b2 = 1.0 / (2.0 * beta);
    let b1 = 1.0 - b2;
    x.iter()
        .zip(k1.iter().zip(&k2))
        .map(|(x, (k1, k2))| x.clone() + (k1.clone() * b1 + k2.clone() * b2) * dt)
        .collect()
}

fn rk4<R: Real, S: OdeSystem<R>>(sys: &S, x: &[R], t: f64, dt: f64) -> Vec<R> {
    let k1 = eval(sys, x, t);
    let k2 = eval(sys, &axpy(x, &k1, dt / 2.0), t + dt / 2.0);
    let k3 = eval(sys, &axpy(x, &k2, dt / 2.0), t + dt / 2.0);
    let k4 = eval(sys, &axpy(x, &k3, dt), t + dt);
    (0..x.len())
        .map(|i| {
            let s = k1[i].clone() + k2[i].clone() * 2.0 + k3[i].clone() * 2.0 + k4[i].clone();
            x[i].clone() + s * (dt / 6.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dx/dt = -x³ + sin(t) + a, the oracle's one-variable case (checked against BrainPy in
    /// `tests/parity_f64.rs`); here only the Euler and A = 0 algebra.
    struct Cubic {
        a: f64,
    }

    impl OdeSystem<f64> for Cubic {
        fn n_vars(&self) -> usize {
            1
        }
        fn derivative<T: Real + From<f64>>(&self, _i: usize, x: &[T], t: f64) -> T {
            let x0 = x[0].clone();
            -(x0.powi(3)) + T::from(t.sin() + self.a)
        }
    }

    #[test]
    fn euler_and_exp_auto_follow_their_formulas() {
        let s = Cubic { a: 0.5 };
        let (x0, t0, dt) = (1.3f64, 0.7f64, 0.1f64);
        let f = -x0 * x0 * x0 + t0.sin() + 0.5;
        let e = integrate(&s, Method::Euler, &[x0], t0, dt)[0];
        assert!((e - (x0 + dt * f)).abs() < 1e-15);
        let a = -3.0 * x0 * x0;
        let want = x0 + dt * ((dt * a).exp() - 1.0) / (dt * a) * f;
        let got = integrate(&s, Method::ExpAuto, &[x0], t0, dt)[0];
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }
}
