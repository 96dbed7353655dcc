//! Numbers that model equations are written in, once, for every use.
//!
//! A model's right-hand side is a generic function over [`Real`]. The same function then runs
//! on tensors ([`TVal`], the composed-op path that autodiff differentiates), on forward-mode
//! dual numbers ([`Dual`], which gives `exp_auto` its exact partial derivative), and on plain
//! host floats (the fused CPU loops and the tests).

mod dual;
mod num;
mod real;
mod tval;

pub use dual::Dual;
pub use num::{Num, TMask};
pub use real::Real;
pub use tval::{TVal, div_scalar_exact};

/// `x / (exp(x) - 1)`, the removable-singularity form of the HH rate functions, finite for every
/// `x` (equal to 1 at `x = 0`). Written with the guarded `exprel`, never as a raw quotient.
#[inline(always)]
pub fn x_over_expm1<R: Real>(x: R) -> R {
    x.x_over_expm1()
}
