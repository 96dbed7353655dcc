use std::ops::{Add, Div, Mul, Neg, Sub};

use super::real::Real;

/// A forward-mode dual number `v + d·ε`: evaluating a right-hand side on duals gives its value
/// and its exact partial derivative with respect to the seeded variable.
///
/// `d = None` stands for a zero derivative (a constant), so constants cost no extra work.
#[derive(Clone, Debug)]
pub struct Dual<R> {
    /// The value.
    pub v: R,
    /// The derivative, `None` when it is zero.
    pub d: Option<R>,
}

impl<R: Real> Dual<R> {
    /// A constant (zero derivative).
    pub fn cst(v: R) -> Self {
        Dual { v, d: None }
    }

    /// The variable differentiated against (derivative one).
    pub fn var(v: R) -> Self {
        let one = v.one_like();
        Dual { v, d: Some(one) }
    }

    /// The derivative, as `zero_like` when it is zero.
    pub fn deriv_or_zero(&self) -> R {
        match &self.d {
            Some(d) => d.clone(),
            None => self.v.clone() * 0.0,
        }
    }

    fn chain(self, value: R, slope: impl FnOnce() -> R) -> Self {
        let d = self.d.map(|d| d * slope());
        Dual { v: value, d }
    }
}

impl<R: Real> From<R> for Dual<R> {
    fn from(v: R) -> Self {
        Dual::cst(v)
    }
}

fn add_opt<R: Real>(a: Option<R>, b: Option<R>) -> Option<R> {
    match (a, b) {
        (None, None) => None,
        (Some(a), None) => Some(a),
        (None, Some(b)) => Some(b),
        (Some(a), Some(b)) => Some(a + b),
    }
}

impl<R: Real> Add for Dual<R> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Dual {
            v: self.v + o.v,
            d: add_opt(self.d, o.d),
        }
    }
}

impl<R: Real> Sub for Dual<R> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Dual {
            v: self.v - o.v,
            d: add_opt(self.d, o.d.map(|d| -d)),
        }
    }
}

impl<R: Real> Mul for Dual<R> {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        let d = add_opt(
            self.d.map(|d| d * o.v.clone()),
            o.d.map(|d| self.v.clone() * d),
        );
        Dual { v: self.v * o.v, d }
    }
}

impl<R: Real> Div for Dual<R> {
    type Output = Self;
    // The quotient rule multiplies.
    #[allow(clippy::suspicious_arithmetic_impl)]
    fn div(self, o: Self) -> Self {
        let q = self.v / o.v.clone();
        // d(a/b) = (da - q db) / b
        let num = add_opt(self.d, o.d.map(|d| -(q.clone() * d)));
        Dual {
            v: q,
            d: num.map(|n| n / o.v),
        }
    }
}

impl<R: Real> Neg for Dual<R> {
    type Output = Self;
    fn neg(self) -> Self {
        Dual {
            v: -self.v,
            d: self.d.map(|d| -d),
        }
    }
}

impl<R: Real> Add<f64> for Dual<R> {
    type Output = Self;
    fn add(self, c: f64) -> Self {
        Dual {
            v: self.v + c,
            d: self.d,
        }
    }
}

impl<R: Real> Sub<f64> for Dual<R> {
    type Output = Self;
    fn sub(self, c: f64) -> Self {
        Dual {
            v: self.v - c,
            d: self.d,
        }
    }
}

impl<R: Real> Mul<f64> for Dual<R> {
    type Output = Self;
    fn mul(self, c: f64) -> Self {
        Dual {
            v: self.v * c,
            d: self.d.map(|d| d * c),
        }
    }
}

impl<R: Real> Div<f64> for Dual<R> {
    type Output = Self;
    fn div(self, c: f64) -> Self {
        Dual {
            v: self.v / c,
            d: self.d.map(|d| d / c),
        }
    }
}

impl<R: Real> Real for Dual<R> {
    fn exp(self) -> Self {
        let e = self.v.clone().exp();
        let e2 = e.clone();
        self.chain(e, || e2)
    }
    fn ln(self) -> Self {
        let x = self.v.clone();
        self.chain(x.clone().ln(), || x.recip())
    }
    fn recip(self) -> Self {
        let r = self.v.clone().recip();
        let r2 = r.clone();
        self.chain(r, || -(r2.clone() * r2))
    }
    fn sqrt(self) -> Self {
        let s = self.v.clone().sqrt();
        let s2 = s.clone();
        self.chain(s, || (s2 * 2.0).recip())
    }
    fn exprel(self) -> Self {
        let x = self.v.clone();
        self.chain(x.clone().exprel(), || x.exprel_d())
    }
    /// The derivative of `exprel` on duals, from its closed form (no series near 0: brainburn
    /// never needs second derivatives of `exprel`).
    fn exprel_d(self) -> Self {
        let x = self;
        let e = x.clone().exp();
        (e * (x.clone() - 1.0) + 1.0) / (x.clone() * x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_derivatives_match_closed_forms() {
        let x = 0.7f64;
        let f = |x: Dual<f64>| (x.clone() * x.clone() * x.clone()).rsub(1.0) + x.clone().exp() / x;
        let y = f(Dual::var(x));
        let want = -3.0 * x * x + (x.exp() * x - x.exp()) / (x * x);
        assert!((y.d.unwrap() - want).abs() < 1e-14);
        let g = Dual::var(-0.3f64).exprel();
        assert!((g.d.unwrap() - (-0.3f64).exprel_d()).abs() < 1e-15);
        let c = Dual::cst(2.0f64) * Dual::cst(3.0);
        assert!(c.d.is_none());
    }
}
