//! Surrogate gradients (SPEC §5; BrainPy `bm.surrogate`).
//!
//! A spike is the Heaviside step `H(x) = [x ≥ 0]` in the forward pass; in the backward pass
//! its derivative is replaced by a smooth surrogate `g(x)`. brainburn builds the result as
//!
//! `y = F(x̄) + (x − x̄)·g(x̄)`, with `x̄ = detach(x)`,
//!
//! where `F` is the Heaviside step (or the smooth function when `forward_use_surrogate` asks
//! for it). The second term is exactly zero in the forward pass, and Burn's autodiff gives
//! `∂y/∂x = g(x)` exactly, for any surrogate whose derivative can be written down — no custom
//! backward op and no primitive of `g` is needed.
//!
//! [`Surrogate`] is the closed, serialisable set of BrainPy's eighteen one-input functions with
//! BrainPy's defaults and formulas (quirks included, see each variant); [`SurrogateFunction`]
//! is the trait a user implements for a custom one. [`TwoInputSurrogate`] holds BrainPy's two
//! crossing functions (`inv_square_grad2`, `relu_grad2`).

mod one_input;
mod two_input;

use std::sync::Arc;

use burn::tensor::Tensor;

pub use one_input::Surrogate;
pub use two_input::TwoInputSurrogate;

use crate::error::Result;

/// A surrogate gradient: the derivative that replaces the Heaviside step's in the backward pass.
///
/// Implement it to add a custom surrogate; the built-in ones are the [`Surrogate`] enum.
pub trait SurrogateFunction: Send + Sync + std::fmt::Debug {
    /// A short description (`InvSquareGrad(alpha=100)`).
    fn describe(&self) -> String;

    /// `g(x)`, the surrogate derivative, elementwise (called on a detached tensor).
    fn grad(&self, x: Tensor<2>) -> Tensor<2>;

    /// The smooth forward function `s(x)` used when `forward_use_surrogate` is on, or an error
    /// naming the surrogate when it has none.
    fn smooth(&self, x: Tensor<2>) -> Result<Tensor<2>>;
}

/// A spike function: a surrogate and whether the forward pass uses its smooth function.
#[derive(Clone, Debug)]
pub struct SpikeFunction {
    surrogate: Arc<dyn SurrogateFunction>,
    forward_use_surrogate: bool,
}

impl SpikeFunction {
    /// Heaviside forward with `surrogate`'s gradient.
    pub fn new(surrogate: impl SurrogateFunction + 'static) -> Self {
        SpikeFunction {
            surrogate: Arc::new(surrogate),
            forward_use_surrogate: false,
        }
    }

    /// From a shared (possibly custom) surrogate.
    pub fn from_arc(surrogate: Arc<dyn SurrogateFunction>) -> Self {
        SpikeFunction {
            surrogate,
            forward_use_surrogate: false,
        }
    }

    /// The same surrogate with the smooth function in the forward pass (BrainPy's
    /// `forward_use_surrogate=True`).
    pub fn forward_use_surrogate(mut self, on: bool) -> Self {
        self.forward_use_surrogate = on;
        self
    }

    /// Whether the forward pass is smooth.
    pub fn uses_smooth_forward(&self) -> bool {
        self.forward_use_surrogate
    }

    /// The surrogate.
    pub fn surrogate(&self) -> &dyn SurrogateFunction {
        self.surrogate.as_ref()
    }

    /// `H(x)` (or `s(x)`) forward, `g(x)` backward.
    pub fn apply(&self, x: Tensor<2>) -> Result<Tensor<2>> {
        let xd = x.clone().detach();
        let forward = if self.forward_use_surrogate {
            self.surrogate.smooth(xd.clone())?.detach()
        } else {
            heaviside(xd.clone())
        };
        let g = self.surrogate.grad(xd.clone()).detach();
        Ok(forward + (x - xd) * g)
    }
}

impl Default for SpikeFunction {
    /// BrainPy's default for LIF-type neurons: `InvSquareGrad(alpha=100)`.
    fn default() -> Self {
        SpikeFunction::new(Surrogate::inv_square_grad())
    }
}

/// `[x ≥ 0]` as floats of `x`'s dtype.
pub fn heaviside(x: Tensor<2>) -> Tensor<2> {
    let dtype = crate::spikes::float_dtype(x.dtype());
    x.greater_equal_elem(0.0).cast(dtype)
}
