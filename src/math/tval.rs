use std::ops::{Add, Div, Mul, Neg, Sub};

use burn::tensor::Tensor;

use super::real::{EXPREL_TAYLOR, Real};

/// A scalar constant or a `[rows, num]` tensor: the value type of the composed-op path.
///
/// Constants fold on the host in f64 and become scalar tensor ops (`mul_scalar`, ...) when
/// they meet a tensor, so a scalar parameter costs no broadcast. Tensors broadcast
/// (`[1, num]` parameters against `[batch, num]` states).
#[derive(Clone, Debug)]
// A host scalar is the common case of a parameter; boxing the tensor would cost an allocation
// per operation.
#[allow(clippy::large_enum_variant)]
pub enum TVal {
    /// A host constant.
    S(f64),
    /// A tensor (`[rows, num]` or broadcastable to it).
    T(Tensor<2>),
}

impl TVal {
    /// The tensor, broadcasting a constant to `like`'s shape when needed.
    pub fn into_tensor_like(self, like: &Tensor<2>) -> Tensor<2> {
        match self {
            TVal::T(t) => t,
            TVal::S(c) => like.zeros_like().add_scalar(c),
        }
    }

    /// The tensor; `None` for a constant.
    pub fn tensor(self) -> Option<Tensor<2>> {
        match self {
            TVal::T(t) => Some(t),
            TVal::S(_) => None,
        }
    }
}

impl From<Tensor<2>> for TVal {
    fn from(t: Tensor<2>) -> Self {
        TVal::T(t)
    }
}

impl From<f64> for TVal {
    fn from(c: f64) -> Self {
        TVal::S(c)
    }
}

macro_rules! binop {
    ($Tr:ident, $m:ident, $op:tt, $ts:ident, $st:expr) => {
        impl $Tr for TVal {
            type Output = TVal;
            fn $m(self, o: TVal) -> TVal {
                match (self, o) {
                    (TVal::S(a), TVal::S(b)) => TVal::S(a $op b),
                    (TVal::T(a), TVal::T(b)) => TVal::T(a $op b),
                    (TVal::T(a), TVal::S(b)) => TVal::T(a.$ts(b)),
                    (TVal::S(a), TVal::T(b)) => TVal::T($st(a, b)),
                }
            }
        }
        impl $Tr<f64> for TVal {
            type Output = TVal;
            fn $m(self, o: f64) -> TVal {
                self $op TVal::S(o)
            }
        }
    };
}

binop!(Add, add, +, add_scalar, |a: f64, b: Tensor<2>| b.add_scalar(a));
binop!(Sub, sub, -, sub_scalar, |a: f64, b: Tensor<2>| b.neg().add_scalar(a));
binop!(Mul, mul, *, mul_scalar, |a: f64, b: Tensor<2>| b.mul_scalar(a));
binop!(Div, div, /, div_scalar_exact, |a: f64, b: Tensor<2>| b.recip().mul_scalar(a));

/// `t / c` with an exact gradient.
///
/// Burn 0.22.1's autodiff backward of `div_scalar` multiplies by `1 / c` computed in f32
/// (`burn-autodiff/src/ops/tensor.rs`, `float_div_scalar`), which costs float64 gradients
/// ~1e-8 relative accuracy. A tracked float64 tensor is therefore divided by a `[1, 1]`
/// constant tensor instead (exact forward and backward); everything else uses `div_scalar`.
pub fn div_scalar_exact(t: Tensor<2>, c: f64) -> Tensor<2> {
    if t.dtype() == burn::tensor::DType::F64 && t.is_tracked() {
        let d = Tensor::full([1, 1], c, (&t.device(), t.dtype()));
        t / d
    } else {
        t.div_scalar(c)
    }
}

trait DivScalarExact {
    fn div_scalar_exact(self, c: f64) -> Self;
}

impl DivScalarExact for Tensor<2> {
    fn div_scalar_exact(self, c: f64) -> Self {
        div_scalar_exact(self, c)
    }
}

impl Neg for TVal {
    type Output = TVal;
    fn neg(self) -> TVal {
        match self {
            TVal::S(a) => TVal::S(-a),
            TVal::T(t) => TVal::T(t.neg()),
        }
    }
}

/// `(e^x - 1)/x` on a tensor, without 0/0 and with finite gradients everywhere.
///
/// |x| < 1e-3: Taylor series. Otherwise Kahan's `(u - 1)/ln(u)` with `u = e^x` (accurate to a
/// few ulp, no cancellation), on `x` clamped to [-80, 80] (no overflow in f32); below -80 the
/// value is `-1/x` to within e^-80. Every branch is evaluated on inputs that are safe for it,
/// so a masked-out branch never feeds NaN or inf into the backward pass.
fn exprel_tensor(x: Tensor<2>) -> Tensor<2> {
    let small = x.clone().abs().lower_elem(EXPREL_TAYLOR);
    let very_negative = x.clone().lower_elem(-80.0);
    let safe = x.clone().clamp(-80.0, 80.0).mask_fill(small.clone(), 1.0);
    let u = safe.exp();
    let kahan = (u.clone() - 1.0) / u.log();
    let taylor = (((x.clone() / 120.0 + 1.0 / 24.0) * x.clone() + 1.0 / 6.0) * x.clone() + 0.5)
        * x.clone()
        + 1.0;
    let tail = x.clamp_max(-80.0).recip().neg();
    kahan
        .mask_where(small, taylor)
        .mask_where(very_negative, tail)
}

/// The derivative of `exprel` on a tensor: Taylor series for |x| < 1e-2, else
/// `(e^x (x - 1) + 1)/x²` on a clamped, nonzero input.
fn exprel_d_tensor(x: Tensor<2>) -> Tensor<2> {
    let small = x.clone().abs().lower_elem(1e-2);
    let safe = x.clone().clamp(-80.0, 80.0).mask_fill(small.clone(), 1.0);
    let direct = (safe.clone().exp() * (safe.clone() - 1.0) + 1.0) / (safe.clone() * safe);
    let taylor =
        (((x.clone() / 144.0 + 1.0 / 30.0) * x.clone() + 1.0 / 8.0) * x.clone() + 1.0 / 3.0) * x
            + 0.5;
    direct.mask_where(small, taylor)
}

impl Real for TVal {
    fn one_like(&self) -> Self {
        TVal::S(1.0)
    }
    fn exp(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(a.exp()),
            TVal::T(t) => TVal::T(t.exp()),
        }
    }
    fn ln(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(a.ln()),
            TVal::T(t) => TVal::T(t.log()),
        }
    }
    fn recip(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(a.recip()),
            TVal::T(t) => TVal::T(t.recip()),
        }
    }
    fn sqrt(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(a.sqrt()),
            TVal::T(t) => TVal::T(t.sqrt()),
        }
    }
    fn exprel(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(Real::exprel(a)),
            TVal::T(t) => TVal::T(exprel_tensor(t)),
        }
    }
    fn exprel_d(self) -> Self {
        match self {
            TVal::S(a) => TVal::S(Real::exprel_d(a)),
            TVal::T(t) => TVal::T(exprel_d_tensor(t)),
        }
    }
}
