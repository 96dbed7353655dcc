use std::ops::{Add, Div, Mul, Neg, Sub};

/// A number model equations can be written in: host floats, tensors, dual numbers.
///
/// Arithmetic with `f64` constants is part of the contract (`x * 0.1`, `x + 35.0`); write
/// constant-first expressions with [`Real::rsub`] / [`Real::rdiv`].
pub trait Real:
    Clone
    + Sized
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Add<f64, Output = Self>
    + Sub<f64, Output = Self>
    + Mul<f64, Output = Self>
    + Div<f64, Output = Self>
{
    /// `e^x`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `1 / x`.
    fn recip(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `(e^x - 1) / x`, equal to 1 at `x = 0` and finite everywhere (no 0/0).
    fn exprel(self) -> Self;
    /// The derivative of [`Real::exprel`], `(x e^x - e^x + 1) / x²`, equal to 1/2 at 0.
    fn exprel_d(self) -> Self;
    /// Whether a quotient that also needs its derivative is taken as one reciprocal and two
    /// products (single-precision SIMD lanes, where a division costs ten multiplications);
    /// exact divisions otherwise.
    const RECIP_DIV: bool = false;

    /// `x / (eˣ − 1)`, the HH-type rates' removable singularity, finite everywhere (1 at 0):
    /// `1 / exprel(x)` unless the type has a cheaper exact form.
    #[inline(always)]
    fn x_over_expm1(self) -> Self {
        self.exprel().recip()
    }

    /// `x / (eˣ − 1)` and its derivative in one evaluation, for types with such a form
    /// (`None`: the dual number composes `1/exprel`).
    #[inline(always)]
    fn x_over_expm1_with_d(self) -> Option<(Self, Self)> {
        None
    }

    /// [`Real::exprel`] and [`Real::exprel_d`] together (types where both share work, an
    /// exponential, override it).
    #[inline(always)]
    fn exprel_with_d(self) -> (Self, Self) {
        (self.clone().exprel(), self.exprel_d())
    }

    /// The constant 1 in the cheapest form for this type (a host scalar for tensors).
    #[inline(always)]
    fn one_like(&self) -> Self {
        self.clone() * 0.0 + 1.0
    }

    /// `c - x`.
    #[inline(always)]
    fn rsub(self, c: f64) -> Self {
        -self + c
    }

    /// `c / x`.
    #[inline(always)]
    fn rdiv(self, c: f64) -> Self {
        self.recip() * c
    }

    /// `x^n` for `n >= 1` by binary exponentiation, the order XLA uses for `integer_pow`
    /// (`x³ = x·x²`, `x⁴ = (x²)²`), so products round as in BrainPy.
    #[inline(always)]
    fn powi(self, n: u32) -> Self {
        assert!(n >= 1, "powi needs n >= 1");
        let mut y = n;
        let mut x = self;
        let mut acc: Option<Self> = None;
        while y > 0 {
            if y & 1 == 1 {
                acc = Some(match acc {
                    None => x.clone(),
                    Some(a) => a * x.clone(),
                });
            }
            y >>= 1;
            if y > 0 {
                x = x.clone() * x;
            }
        }
        acc.expect("n >= 1 sets acc")
    }
}

/// Below this |x|, `exprel` and its derivative use their Taylor series.
pub(crate) const EXPREL_TAYLOR: f64 = 1e-3;

impl Real for f64 {
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        f64::recip(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn exprel(self) -> Self {
        let x = self;
        if x.abs() < EXPREL_TAYLOR {
            1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x / 120.0)))
        } else {
            x.exp_m1() / x
        }
    }
    #[inline(always)]
    fn exprel_d(self) -> Self {
        let x = self;
        if x.abs() < 1e-2 {
            0.5 + x * (1.0 / 3.0 + x * (1.0 / 8.0 + x * (1.0 / 30.0 + x / 144.0)))
        } else if x < -700.0 {
            1.0 / (x * x)
        } else {
            (x.exp() * (x - 1.0) + 1.0) / (x * x)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exprel_is_finite_and_continuous_at_zero() {
        assert_eq!(0.0f64.exprel(), 1.0);
        for x in [
            1e-12f64, -1e-12, 1e-4, -1e-4, 1e-3, -1e-3, 0.5, -3.0, 40.0, -800.0,
        ] {
            let want = if x.abs() < 1e-8 {
                1.0 + x / 2.0
            } else {
                x.exp_m1() / x
            };
            let got = x.exprel();
            assert!(
                ((got - want) / want).abs() < 1e-13,
                "x={x}: {got} vs {want}"
            );
        }
        assert!((1e-9f64.exprel_d() - 0.5).abs() < 1e-9);
        let h = 1e-5;
        for x in [0.02, -0.5, 2.0, -10.0] {
            let fd = ((x + h).exprel() - (x - h).exprel()) / (2.0 * h);
            assert!((x.exprel_d() - fd).abs() < 1e-8, "x={x}");
        }
    }

    #[test]
    fn powi_matches_repeated_products() {
        let x = 1.2345f64;
        assert_eq!(Real::powi(x, 3), x * (x * x));
        assert_eq!(Real::powi(x, 4), (x * x) * (x * x));
        assert_eq!(Real::powi(x, 1), x);
    }
}
