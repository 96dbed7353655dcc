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
    #[inline(always)]
    pub fn cst(v: R) -> Self {
        Dual { v, d: None }
    }

    /// The variable differentiated against (derivative one).
    #[inline(always)]
    pub fn var(v: R) -> Self {
        let one = v.one_like();
        Dual { v, d: Some(one) }
    }

    /// The derivative, as `zero_like` when it is zero.
    #[inline(always)]
    pub fn deriv_or_zero(&self) -> R {
        match &self.d {
            Some(d) => d.clone(),
            None => self.v.clone() * 0.0,
        }
    }
}

impl<R: Real> From<R> for Dual<R> {
    #[inline(always)]
    fn from(v: R) -> Self {
        Dual::cst(v)
    }
}

#[inline(always)]
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
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Dual {
            v: self.v + o.v,
            d: add_opt(self.d, o.d),
        }
    }
}

impl<R: Real> Sub for Dual<R> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Dual {
            v: self.v - o.v,
            d: add_opt(self.d, o.d.map(|d| -d)),
        }
    }
}

impl<R: Real> Mul for Dual<R> {
    type Output = Self;
    #[inline(always)]
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
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        if R::RECIP_DIV && (self.d.is_some() || o.d.is_some()) {
            // Value and derivative share one reciprocal (single-precision lanes).
            let inv = o.v.recip();
            let q = self.v * inv.clone();
            let db = o.d.map(|d| -(q.clone() * d));
            let d = add_opt(self.d, db).map(|n| n * inv);
            return Dual { v: q, d };
        }
        let q = self.v / o.v.clone();
        // d(a/b) = (da - q db) / b
        let db = o.d.map(|d| -(q.clone() * d));
        Dual {
            v: q,
            d: match add_opt(self.d, db) {
                Some(n) => Some(n / o.v),
                None => None,
            },
        }
    }
}

impl<R: Real> Neg for Dual<R> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Dual {
            v: -self.v,
            d: self.d.map(|d| -d),
        }
    }
}

impl<R: Real> Add<f64> for Dual<R> {
    type Output = Self;
    #[inline(always)]
    fn add(self, c: f64) -> Self {
        Dual {
            v: self.v + c,
            d: self.d,
        }
    }
}

impl<R: Real> Sub<f64> for Dual<R> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, c: f64) -> Self {
        Dual {
            v: self.v - c,
            d: self.d,
        }
    }
}

impl<R: Real> Mul<f64> for Dual<R> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, c: f64) -> Self {
        Dual {
            v: self.v * c,
            d: self.d.map(|d| d * c),
        }
    }
}

impl<R: Real> Div<f64> for Dual<R> {
    type Output = Self;
    #[inline(always)]
    fn div(self, c: f64) -> Self {
        Dual {
            v: self.v / c,
            d: self.d.map(|d| d / c),
        }
    }
}

impl<R: Real> Real for Dual<R> {
    #[inline(always)]
    fn exp(self) -> Self {
        let e = self.v.exp();
        let d = self.d.map(|d| d * e.clone());
        Dual { v: e, d }
    }
    #[inline(always)]
    fn ln(self) -> Self {
        let d = self.d.map(|d| d * self.v.clone().recip());
        Dual { v: self.v.ln(), d }
    }
    #[inline(always)]
    fn recip(self) -> Self {
        let r = self.v.recip();
        let d = self.d.map(|d| d * -(r.clone() * r.clone()));
        Dual { v: r, d }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        let s = self.v.sqrt();
        let d = self.d.map(|d| d * (s.clone() * 2.0).recip());
        Dual { v: s, d }
    }
    #[inline(always)]
    fn x_over_expm1(self) -> Self {
        match self.d {
            None => Dual {
                v: self.v.x_over_expm1(),
                d: None,
            },
            Some(dx) => match self.v.clone().x_over_expm1_with_d() {
                Some((a, da)) => Dual {
                    v: a,
                    d: Some(dx * da),
                },
                None => Dual {
                    v: self.v,
                    d: Some(dx),
                }
                .exprel()
                .recip(),
            },
        }
    }
    #[inline(always)]
    fn exprel(self) -> Self {
        match self.d {
            None => Dual {
                v: self.v.exprel(),
                d: None,
            },
            Some(d) => {
                let (e, de) = self.v.exprel_with_d();
                Dual {
                    v: e,
                    d: Some(d * de),
                }
            }
        }
    }
    /// The derivative of `exprel` on duals, from its closed form (no series near 0: brainburn
    /// never needs second derivatives of `exprel`).
    #[inline(always)]
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
