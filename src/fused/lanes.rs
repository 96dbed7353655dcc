//! Lane types for the fused host loops, implementing [`Real`] so model equations written once
//! run on them unchanged:
//!
//! * [`F32x8`] (eight f32) and [`F64x4`] (four f64): portable arrays whose per-lane loops LLVM
//!   vectorises for the SSE2 baseline;
//! * `Avx8` (eight f32 in one 256-bit register, x86-64 only): explicit AVX2 intrinsics, used
//!   only inside the AVX2 versions of the kernels that [`super::simd`] selects at run time
//!   (the array form leaves LLVM spilling and splitting 256-bit values).
//!
//! Both f32 types evaluate every operation in the same order without FMA, so they give
//! bit-identical results. `exp` for f32 is a branch-free Cephes polynomial (≤ 2 ulp on the
//! clamped range); f64 uses the standard library per lane.

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::math::{Num, Real};

/// What the fused kernels need of a lane type besides [`Real`]: loads, stores, comparisons
/// into masks, blends.
pub trait Lanes: Num<Mask: Copy> + Copy + Send + Sync + Debug {
    /// The element type.
    type E: Copy + PartialOrd + Default + Send + Sync + Debug + 'static;
    /// Number of lanes.
    const N: usize;
    /// Whether the lanes are single precision (f32).
    const SINGLE: bool;
    /// Below this |x|, `exprel` and its derivative use their series.
    const EXPREL_THRESHOLD: f64;
    /// Series coefficients of `exprel`, highest degree first (`1/(k+1)!`).
    const EXPREL_SERIES: &'static [f64];
    /// Series coefficients of `exprel′`, highest degree first (`k/(k+1)!`, k ≥ 1).
    const EXPREL_D_SERIES: &'static [f64];

    /// The element nearest to `c`.
    fn elem(c: f64) -> Self::E;
    /// Every lane equal to `c`.
    fn splat(c: Self::E) -> Self;
    /// Lanes from `src[i..i + N]`, padding past the end of `src` with `pad`.
    fn load(src: &[Self::E], i: usize, pad: Self::E) -> Self;
    /// Writes the lanes to `dst[i..]` (only those inside `dst`).
    fn store(self, dst: &mut [Self::E], i: usize);
    /// Lane `k`.
    fn lane(&self, k: usize) -> Self::E;
    /// |x| (the lanes' own; [`Num::abs`] calls it).
    fn vabs(self) -> Self;
    /// `self < o` per lane.
    fn lt(self, o: Self) -> Self::Mask;
    /// `self <= o` per lane.
    fn le(self, o: Self) -> Self::Mask;
    /// `self >= o` per lane (false where either is NaN, as Rust's `>=`).
    fn ge(self, o: Self) -> Self::Mask;
    /// `m ? a : b` per lane.
    fn blend(m: Self::Mask, a: Self, b: Self) -> Self;
    /// Both conditions.
    fn and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// The opposite condition.
    fn not(m: Self::Mask) -> Self::Mask;
    /// Bit `k` set where lane `k` holds.
    fn bits(m: Self::Mask) -> u32;
    /// The condition "`src[i + k]` is true" per lane (false past the end of `src`).
    fn load_bools(src: &[bool], i: usize) -> Self::Mask;
    /// Whether some lane holds.
    #[inline(always)]
    fn any(m: Self::Mask) -> bool {
        Self::bits(m) != 0
    }
    /// Whether every lane holds.
    #[inline(always)]
    fn all(m: Self::Mask) -> bool {
        Self::bits(m) == (1u32 << Self::N) - 1
    }
}

/// `(eˣ − 1)/x` and, when `deriv`, its derivative `(x eˣ − eˣ + 1)/x²`, from `x` and
/// `ex = eˣ` (shared with the caller): the series below `L::EXPREL_THRESHOLD` (|x| < 1 in f32,
/// 0.5 in f64; the remainder is below the precision), the direct quotients elsewhere, each
/// computed only when some lane needs it (no 0/0 in the lanes that take the series).
#[inline(always)]
pub fn exprel_pair<L: Lanes>(x: L, ex: L, deriv: bool) -> (L, L) {
    let small = x.vabs().lt(L::cst(L::EXPREL_THRESHOLD));
    let (near, far) = (L::any(small), !L::all(small));
    let (mut e, mut d) = (x, x);
    if near {
        let s = L::EXPREL_SERIES;
        let mut acc = L::cst(s[0]);
        for &c in &s[1..] {
            acc = acc * x + c;
        }
        e = acc;
        if deriv {
            let s = L::EXPREL_D_SERIES;
            let mut acc = L::cst(s[0]);
            for &c in &s[1..] {
                acc = acc * x + c;
            }
            d = acc;
        }
    }
    if far {
        let one = L::cst(1.0);
        let safe = L::blend(small, one, x);
        let de = (ex - 1.0) / safe;
        e = if near { L::blend(small, e, de) } else { de };
        if deriv {
            let dd = (ex * (safe - 1.0) + 1.0) / (safe * safe);
            d = if near { L::blend(small, d, dd) } else { dd };
        }
    }
    (e, d)
}

/// `(eˣ − 1)/x` and its derivative from one exponential, computed only when some lane is
/// outside the series range (the dual-number `exprel` of `exp_auto`'s ∂f/∂x).
#[inline(always)]
pub fn exprel_with_d<L: Lanes>(x: L) -> (L, L) {
    let ex = if L::all(x.vabs().lt(L::cst(L::EXPREL_THRESHOLD))) {
        x
    } else {
        x.exp()
    };
    exprel_pair(x, ex, true)
}

/// `x/(eˣ − 1)` with (`deriv`) its derivative from one exponential (computed only when some
/// lane is outside the series range) and one division.
#[inline(always)]
pub fn x_over_expm1_lazy<L: Lanes>(x: L, deriv: bool) -> (L, L) {
    let ex = if L::all(x.vabs().lt(L::cst(L::EXPREL_THRESHOLD))) {
        x
    } else {
        x.exp()
    };
    x_over_expm1_pair(x, ex, deriv)
}

/// `(eˣ − 1)/x` computing `eˣ` only when some lane is outside the series range; in single
/// precision, lanes below 1/16 take the short series `1 + x/2 + x²/6 + x³/24 + x⁴/120` (the
/// omitted terms are below 1.3e-9 relative there; the factors `φ(dt·A)` of `exp_auto` mostly
/// are that small). Each lane's result depends on its own input only (branches are taken per
/// vector, results blended per lane), so vectors of 8 and 16 lanes give identical bits.
#[inline(always)]
pub fn exprel_lazy<L: Lanes>(x: L) -> L {
    let ax = x.vabs();
    let tiny = ax.lt(L::cst(1.0 / 16.0));
    if L::SINGLE && L::all(tiny) {
        return exprel_short(x);
    }
    let small = ax.lt(L::cst(L::EXPREL_THRESHOLD));
    let ex = if L::all(small) { x } else { x.exp() };
    let full = exprel_pair(x, ex, false).0;
    if L::SINGLE && L::any(tiny) {
        L::blend(tiny, exprel_short(x), full)
    } else {
        full
    }
}

/// `1 + x/2 + x²/6 + x³/24 + x⁴/120` (a function, not a closure: closures are not always
/// inlined into the SIMD kernels).
#[inline(always)]
fn exprel_short<L: Lanes>(x: L) -> L {
    let mut acc = L::cst(1.0 / 120.0);
    for c in [1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0] {
        acc = acc * x + c;
    }
    acc
}

/// `x/(eˣ − 1)` (the HH-type rates' removable singularity, `1/exprel`) and, when `deriv`,
/// its derivative, from `x` and `ex = eˣ`: one division per branch (`1/series` near 0;
/// `x/(eˣ − 1)` and `(1 − α·eˣ)/(eˣ − 1)` elsewhere), each branch only when a lane needs it.
#[inline(always)]
pub fn x_over_expm1_pair<L: Lanes>(x: L, ex: L, deriv: bool) -> (L, L) {
    let small = x.vabs().lt(L::cst(L::EXPREL_THRESHOLD));
    let (near, far) = (L::any(small), !L::all(small));
    let (mut a, mut d) = (x, x);
    if near {
        let s = L::EXPREL_SERIES;
        let mut acc = L::cst(s[0]);
        for &c in &s[1..] {
            acc = acc * x + c;
        }
        a = acc.recip();
        if deriv {
            let s = L::EXPREL_D_SERIES;
            let mut acc = L::cst(s[0]);
            for &c in &s[1..] {
                acc = acc * x + c;
            }
            d = -(acc * a * a);
        }
    }
    if far {
        let inv = (ex - 1.0).recip();
        let af = x * inv;
        a = if near { L::blend(small, a, af) } else { af };
        if deriv {
            let df = inv * (af * ex).rsub(1.0);
            d = if near { L::blend(small, d, df) } else { df };
        }
    }
    (a, d)
}

/// `1/(k+1)!` for k = 10 down to 0: the f32 series of `exprel` (|x| < 1, remainder < 3e-9).
const SERIES_F32: [f64; 11] = [
    1.0 / 39916800.0,
    1.0 / 3628800.0,
    1.0 / 362880.0,
    1.0 / 40320.0,
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    1.0 / 2.0,
    1.0,
];
/// `k/(k+1)!` for k = 11 down to 1: the derivative series (|x| < 1, remainder < 3e-9).
const DSERIES_F32: [f64; 11] = [
    11.0 / 479001600.0,
    10.0 / 39916800.0,
    9.0 / 3628800.0,
    8.0 / 362880.0,
    7.0 / 40320.0,
    6.0 / 5040.0,
    5.0 / 720.0,
    4.0 / 120.0,
    3.0 / 24.0,
    2.0 / 6.0,
    1.0 / 2.0,
];
/// `1/(k+1)!` for k = 12 down to 0: the f64 series (|x| < 0.5, remainder < 1e-17 relative).
const SERIES_F64: [f64; 13] = [
    1.0 / 6227020800.0,
    1.0 / 479001600.0,
    1.0 / 39916800.0,
    1.0 / 3628800.0,
    1.0 / 362880.0,
    1.0 / 40320.0,
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    1.0 / 2.0,
    1.0,
];
/// `k/(k+1)!` for k = 13 down to 1.
const DSERIES_F64: [f64; 13] = [
    13.0 / 87178291200.0,
    12.0 / 6227020800.0,
    11.0 / 479001600.0,
    10.0 / 39916800.0,
    9.0 / 3628800.0,
    8.0 / 362880.0,
    7.0 / 40320.0,
    6.0 / 5040.0,
    5.0 / 720.0,
    4.0 / 120.0,
    3.0 / 24.0,
    2.0 / 6.0,
    1.0 / 2.0,
];

/// The constants of the Cephes `expf` (shared by the portable and the AVX2 version).
mod cephes {
    pub const LO: f32 = -87.336_55;
    pub const HI: f32 = 88.722_83;
    /// 1.5·2²³: adding it rounds to an integer held in the low mantissa bits.
    pub const MAGIC: f32 = 12_582_912.0;
    pub const C1: f32 = 0.693_359_4;
    pub const C2: f32 = -2.121_944_4e-4;
    pub const P: [f32; 6] = [
        1.987_569_1e-4,
        1.398_2e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        0.166_666_65,
        0.5,
    ];
}

/// Cephes `expf` on one lane: x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2ⁿ by
/// the exponent bits. Branch-free (clamps instead of tests), so it vectorises.
#[inline(always)]
fn expf_lane(x: f32) -> f32 {
    use cephes::*;
    // `clamp` keeps NaN (a NaN state must stay visible).
    let x = x.clamp(LO, HI);
    // Round to nearest with the magic constant (plain adds; `floor` is a libm call without
    // SSE4.1 and would stop vectorisation).
    let tm = x * std::f32::consts::LOG2_E + MAGIC;
    let n = tm - MAGIC;
    // The integer n sits in the low mantissa bits of `tm` (no float→int conversion).
    let ni = tm.to_bits() as i32 - MAGIC.to_bits() as i32;
    let r = x - n * C1 - n * C2;
    let p = ((((P[0] * r + P[1]) * r + P[2]) * r + P[3]) * r + P[4]) * r + P[5];
    let y = p * r * r + r + 1.0;
    // n ∈ [-126, 128]: split 2ⁿ in two factors so 2^128 does not overflow the bits.
    let h = ni >> 1;
    let a = f32::from_bits(((h + 127) as u32) << 23);
    let b = f32::from_bits(((ni - h + 127) as u32) << 23);
    y * a * b
}

macro_rules! portable {
    ($name:ident, $e:ty, $n:expr, $exp:expr, $thr:expr, $series:expr, $dseries:expr,
     $exprel:expr, $exprel_d:expr, $exprel_with_d:expr) => {
        /// A fixed group of lanes (portable arrays).
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name(pub [$e; $n]);

        impl $name {
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

            #[inline(always)]
            fn cmp(self, o: Self, f: impl Fn($e, $e) -> bool) -> [bool; $n] {
                let mut m = [false; $n];
                for k in 0..$n {
                    m[k] = f(self.0[k], o.0[k]);
                }
                m
            }
        }

        impl Lanes for $name {
            type E = $e;
            const N: usize = $n;
            const SINGLE: bool = std::mem::size_of::<$e>() == 4;
            const EXPREL_THRESHOLD: f64 = $thr;
            const EXPREL_SERIES: &'static [f64] = &$series;
            const EXPREL_D_SERIES: &'static [f64] = &$dseries;
            #[inline(always)]
            fn elem(c: f64) -> $e {
                c as $e
            }
            #[inline(always)]
            fn splat(c: $e) -> Self {
                $name([c; $n])
            }
            #[inline(always)]
            fn load(src: &[$e], i: usize, pad: $e) -> Self {
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
            #[inline(always)]
            fn store(self, dst: &mut [$e], i: usize) {
                if i + $n <= dst.len() {
                    dst[i..i + $n].copy_from_slice(&self.0);
                } else {
                    for k in 0..dst.len().saturating_sub(i) {
                        dst[i + k] = self.0[k];
                    }
                }
            }
            #[inline(always)]
            fn lane(&self, k: usize) -> $e {
                self.0[k]
            }
            #[inline(always)]
            fn vabs(self) -> Self {
                self.map(|a| a.abs())
            }
            #[inline(always)]
            fn lt(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a < b)
            }
            #[inline(always)]
            fn le(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a <= b)
            }
            #[inline(always)]
            fn ge(self, o: Self) -> [bool; $n] {
                self.cmp(o, |a, b| a >= b)
            }
            #[inline(always)]
            fn blend(m: [bool; $n], a: Self, b: Self) -> Self {
                let mut r = b.0;
                for k in 0..$n {
                    if m[k] {
                        r[k] = a.0[k];
                    }
                }
                $name(r)
            }
            #[inline(always)]
            fn and(a: [bool; $n], b: [bool; $n]) -> [bool; $n] {
                let mut r = a;
                for k in 0..$n {
                    r[k] &= b[k];
                }
                r
            }
            #[inline(always)]
            fn not(m: [bool; $n]) -> [bool; $n] {
                m.map(|b| !b)
            }
            #[inline(always)]
            fn bits(m: [bool; $n]) -> u32 {
                let mut r = 0u32;
                for k in 0..$n {
                    r |= (m[k] as u32) << k;
                }
                r
            }
            #[inline(always)]
            fn load_bools(src: &[bool], i: usize) -> [bool; $n] {
                let mut m = [false; $n];
                if i + $n <= src.len() {
                    m.copy_from_slice(&src[i..i + $n]);
                } else {
                    for k in 0..src.len().saturating_sub(i) {
                        m[k] = src[i + k];
                    }
                }
                m
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
            /// Single precision multiplies by the reciprocal of the constant (rounded once from
            /// f64; within 1 ulp of the quotient, and a division costs ten multiplications);
            /// double precision divides, as the composed path does.
            #[inline(always)]
            fn div(self, c: f64) -> Self {
                if std::mem::size_of::<$e>() == 4 {
                    let r = (1.0 / c) as $e;
                    self.map(|a| a * r)
                } else {
                    let c = c as $e;
                    self.map(|a| a / c)
                }
            }
        }

        impl Real for $name {
            #[inline(always)]
            fn exp(self) -> Self {
                self.map($exp)
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
                <Self as Lanes>::splat(1.0)
            }
            #[inline(always)]
            fn exprel(self) -> Self {
                $exprel(self)
            }
            #[inline(always)]
            fn exprel_d(self) -> Self {
                $exprel_d(self)
            }
            #[inline(always)]
            fn exprel_with_d(self) -> (Self, Self) {
                $exprel_with_d(self)
            }
            const RECIP_DIV: bool = std::mem::size_of::<$e>() == 4;
            #[inline(always)]
            fn x_over_expm1(self) -> Self {
                if std::mem::size_of::<$e>() == 4 {
                    x_over_expm1_lazy(self, false).0
                } else {
                    self.exprel().recip()
                }
            }
            #[inline(always)]
            fn x_over_expm1_with_d(self) -> Option<(Self, Self)> {
                (std::mem::size_of::<$e>() == 4).then(|| x_over_expm1_lazy(self, true))
            }
        }
    };
}

portable!(
    F32x8,
    f32,
    8,
    expf_lane,
    1.0,
    SERIES_F32,
    DSERIES_F32,
    exprel_lazy,
    |x: F32x8| exprel_pair(x, x.exp(), true).1,
    exprel_with_d
);
// float64 runs exist for parity with BrainPy's x64 mode, where the last ulp matters over long
// chaotic runs: their `exprel` is the host f64 one per lane (`expm1`-based, as the composed
// path's constants), not the series/quotient pair.
portable!(
    F64x4,
    f64,
    4,
    f64::exp,
    0.5,
    SERIES_F64,
    DSERIES_F64,
    |x: F64x4| x.map(<f64 as Real>::exprel),
    |x: F64x4| x.map(<f64 as Real>::exprel_d),
    |x: F64x4| (x.map(<f64 as Real>::exprel), x.map(<f64 as Real>::exprel_d))
);

#[cfg(target_arch = "x86_64")]
pub(crate) use avx::Avx8;

/// Eight f32 lanes in one AVX register.
///
/// Every method is an `#[inline(always)]` wrapper around AVX/AVX2 intrinsics: a value of this
/// type may only be created inside code that runs after [`super::simd::has_avx2`] said yes —
/// the AVX2 versions of the kernels, where the wrappers inline and the intrinsics become
/// single instructions. The type is crate-private for that reason.
#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;
    use std::ops::{Add, Div, Mul, Neg, Sub};

    use super::{Lanes, cephes, exprel_lazy, exprel_pair};
    use crate::math::Real;

    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Avx8(__m256);

    // SAFETY (every `unsafe` block below): an `Avx8` only exists on a CPU with AVX2 (see the
    // type's documentation), and the pointer accesses stay inside the checked slices.
    macro_rules! binop {
        ($tr:ident, $m:ident, $f:ident) => {
            impl $tr for Avx8 {
                type Output = Self;
                #[inline(always)]
                fn $m(self, o: Self) -> Self {
                    unsafe { Avx8($f(self.0, o.0)) }
                }
            }
            impl $tr<f64> for Avx8 {
                type Output = Self;
                #[inline(always)]
                fn $m(self, c: f64) -> Self {
                    // A constant divisor becomes its reciprocal (as the portable lanes do).
                    if stringify!($m) == "div" {
                        unsafe { Avx8(_mm256_mul_ps(self.0, _mm256_set1_ps((1.0 / c) as f32))) }
                    } else {
                        unsafe { Avx8($f(self.0, _mm256_set1_ps(c as f32))) }
                    }
                }
            }
        };
    }
    binop!(Add, add, _mm256_add_ps);
    binop!(Sub, sub, _mm256_sub_ps);
    binop!(Mul, mul, _mm256_mul_ps);
    binop!(Div, div, _mm256_div_ps);

    impl Neg for Avx8 {
        type Output = Self;
        #[inline(always)]
        fn neg(self) -> Self {
            unsafe { Avx8(_mm256_xor_ps(self.0, _mm256_set1_ps(-0.0))) }
        }
    }

    impl Avx8 {
        #[inline(always)]
        fn to_array(self) -> [f32; 8] {
            let mut a = [0.0f32; 8];
            unsafe { _mm256_storeu_ps(a.as_mut_ptr(), self.0) };
            a
        }
        #[inline(always)]
        fn from_array(a: [f32; 8]) -> Self {
            unsafe { Avx8(_mm256_loadu_ps(a.as_ptr())) }
        }
    }

    impl Lanes for Avx8 {
        type E = f32;
        const N: usize = 8;
        const SINGLE: bool = true;
        const EXPREL_THRESHOLD: f64 = super::F32x8::EXPREL_THRESHOLD;
        const EXPREL_SERIES: &'static [f64] = super::F32x8::EXPREL_SERIES;
        const EXPREL_D_SERIES: &'static [f64] = super::F32x8::EXPREL_D_SERIES;
        #[inline(always)]
        fn elem(c: f64) -> f32 {
            c as f32
        }
        #[inline(always)]
        fn splat(c: f32) -> Self {
            unsafe { Avx8(_mm256_set1_ps(c)) }
        }
        #[inline(always)]
        fn load(src: &[f32], i: usize, pad: f32) -> Self {
            if i + 8 <= src.len() {
                unsafe { Avx8(_mm256_loadu_ps(src.as_ptr().add(i))) }
            } else {
                let mut a = [pad; 8];
                let n = src.len().saturating_sub(i);
                a[..n].copy_from_slice(&src[i..i + n]);
                Self::from_array(a)
            }
        }
        #[inline(always)]
        fn store(self, dst: &mut [f32], i: usize) {
            if i + 8 <= dst.len() {
                unsafe { _mm256_storeu_ps(dst.as_mut_ptr().add(i), self.0) }
            } else {
                let a = self.to_array();
                let n = dst.len().saturating_sub(i);
                dst[i..i + n].copy_from_slice(&a[..n]);
            }
        }
        #[inline(always)]
        fn lane(&self, k: usize) -> f32 {
            self.to_array()[k]
        }
        #[inline(always)]
        fn vabs(self) -> Self {
            unsafe { Avx8(_mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0)) }
        }
        #[inline(always)]
        fn lt(self, o: Self) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn le(self, o: Self) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn ge(self, o: Self) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn blend(m: __m256, a: Self, b: Self) -> Self {
            unsafe { Avx8(_mm256_blendv_ps(b.0, a.0, m)) }
        }
        #[inline(always)]
        fn and(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_and_ps(a, b) }
        }
        #[inline(always)]
        fn not(m: __m256) -> __m256 {
            unsafe { _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_set1_epi32(-1))) }
        }
        #[inline(always)]
        fn bits(m: __m256) -> u32 {
            unsafe { _mm256_movemask_ps(m) as u32 }
        }
        #[inline(always)]
        fn load_bools(src: &[bool], i: usize) -> __m256 {
            // Eight bools are eight bytes of 0/1: widen them to 32-bit lanes and compare.
            let word = if i + 8 <= src.len() {
                // SAFETY: eight in-bounds bytes (a bool is one byte, 0 or 1).
                unsafe { std::ptr::read_unaligned(src.as_ptr().add(i) as *const u64) }
            } else {
                let mut b = [0u8; 8];
                for k in 0..src.len().saturating_sub(i) {
                    b[k] = src[i + k] as u8;
                }
                u64::from_le_bytes(b)
            };
            unsafe {
                let bytes = _mm_cvtsi64_si128(word as i64);
                let ints = _mm256_cvtepu8_epi32(bytes);
                _mm256_castsi256_ps(_mm256_cmpgt_epi32(ints, _mm256_setzero_si256()))
            }
        }
    }

    impl Real for Avx8 {
        /// The Cephes `expf` of the portable lanes, operation by operation.
        #[inline(always)]
        fn exp(self) -> Self {
            use cephes::*;
            unsafe {
                // The variable as the second operand: min/max return it when it is NaN.
                let x = _mm256_min_ps(
                    _mm256_set1_ps(HI),
                    _mm256_max_ps(_mm256_set1_ps(LO), self.0),
                );
                let magic = _mm256_set1_ps(MAGIC);
                let tm = _mm256_add_ps(
                    _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
                    magic,
                );
                let n = _mm256_sub_ps(tm, magic);
                let ni = _mm256_sub_epi32(_mm256_castps_si256(tm), _mm256_castps_si256(magic));
                let r = _mm256_sub_ps(
                    _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(C1))),
                    _mm256_mul_ps(n, _mm256_set1_ps(C2)),
                );
                let mut p = _mm256_set1_ps(P[0]);
                for c in &P[1..] {
                    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(*c));
                }
                let y = _mm256_add_ps(
                    _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r),
                    _mm256_set1_ps(1.0),
                );
                let h = _mm256_srai_epi32::<1>(ni);
                let bias = _mm256_set1_epi32(127);
                let a = _mm256_slli_epi32::<23>(_mm256_add_epi32(h, bias));
                let b = _mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_sub_epi32(ni, h), bias));
                Avx8(_mm256_mul_ps(
                    _mm256_mul_ps(y, _mm256_castsi256_ps(a)),
                    _mm256_castsi256_ps(b),
                ))
            }
        }
        #[inline(always)]
        fn ln(self) -> Self {
            Self::from_array(self.to_array().map(f32::ln))
        }
        #[inline(always)]
        fn recip(self) -> Self {
            unsafe { Avx8(_mm256_div_ps(_mm256_set1_ps(1.0), self.0)) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            unsafe { Avx8(_mm256_sqrt_ps(self.0)) }
        }
        #[inline(always)]
        fn one_like(&self) -> Self {
            Self::splat(1.0)
        }
        #[inline(always)]
        fn exprel(self) -> Self {
            exprel_lazy(self)
        }
        #[inline(always)]
        fn exprel_d(self) -> Self {
            exprel_pair(self, self.exp(), true).1
        }
        #[inline(always)]
        fn exprel_with_d(self) -> (Self, Self) {
            super::exprel_with_d(self)
        }
        const RECIP_DIV: bool = true;
        #[inline(always)]
        fn x_over_expm1(self) -> Self {
            super::x_over_expm1_lazy(self, false).0
        }
        #[inline(always)]
        fn x_over_expm1_with_d(self) -> Option<(Self, Self)> {
            Some(super::x_over_expm1_lazy(self, true))
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::Avx16;

/// Sixteen f32 lanes in one AVX-512 register: the [`Avx8`] operations on twice the lanes,
/// with 32 vector registers. Same contract as `Avx8`: only created inside code that runs after
/// [`super::simd::has_avx512`] said yes.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;
    use std::ops::{Add, Div, Mul, Neg, Sub};

    use super::{Lanes, cephes, exprel_lazy, exprel_pair};
    use crate::math::Real;

    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Avx16(__m512);

    // SAFETY (every `unsafe` block below): an `Avx16` only exists on a CPU with AVX-512F (see
    // the type's documentation), and the pointer accesses stay inside the checked slices.
    macro_rules! binop {
        ($tr:ident, $m:ident, $f:ident) => {
            impl $tr for Avx16 {
                type Output = Self;
                #[inline(always)]
                fn $m(self, o: Self) -> Self {
                    unsafe { Avx16($f(self.0, o.0)) }
                }
            }
            impl $tr<f64> for Avx16 {
                type Output = Self;
                #[inline(always)]
                fn $m(self, c: f64) -> Self {
                    // A constant divisor becomes its reciprocal (as the portable lanes do).
                    if stringify!($m) == "div" {
                        unsafe { Avx16(_mm512_mul_ps(self.0, _mm512_set1_ps((1.0 / c) as f32))) }
                    } else {
                        unsafe { Avx16($f(self.0, _mm512_set1_ps(c as f32))) }
                    }
                }
            }
        };
    }
    binop!(Add, add, _mm512_add_ps);
    binop!(Sub, sub, _mm512_sub_ps);
    binop!(Mul, mul, _mm512_mul_ps);
    binop!(Div, div, _mm512_div_ps);

    #[inline(always)]
    unsafe fn xor_bits(a: __m512, b: __m512i) -> __m512 {
        unsafe { _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), b)) }
    }

    impl Neg for Avx16 {
        type Output = Self;
        #[inline(always)]
        fn neg(self) -> Self {
            unsafe { Avx16(xor_bits(self.0, _mm512_set1_epi32(i32::MIN))) }
        }
    }

    impl Avx16 {
        #[inline(always)]
        fn to_array(self) -> [f32; 16] {
            let mut a = [0.0f32; 16];
            unsafe { _mm512_storeu_ps(a.as_mut_ptr(), self.0) };
            a
        }
        #[inline(always)]
        fn from_array(a: [f32; 16]) -> Self {
            unsafe { Avx16(_mm512_loadu_ps(a.as_ptr())) }
        }
    }

    impl Lanes for Avx16 {
        type E = f32;
        const N: usize = 16;
        const SINGLE: bool = true;
        const EXPREL_THRESHOLD: f64 = super::F32x8::EXPREL_THRESHOLD;
        const EXPREL_SERIES: &'static [f64] = super::F32x8::EXPREL_SERIES;
        const EXPREL_D_SERIES: &'static [f64] = super::F32x8::EXPREL_D_SERIES;
        #[inline(always)]
        fn elem(c: f64) -> f32 {
            c as f32
        }
        #[inline(always)]
        fn splat(c: f32) -> Self {
            unsafe { Avx16(_mm512_set1_ps(c)) }
        }
        #[inline(always)]
        fn load(src: &[f32], i: usize, pad: f32) -> Self {
            if i + 16 <= src.len() {
                unsafe { Avx16(_mm512_loadu_ps(src.as_ptr().add(i))) }
            } else {
                let mut a = [pad; 16];
                let n = src.len().saturating_sub(i);
                a[..n].copy_from_slice(&src[i..i + n]);
                Self::from_array(a)
            }
        }
        #[inline(always)]
        fn store(self, dst: &mut [f32], i: usize) {
            if i + 16 <= dst.len() {
                unsafe { _mm512_storeu_ps(dst.as_mut_ptr().add(i), self.0) }
            } else {
                let a = self.to_array();
                let n = dst.len().saturating_sub(i);
                dst[i..i + n].copy_from_slice(&a[..n]);
            }
        }
        #[inline(always)]
        fn lane(&self, k: usize) -> f32 {
            self.to_array()[k]
        }
        #[inline(always)]
        fn vabs(self) -> Self {
            unsafe { Avx16(_mm512_abs_ps(self.0)) }
        }
        #[inline(always)]
        fn lt(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn le(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_LE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn ge(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn blend(m: __mmask16, a: Self, b: Self) -> Self {
            unsafe { Avx16(_mm512_mask_blend_ps(m, b.0, a.0)) }
        }
        #[inline(always)]
        fn and(a: __mmask16, b: __mmask16) -> __mmask16 {
            a & b
        }
        #[inline(always)]
        fn not(m: __mmask16) -> __mmask16 {
            !m
        }
        #[inline(always)]
        fn bits(m: __mmask16) -> u32 {
            m as u32
        }
        #[inline(always)]
        fn load_bools(src: &[bool], i: usize) -> __mmask16 {
            if i + 16 <= src.len() {
                // Sixteen bytes of 0/1 (bools) compared with 0 at once.
                return unsafe {
                    let v = _mm_loadu_si128(src.as_ptr().add(i) as *const __m128i);
                    _mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_setzero_si128())) as u16
                };
            }
            let mut m: u16 = 0;
            let end = (i + 16).min(src.len());
            for (k, &b) in src[i.min(end)..end].iter().enumerate() {
                m |= (b as u16) << k;
            }
            m
        }
    }

    impl Real for Avx16 {
        /// The Cephes `expf` of the portable lanes, operation by operation.
        #[inline(always)]
        fn exp(self) -> Self {
            use cephes::*;
            unsafe {
                // The variable as the second operand: min/max return it when it is NaN.
                let x = _mm512_min_ps(
                    _mm512_set1_ps(HI),
                    _mm512_max_ps(_mm512_set1_ps(LO), self.0),
                );
                let magic = _mm512_set1_ps(MAGIC);
                let tm = _mm512_add_ps(
                    _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E)),
                    magic,
                );
                let n = _mm512_sub_ps(tm, magic);
                let ni = _mm512_sub_epi32(_mm512_castps_si512(tm), _mm512_castps_si512(magic));
                let r = _mm512_sub_ps(
                    _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(C1))),
                    _mm512_mul_ps(n, _mm512_set1_ps(C2)),
                );
                let mut p = _mm512_set1_ps(P[0]);
                for c in &P[1..] {
                    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(*c));
                }
                let y = _mm512_add_ps(
                    _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r),
                    _mm512_set1_ps(1.0),
                );
                let h = _mm512_srai_epi32::<1>(ni);
                let bias = _mm512_set1_epi32(127);
                let a = _mm512_slli_epi32::<23>(_mm512_add_epi32(h, bias));
                let b = _mm512_slli_epi32::<23>(_mm512_add_epi32(_mm512_sub_epi32(ni, h), bias));
                Avx16(_mm512_mul_ps(
                    _mm512_mul_ps(y, _mm512_castsi512_ps(a)),
                    _mm512_castsi512_ps(b),
                ))
            }
        }
        #[inline(always)]
        fn ln(self) -> Self {
            Self::from_array(self.to_array().map(f32::ln))
        }
        #[inline(always)]
        fn recip(self) -> Self {
            unsafe { Avx16(_mm512_div_ps(_mm512_set1_ps(1.0), self.0)) }
        }
        #[inline(always)]
        fn sqrt(self) -> Self {
            unsafe { Avx16(_mm512_sqrt_ps(self.0)) }
        }
        #[inline(always)]
        fn one_like(&self) -> Self {
            Self::splat(1.0)
        }
        #[inline(always)]
        fn exprel(self) -> Self {
            exprel_lazy(self)
        }
        #[inline(always)]
        fn exprel_d(self) -> Self {
            exprel_pair(self, self.exp(), true).1
        }
        #[inline(always)]
        fn exprel_with_d(self) -> (Self, Self) {
            super::exprel_with_d(self)
        }
        const RECIP_DIV: bool = true;
        #[inline(always)]
        fn x_over_expm1(self) -> Self {
            super::x_over_expm1_lazy(self, false).0
        }
        #[inline(always)]
        fn x_over_expm1_with_d(self) -> Option<(Self, Self)> {
            Some(super::x_over_expm1_lazy(self, true))
        }
    }
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
        for x in [
            0.0, 1e-9, -1e-4, 0.3, -0.49, 0.51, -0.99, 1.01, -2.0, 7.5, -30.0,
        ] {
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
            let gd = F32x8::splat(x as f32).exprel_d().0[0] as f64;
            assert!(((gd - wd) / wd).abs() < 2e-6, "x={x}: {gd} vs {wd}");
        }
    }

    /// Lanes on both sides of the series threshold in one vector take their own branch.
    #[test]
    fn mixed_lanes_take_their_own_branch() {
        let xs = [0.0f32, 0.5, -0.9, 1.5, -3.0, 1e-6, 20.0, -0.999];
        let x = F32x8(xs);
        let (e, d) = exprel_pair(x, x.exp(), true);
        for (k, &xk) in xs.iter().enumerate() {
            let one = F32x8::splat(xk);
            let (e1, d1) = exprel_pair(one, one.exp(), true);
            assert_eq!(e.0[k], e1.0[0], "lane {k}");
            assert_eq!(d.0[k], d1.0[0], "lane {k}");
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

/// Every lane type is a [`Num`](crate::math::Num): comparisons give its lane mask, `select` is
/// its blend, so a model's whole step written over `Num` runs on lanes unchanged.
macro_rules! lanes_num {
    ($($t:ty => $m:ty),*) => {$(
        impl crate::math::Num for $t {
            type Mask = $m;
            #[inline(always)]
            fn cst(c: f64) -> Self {
                <$t as Lanes>::splat(<$t as Lanes>::elem(c))
            }
            #[inline(always)]
            fn lt(&self, o: &Self) -> Self::Mask {
                <$t as Lanes>::lt(*self, *o)
            }
            #[inline(always)]
            fn le(&self, o: &Self) -> Self::Mask {
                <$t as Lanes>::le(*self, *o)
            }
            #[inline(always)]
            fn ge(&self, o: &Self) -> Self::Mask {
                <$t as Lanes>::ge(*self, *o)
            }
            #[inline(always)]
            fn gt(&self, o: &Self) -> Self::Mask {
                <$t as Lanes>::lt(*o, *self)
            }
            #[inline(always)]
            fn select(m: &Self::Mask, a: Self, b: Self) -> Self {
                <$t as Lanes>::blend(*m, a, b)
            }
            #[inline(always)]
            fn mask_and(a: &Self::Mask, b: &Self::Mask) -> Self::Mask {
                <$t as Lanes>::and(*a, *b)
            }
            #[inline(always)]
            fn mask_or(a: &Self::Mask, b: &Self::Mask) -> Self::Mask {
                <$t as Lanes>::not(<$t as Lanes>::and(
                    <$t as Lanes>::not(*a),
                    <$t as Lanes>::not(*b),
                ))
            }
            #[inline(always)]
            fn mask_not(m: &Self::Mask) -> Self::Mask {
                <$t as Lanes>::not(*m)
            }
            #[inline(always)]
            fn from_mask(m: &Self::Mask) -> Self {
                <$t as Lanes>::blend(*m, <$t as crate::math::Num>::cst(1.0), <$t as crate::math::Num>::cst(0.0))
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t as Lanes>::vabs(self)
            }
        }
    )*};
}

lanes_num!(F32x8 => [bool; 8], F64x4 => [bool; 4]);
#[cfg(target_arch = "x86_64")]
lanes_num!(Avx8 => std::arch::x86_64::__m256, Avx16 => std::arch::x86_64::__mmask16);
