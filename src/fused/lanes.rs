//! SIMD-friendly lane types for the fused host loops: `F32x8` (eight f32) and `F64x4` (four
//! f64), implementing [`Real`] so model equations written once run on them unchanged.
//!
//! Operations are plain per-lane loops on arrays, marked `#[inline(always)]`, which LLVM turns
//! into vector instructions (SSE2 everywhere; AVX2/FMA inside the `target_feature` kernels of
//! `super::simd`). `exp` for f32 is a branch-free Cephes-style polynomial (≤ 2 ulp on the
//! clamped range), so it vectorises; f64 uses the standard library per lane.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::math::Real;

macro_rules! lanes {
    ($name:ident, $e:ty, $n:expr) => {
        /// A fixed group of lanes.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name(pub [$e; $n]);

        impl $name {
            /// Number of lanes.
            pub const LANES: usize = $n;

            /// Every lane equal to `c`.
            #[inline(always)]
            pub fn splat(c: $e) -> Self {
                $name([c; $n])
            }

            /// Lanes from `src[i..i + LANES]`, padding past the end with `pad`.
            #[inline(always)]
            pub fn load(src: &[$e], i: usize, pad: $e) -> Self {
                let mut a = [pad; $n];
                if i + $n <= src.len() {
                    a.copy_from_slice(&src[i..i + $n]);
                } else {
                    for k in 0..src.len().saturating_sub(i) {
                        a[k] = src[i + k];
                    }
                }
                $name(a)
            }

            /// Writes the lanes to `dst[i..]` (only those inside `dst`).
            #[inline(always)]
            pub fn store(self, dst: &mut [$e], i: usize) {
                if i + $n <= dst.len() {
                    dst[i..i + $n].copy_from_slice(&self.0);
                } else {
                    for k in 0..dst.len().saturating_sub(i) {
                        dst[i + k] = self.0[k];
                    }
                }
            }

            /// Lane-wise `f`.
            #[inline(always)]
            pub fn map(self, f: impl Fn($e) -> $e) -> Self {
                let mut a = self.0;
                for x in a.iter_mut() {
                    *x = f(*x);
                }
                $name(a)
            }

            /// Lane-wise `f(a, b)`.
            #[inline(always)]
            pub fn zip(self, o: Self, f: impl Fn($e, $e) -> $e) -> Self {
                let mut a = self.0;
                for k in 0..$n {
                    a[k] = f(a[k], o.0[k]);
                }
                $name(a)
            }

            /// `if cond(self) { a } else { b }` per lane, branch-free.
            #[inline(always)]
            pub fn select(self, cond: impl Fn($e) -> bool, a: Self, b: Self) -> Self {
                let mut r = b.0;
                for k in 0..$n {
                    if cond(self.0[k]) {
                        r[k] = a.0[k];
                    }
                }
                $name(r)
            }
        }

        impl Add for $name {
            type Output = Self;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.zip(o, |a, b| a + b)
            }
        }
        impl Sub for $name {
            type Output = Self;
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.zip(o, |a, b| a - b)
            }
        }
        impl Mul for $name {
            type Output = Self;
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.zip(o, |a, b| a * b)
            }
        }
        impl Div for $name {
            type Output = Self;
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self.zip(o, |a, b| a / b)
            }
        }
        impl Neg for $name {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                self.map(|a| -a)
            }
        }
        impl Add<f64> for $name {
            type Output = Self;
            #[inline(always)]
            fn add(self, c: f64) -> Self {
                let c = c as $e;
                self.map(|a| a + c)
            }
        }
        impl Sub<f64> for $name {
            type Output = Self;
            #[inline(always)]
            fn sub(self, c: f64) -> Self {
                let c = c as $e;
                self.map(|a| a - c)
            }
        }
        impl Mul<f64> for $name {
            type Output = Self;
            #[inline(always)]
            fn mul(self, c: f64) -> Self {
                let c = c as $e;
                self.map(|a| a * c)
            }
        }
        impl Div<f64> for $name {
            type Output = Self;
            #[inline(always)]
            fn div(self, c: f64) -> Self {
                let c = c as $e;
                self.map(|a| a / c)
            }
        }

        impl Real for $name {
            #[inline(always)]
            fn exp(self) -> Self {
                self.map(exp_lane)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                self.map(|a| a.ln())
            }
            #[inline(always)]
            fn recip(self) -> Self {
                self.map(|a| 1.0 / a)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                self.map(|a| a.sqrt())
            }
            #[inline(always)]
            fn one_like(&self) -> Self {
                Self::splat(1.0)
            }
            /// Series `Σ xᵏ/(k+1)!` for |x| < 0.5 (error < 1e-17 relative), `(eˣ − 1)/x`
            /// elsewhere (no cancellation there); both computed, one selected per lane.
            #[inline(always)]
            fn exprel(self) -> Self {
                let x = self;
                let mut s = Self::splat(1.0 / 6227020800.0); // 1/13!
                for d in [479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0, 5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0] {
                    s = s * x + (1.0 / d);
                }
                let direct = (x.exp() - 1.0) / x;
                x.select(|v| v.abs() < 0.5, s, direct)
            }
            /// Series of the derivative for |x| < 0.5, `(eˣ(x − 1) + 1)/x²` elsewhere.
            #[inline(always)]
            fn exprel_d(self) -> Self {
                let x = self;
                // d/dx Σ xᵏ/(k+1)! = Σ k xᵏ⁻¹/(k+1)!
                let mut s = Self::splat(12.0 / 6227020800.0);
                let coef = [11.0 / 479001600.0, 10.0 / 39916800.0, 9.0 / 3628800.0, 8.0 / 362880.0,
                    7.0 / 40320.0, 6.0 / 5040.0, 5.0 / 720.0, 4.0 / 120.0, 3.0 / 24.0, 2.0 / 6.0, 1.0 / 2.0];
                for c in coef {
                    s = s * x + c;
                }
                let direct = (x.exp() * (x - 1.0) + 1.0) / (x * x);
                x.select(|v| v.abs() < 0.5, s, direct)
            }
        }
    };
}

lanes!(F32x8, f32, 8);
lanes!(F64x4, f64, 4);

/// Lane-wise exponential, dispatched on the element type.
trait ExpLane: Copy {
    fn exp_lane(self) -> Self;
}

impl ExpLane for f64 {
    #[inline(always)]
    fn exp_lane(self) -> Self {
        self.exp()
    }
}

impl ExpLane for f32 {
    /// Cephes `expf`: x = n·ln2 + r, |r| ≤ ln2/2 (n = round(x/ln2)), e^r by a degree-6 polynomial, 2ⁿ by the
    /// exponent bits. Branch-free (clamps instead of tests), so it vectorises.
    #[inline(always)]
    fn exp_lane(self) -> Self {
        let x = self.clamp(-87.336_55, 88.722_83);
        // Round to nearest with the 1.5·2²³ trick (plain adds; `floor` is a libm call
        // without SSE4.1 and would stop vectorisation).
        const MAGIC: f32 = 12_582_912.0;
        let tm = x * std::f32::consts::LOG2_E + MAGIC;
        let n = tm - MAGIC;
        // The integer n sits in the low mantissa bits of `tm` (no float→int conversion).
        let ni = tm.to_bits() as i32 - MAGIC.to_bits() as i32;
        let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
        let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
            + 0.166_666_65)
            * r
            + 0.5;
        let y = p * r * r + r + 1.0;
        // n ∈ [-126, 128]: split 2ⁿ in two factors so 2^128 does not overflow the bits.
        let h = ni >> 1;
        let a = f32::from_bits(((h + 127) as u32) << 23);
        let b = f32::from_bits(((ni - h + 127) as u32) << 23);
        y * a * b
    }
}

#[inline(always)]
fn exp_lane<E: ExpLane>(x: E) -> E {
    x.exp_lane()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_exp_is_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let got = F32x8::splat(x).exp().0[0] as f64;
            let want = (x as f64).exp();
            let ulp = (want as f32).abs() as f64 * f32::EPSILON as f64;
            worst = worst.max((got - want).abs() / ulp);
            x += 0.013;
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        // Below the clamp the result is the smallest normal, ~1e-38 (a clamp, not a flush).
        assert!(F32x8::splat(-1000.0).exp().0[0] <= 1.2e-38);
        assert!(F32x8::splat(1000.0).exp().0[0].is_finite());
    }

    #[test]
    fn exprel_lanes_match_the_f64_reference() {
        for x in [0.0, 1e-9, -1e-4, 0.3, -0.49, 0.51, -2.0, 7.5, -30.0] {
            let want = Real::exprel(x);
            let got = F32x8::splat(x as f32).exprel().0[0] as f64;
            assert!(((got - want) / want).abs() < 3e-7, "x={x}: {got} vs {want}");
            let got = F64x4::splat(x).exprel().0[0];
            assert!(
                ((got - want) / want).abs() < 1e-14,
                "x={x}: {got} vs {want}"
            );
            let wd = Real::exprel_d(x);
            let gd = F64x4::splat(x).exprel_d().0[0];
            assert!(((gd - wd) / wd).abs() < 1e-12, "x={x}: {gd} vs {wd}");
        }
    }

    #[test]
    fn load_and_store_pad_the_tail() {
        let src = [1.0f32, 2.0, 3.0];
        let l = F32x8::load(&src, 0, 9.0);
        assert_eq!(l.0, [1.0, 2.0, 3.0, 9.0, 9.0, 9.0, 9.0, 9.0]);
        let mut dst = [0.0f32; 3];
        l.store(&mut dst, 0);
        assert_eq!(dst, src);
    }
}
