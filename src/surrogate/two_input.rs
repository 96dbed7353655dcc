//! BrainPy's two-input (threshold-crossing) surrogates.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{Surrogate, SurrogateFunction, heaviside};

/// A spike as an upward crossing: forward `[x_new ≥ 0]·[x_old < 0]`; backward
/// `∂/∂x_new = g(x_new)·[x_old < 0]`, `∂/∂x_old = −g(x_old)·[x_new ≥ 0]` (BrainPy 2.4.6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum TwoInputSurrogate {
    /// `g = 1/(α|x| + 1)²` (BrainPy `inv_square_grad2`, default α = 100).
    InvSquareGrad2 { alpha: f64 },
    /// `g = α·max(width − |x|, 0)` (BrainPy `relu_grad2`, defaults α = 0.3, width = 1).
    ReluGrad2 { alpha: f64, width: f64 },
}

impl Default for TwoInputSurrogate {
    fn default() -> Self {
        TwoInputSurrogate::InvSquareGrad2 { alpha: 100.0 }
    }
}

impl TwoInputSurrogate {
    /// BrainPy's defaults for `relu_grad2`.
    pub fn relu_grad2() -> Self {
        TwoInputSurrogate::ReluGrad2 {
            alpha: 0.3,
            width: 1.0,
        }
    }

    /// The one-input shape `g`.
    pub fn grad(&self, x: Tensor<2>) -> Tensor<2> {
        match *self {
            TwoInputSurrogate::InvSquareGrad2 { alpha } => {
                Surrogate::InvSquareGrad { alpha }.grad(x)
            }
            TwoInputSurrogate::ReluGrad2 { alpha, width } => x
                .abs()
                .neg()
                .add_scalar(width)
                .clamp_min(0.0)
                .mul_scalar(alpha),
        }
    }

    /// The crossing spike of `x_new` (after the step) and `x_old` (before), e.g.
    /// `x = V − V_th`.
    pub fn apply(&self, x_new: Tensor<2>, x_old: Tensor<2>) -> Tensor<2> {
        let nd = x_new.clone().detach();
        let od = x_old.clone().detach();
        let new_on = heaviside(nd.clone());
        let old_below = heaviside(od.clone()).neg().add_scalar(1.0);
        let forward = new_on.clone() * old_below.clone();
        let g_new = (self.grad(nd.clone()) * old_below).detach();
        let g_old = (self.grad(od.clone()) * new_on).neg().detach();
        forward + (x_new - nd) * g_new + (x_old - od) * g_old
    }
}
