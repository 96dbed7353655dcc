//! [`Num`]: the numbers a model's whole discrete step is written in, once.
//!
//! [`Real`] covers the arithmetic of right-hand sides; a discrete step also compares (threshold,
//! refractoriness), selects (`where`), stops gradients and makes spikes. `Num` adds those, with
//! comparisons giving a [`Num::Mask`] of the same kind: a Burn bool tensor for [`TVal`] (the
//! composed tensor path, every backend, autodiff), a lane mask for the SIMD host lanes (the
//! fused engine), a plain `bool` for `f64` (scalar tests), and the value's mask for dual numbers.
//!
//! A model written over `Num` therefore runs unchanged on every execution: see
//! [`crate::model`].

use burn::tensor::{Bool, Tensor};

use super::{Dual, Real, TVal};

/// A number a model's discrete step is written in (see the module docs).
///
/// Comparisons and [`Num::select`] broadcast like the arithmetic (a host constant against a
/// tensor, a `[1, n]` parameter against `[rows, n]` states).
pub trait Num: Real {
    /// The result of a comparison, one truth value per element.
    type Mask: Clone;

    /// The constant `c`.
    fn cst(c: f64) -> Self;
    /// `self < o` per element.
    fn lt(&self, o: &Self) -> Self::Mask;
    /// `self <= o` per element.
    fn le(&self, o: &Self) -> Self::Mask;
    /// `self >= o` per element (false where either is NaN).
    fn ge(&self, o: &Self) -> Self::Mask;
    /// `self > o` per element.
    fn gt(&self, o: &Self) -> Self::Mask;
    /// `m ? a : b` per element (differentiable in `a` and `b`).
    fn select(m: &Self::Mask, a: Self, b: Self) -> Self;
    /// Both conditions.
    fn mask_and(a: &Self::Mask, b: &Self::Mask) -> Self::Mask;
    /// Either condition.
    fn mask_or(a: &Self::Mask, b: &Self::Mask) -> Self::Mask;
    /// The opposite condition.
    fn mask_not(m: &Self::Mask) -> Self::Mask;
    /// 1 where `m` holds, 0 elsewhere.
    fn from_mask(m: &Self::Mask) -> Self;
    /// The same value without gradient (BrainPy's `stop_gradient`); the identity where nothing
    /// is differentiated.
    #[inline(always)]
    fn detach(self) -> Self {
        self
    }
    /// |x|.
    #[inline(always)]
    fn abs(self) -> Self {
        let neg = self.lt(&Self::cst(0.0));
        let minus = -self.clone();
        Self::select(&neg, minus, self)
    }
    /// The smaller of the two (`self` where equal or unordered).
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        let m = o.lt(&self);
        Self::select(&m, o, self)
    }
    /// The larger of the two (`self` where equal or unordered).
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        let m = o.gt(&self);
        Self::select(&m, o, self)
    }
}

impl Num for f64 {
    type Mask = bool;
    #[inline(always)]
    fn cst(c: f64) -> Self {
        c
    }
    #[inline(always)]
    fn lt(&self, o: &Self) -> bool {
        self < o
    }
    #[inline(always)]
    fn le(&self, o: &Self) -> bool {
        self <= o
    }
    #[inline(always)]
    fn ge(&self, o: &Self) -> bool {
        self >= o
    }
    #[inline(always)]
    fn gt(&self, o: &Self) -> bool {
        self > o
    }
    #[inline(always)]
    fn select(m: &bool, a: Self, b: Self) -> Self {
        if *m { a } else { b }
    }
    #[inline(always)]
    fn mask_and(a: &bool, b: &bool) -> bool {
        *a && *b
    }
    #[inline(always)]
    fn mask_or(a: &bool, b: &bool) -> bool {
        *a || *b
    }
    #[inline(always)]
    fn mask_not(m: &bool) -> bool {
        !*m
    }
    #[inline(always)]
    fn from_mask(m: &bool) -> Self {
        if *m { 1.0 } else { 0.0 }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
}

/// A comparison result on the composed path: a host truth value (two constants compared) or a
/// bool tensor.
#[derive(Clone, Debug)]
// A step temporary, matched on every op: boxing the tensor would allocate for each one.
#[allow(clippy::large_enum_variant)]
pub enum TMask {
    /// The same for every element.
    S(bool),
    /// One per element (`[rows, n]` or broadcastable).
    T(Tensor<2, Bool>),
}

impl TMask {
    /// The mask as a tensor shaped like `like` (a constant mask is expanded).
    #[inline(always)]
    pub fn into_tensor_like(self, like: &Tensor<2>) -> Tensor<2, Bool> {
        match self {
            TMask::T(m) => expand_bool(m, like.dims()),
            TMask::S(b) => {
                let z = like.zeros_like();
                if b {
                    z.equal_elem(0.0)
                } else {
                    z.not_equal_elem(0.0)
                }
            }
        }
    }
}

/// The elementwise maximum of two broadcastable shapes.
#[inline(always)]
fn broadcast_dims(a: [usize; 2], b: [usize; 2]) -> [usize; 2] {
    [a[0].max(b[0]), a[1].max(b[1])]
}

#[inline(always)]
fn expand_float(t: Tensor<2>, dims: [usize; 2]) -> Tensor<2> {
    if t.dims() == dims { t } else { t.expand(dims) }
}

#[inline(always)]
fn expand_bool(t: Tensor<2, Bool>, dims: [usize; 2]) -> Tensor<2, Bool> {
    if t.dims() == dims { t } else { t.expand(dims) }
}

/// Compares a value with another (`op_t` between tensors, `op_s` against a host constant,
/// `flip` the comparison with its sides swapped, `host` between two constants).
#[inline(always)]
fn compare(
    a: &TVal,
    b: &TVal,
    host: fn(f64, f64) -> bool,
    tensor_tensor: fn(Tensor<2>, Tensor<2>) -> Tensor<2, Bool>,
    tensor_scalar: fn(Tensor<2>, f64) -> Tensor<2, Bool>,
    scalar_tensor: fn(Tensor<2>, f64) -> Tensor<2, Bool>,
) -> TMask {
    match (a, b) {
        (TVal::S(x), TVal::S(y)) => TMask::S(host(*x, *y)),
        (TVal::T(x), TVal::S(y)) => TMask::T(tensor_scalar(x.clone(), *y)),
        (TVal::S(x), TVal::T(y)) => TMask::T(scalar_tensor(y.clone(), *x)),
        (TVal::T(x), TVal::T(y)) => {
            let d = broadcast_dims(x.dims(), y.dims());
            TMask::T(tensor_tensor(
                expand_float(x.clone(), d),
                expand_float(y.clone(), d),
            ))
        }
    }
}

impl Num for TVal {
    type Mask = TMask;

    #[inline(always)]
    fn cst(c: f64) -> Self {
        TVal::S(c)
    }
    #[inline(always)]
    fn lt(&self, o: &Self) -> TMask {
        compare(
            self,
            o,
            |a, b| a < b,
            |a, b| a.lower(b),
            |a, c| a.lower_elem(c),
            |b, c| b.greater_elem(c),
        )
    }
    #[inline(always)]
    fn le(&self, o: &Self) -> TMask {
        compare(
            self,
            o,
            |a, b| a <= b,
            |a, b| a.lower_equal(b),
            |a, c| a.lower_equal_elem(c),
            |b, c| b.greater_equal_elem(c),
        )
    }
    #[inline(always)]
    fn ge(&self, o: &Self) -> TMask {
        compare(
            self,
            o,
            |a, b| a >= b,
            |a, b| a.greater_equal(b),
            |a, c| a.greater_equal_elem(c),
            |b, c| b.lower_equal_elem(c),
        )
    }
    #[inline(always)]
    fn gt(&self, o: &Self) -> TMask {
        compare(
            self,
            o,
            |a, b| a > b,
            |a, b| a.greater(b),
            |a, c| a.greater_elem(c),
            |b, c| b.lower_elem(c),
        )
    }
    #[inline(always)]
    fn select(m: &TMask, a: Self, b: Self) -> Self {
        let m = match m {
            TMask::S(true) => return a,
            TMask::S(false) => return b,
            TMask::T(m) => m.clone(),
        };
        let mut d = m.dims();
        for v in [&a, &b] {
            if let TVal::T(t) = v {
                d = broadcast_dims(d, t.dims());
            }
        }
        let m = expand_bool(m, d);
        TVal::T(match (a, b) {
            (TVal::T(a), TVal::T(b)) => expand_float(b, d).mask_where(m, expand_float(a, d)),
            (TVal::S(a), TVal::T(b)) => expand_float(b, d).mask_fill(m, a),
            (TVal::T(a), TVal::S(b)) => expand_float(a, d).mask_fill(m.bool_not(), b),
            (TVal::S(a), TVal::S(b)) => {
                m.clone().float().zeros_like().add_scalar(b).mask_fill(m, a)
            }
        })
    }
    #[inline(always)]
    fn mask_and(a: &TMask, b: &TMask) -> TMask {
        match (a, b) {
            (TMask::S(false), _) | (_, TMask::S(false)) => TMask::S(false),
            (TMask::S(true), m) | (m, TMask::S(true)) => m.clone(),
            (TMask::T(x), TMask::T(y)) => {
                let d = broadcast_dims(x.dims(), y.dims());
                TMask::T(expand_bool(x.clone(), d).bool_and(expand_bool(y.clone(), d)))
            }
        }
    }
    #[inline(always)]
    fn mask_or(a: &TMask, b: &TMask) -> TMask {
        match (a, b) {
            (TMask::S(true), _) | (_, TMask::S(true)) => TMask::S(true),
            (TMask::S(false), m) | (m, TMask::S(false)) => m.clone(),
            (TMask::T(x), TMask::T(y)) => {
                let d = broadcast_dims(x.dims(), y.dims());
                TMask::T(expand_bool(x.clone(), d).bool_or(expand_bool(y.clone(), d)))
            }
        }
    }
    #[inline(always)]
    fn mask_not(m: &TMask) -> TMask {
        match m {
            TMask::S(b) => TMask::S(!b),
            TMask::T(t) => TMask::T(t.clone().bool_not()),
        }
    }
    #[inline(always)]
    fn from_mask(m: &TMask) -> Self {
        match m {
            TMask::S(b) => TVal::S(if *b { 1.0 } else { 0.0 }),
            TMask::T(t) => TVal::T(t.clone().float()),
        }
    }
    #[inline(always)]
    fn detach(self) -> Self {
        match self {
            TVal::T(t) => TVal::T(t.detach()),
            s => s,
        }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(a.abs()),
            TVal::T(t) => TVal::T(t.abs()),
        }
    }
}

/// Dual numbers compare and select by their values; the derivative follows the selected
/// branch, and a detached dual has derivative zero.
impl<R: Num> Num for Dual<R> {
    type Mask = R::Mask;

    #[inline(always)]
    fn cst(c: f64) -> Self {
        Dual::cst(R::cst(c))
    }
    #[inline(always)]
    fn lt(&self, o: &Self) -> R::Mask {
        self.v.lt(&o.v)
    }
    #[inline(always)]
    fn le(&self, o: &Self) -> R::Mask {
        self.v.le(&o.v)
    }
    #[inline(always)]
    fn ge(&self, o: &Self) -> R::Mask {
        self.v.ge(&o.v)
    }
    #[inline(always)]
    fn gt(&self, o: &Self) -> R::Mask {
        self.v.gt(&o.v)
    }
    #[inline(always)]
    fn select(m: &R::Mask, a: Self, b: Self) -> Self {
        let d = match (a.d, b.d) {
            (None, None) => None,
            (da, db) => {
                let zero = a.v.clone() * 0.0;
                let da = da.unwrap_or_else(|| zero.clone());
                let db = db.unwrap_or(zero);
                Some(R::select(m, da, db))
            }
        };
        Dual {
            v: R::select(m, a.v, b.v),
            d,
        }
    }
    #[inline(always)]
    fn mask_and(a: &R::Mask, b: &R::Mask) -> R::Mask {
        R::mask_and(a, b)
    }
    #[inline(always)]
    fn mask_or(a: &R::Mask, b: &R::Mask) -> R::Mask {
        R::mask_or(a, b)
    }
    #[inline(always)]
    fn mask_not(m: &R::Mask) -> R::Mask {
        R::mask_not(m)
    }
    #[inline(always)]
    fn from_mask(m: &R::Mask) -> Self {
        Dual::cst(R::from_mask(m))
    }
    #[inline(always)]
    fn detach(self) -> Self {
        Dual {
            v: self.v.detach(),
            d: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_numbers_select_and_compare() {
        assert_eq!(f64::select(&Num::ge(&2.0, &1.0), 3.0, 4.0), 3.0);
        assert_eq!(Num::min(2.0f64, -1.0), -1.0);
        assert_eq!(Num::max(2.0f64, -1.0), 2.0);
        assert_eq!(Num::abs(-2.5f64), 2.5);
        // The derivative follows the selected branch.
        let x = Dual::var(1.5f64);
        let y = Dual::select(&x.ge(&Dual::cst(1.0)), x.clone() * 3.0, x.clone() * 5.0);
        assert_eq!((y.v, y.d), (4.5, Some(3.0)));
        let z = Dual::select(&x.lt(&Dual::cst(1.0)), x.clone() * 3.0, Dual::cst(7.0));
        assert_eq!((z.v, z.d), (7.0, Some(0.0)));
        assert!(x.detach().d.is_none());
    }
}
