//! BrainPy's eighteen one-input surrogate functions, with BrainPy 2.4.6's defaults and formulas.

use std::f64::consts::PI;

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::SurrogateFunction;
use crate::error::{Error, Result};

/// The built-in surrogates. Constructors without arguments (`Surrogate::sigmoid()`) give
/// BrainPy's defaults. `g` is the backward derivative, `s` the smooth forward.
///
/// BrainPy quirks reproduced on purpose (they are what `oracle/data/f_surrogates.json` shows):
/// * `Sigmoid`: the smooth forward is `σ(x)`, without `alpha`.
/// * `PiecewiseQuadratic`: `g = α − α²x²` on `|x| ≤ 1/α`, so `g(±1/α) = α − 1` is not 0
///   unless α = 1 (α = 0.5 gives −0.5 at x = ±2).
/// * `ERF`: the smooth forward is `½·erf(−αx)` (decreasing), as coded in BrainPy.
/// * `SquarewaveFourierSeries`: the sum runs over `i = 2..n−1`, so `n = 2` is one cosine.
/// * `QPseudoSpike`: `g` uses `2/(α+1)`, the smooth forward `2/(α−1)`.
/// * `LogTailedRelu`: `g(0) = α` (the `x > 0` branch excludes 0).
/// * `GaussianGrad`: `g = α·exp(−x²σ²/2)/(√(2π)σ)`, σ² multiplies instead of dividing (a normal
///   density only for σ = 1).
/// * `Arctan`: BrainPy's smooth forward crashes (`arctan2` with one argument); brainburn gives
///   the documented `arctan(παx/2)/π + ½` instead.
/// * `ReluGrad`, `GaussianGrad`, `MultiGaussianGrad`, `InvSquareGrad`, `SlayerGrad` have no
///   smooth forward (asking for one is an error, as in BrainPy where the flag does not exist).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum Surrogate {
    /// `g = α·σ(αx)(1 − σ(αx))`; `s = σ(x)`. Default α = 4.
    Sigmoid { alpha: f64 },
    /// `g = α − α²x²` for `|x| ≤ 1/α`, else 0; `s` piecewise quadratic. Default α = 1.
    PiecewiseQuadratic { alpha: f64 },
    /// `g = (α/2)e^{−α|x|}`; `s = ½e^{αx}` (x < 0), `1 − ½e^{−αx}`. Default α = 1.
    PiecewiseExp { alpha: f64 },
    /// `g = (α/2)/(1 + |αx|)²`; `s = x/(2/α + 2|x|) + ½`. Default α = 1.
    SoftSign { alpha: f64 },
    /// `g = (α/2)/(1 + (παx/2)²)`; `s = arctan(παx/2)/π + ½`. Default α = 1.
    Arctan { alpha: f64 },
    /// `g = 1/(1/α + |x|)`; `s = sign(x)·ln(|αx| + 1)`, sign(0) = 1. Default α = 1.
    NonzeroSignLog { alpha: f64 },
    /// `g = (α/√π)e^{−α²x²}`; `s = ½·erf(−αx)`. Default α = 1.
    #[serde(rename = "ERF")]
    Erf { alpha: f64 },
    /// `g = 1/w` for `|x| ≤ w`, else c; `s` piecewise linear. Defaults c = 0.01, w = 1.
    PiecewiseLeakyRelu { c: f64, w: f64 },
    /// `g = (4/T)[cos ωx + Σ_{i=2}^{n−1} cos((2i−1)ωx)]`, ω = 2π/T. Defaults n = 2, T = 8.
    SquarewaveFourierSeries { n: u32, t_period: f64 },
    /// `g = ασ(αx)(1 − σ(αx))` (x < 0), `β/(x + 1)`; `s = σ(αx)`, `β ln|x + 1 + ε| + ½`.
    /// Defaults α = 4, β = 1, ε = 1e-8.
    S2NN { alpha: f64, beta: f64, epsilon: f64 },
    /// `g = (1 + 2|x|/(α+1))^{−α}`; `s` with `2/(α−1)`. Default α = 2.
    QPseudoSpike { alpha: f64 },
    /// `g = α` (x < 0), β; `s = αx`, `βx`. Defaults α = 0.1, β = 1.
    LeakyRelu { alpha: f64, beta: f64 },
    /// `g = 1/x` (x > 1), 1 (0 < x ≤ 1), α (x ≤ 0); `s = ln x`, `x`, `αx`. Default α = 0.
    LogTailedRelu { alpha: f64 },
    /// `g = max(α·width − α|x|, 0)`. Defaults α = 0.3, width = 1.
    ReluGrad { alpha: f64, width: f64 },
    /// `g = α·exp(−x²σ²/2)/(√(2π)σ)`. Defaults σ = 0.5, α = 0.5.
    GaussianGrad { sigma: f64, alpha: f64 },
    /// `g = scale·[(1+h)N(x; 0, σ) − h N(x; σ, sσ) − h N(x; −σ, sσ)]`.
    /// Defaults h = 0.15, s = 6, σ = 0.5, scale = 0.5.
    MultiGaussianGrad {
        h: f64,
        s: f64,
        sigma: f64,
        scale: f64,
    },
    /// `g = 1/(α|x| + 1)²`. Default α = 100 (the default of LIF-type neurons).
    InvSquareGrad { alpha: f64 },
    /// `g = e^{−α|x|}`. Default α = 1.
    SlayerGrad { alpha: f64 },
}

#[allow(missing_docs)]
impl Surrogate {
    pub fn sigmoid() -> Self {
        Surrogate::Sigmoid { alpha: 4.0 }
    }
    pub fn piecewise_quadratic() -> Self {
        Surrogate::PiecewiseQuadratic { alpha: 1.0 }
    }
    pub fn piecewise_exp() -> Self {
        Surrogate::PiecewiseExp { alpha: 1.0 }
    }
    pub fn soft_sign() -> Self {
        Surrogate::SoftSign { alpha: 1.0 }
    }
    pub fn arctan() -> Self {
        Surrogate::Arctan { alpha: 1.0 }
    }
    pub fn nonzero_sign_log() -> Self {
        Surrogate::NonzeroSignLog { alpha: 1.0 }
    }
    pub fn erf() -> Self {
        Surrogate::Erf { alpha: 1.0 }
    }
    pub fn piecewise_leaky_relu() -> Self {
        Surrogate::PiecewiseLeakyRelu { c: 0.01, w: 1.0 }
    }
    pub fn squarewave_fourier_series() -> Self {
        Surrogate::SquarewaveFourierSeries {
            n: 2,
            t_period: 8.0,
        }
    }
    pub fn s2nn() -> Self {
        Surrogate::S2NN {
            alpha: 4.0,
            beta: 1.0,
            epsilon: 1e-8,
        }
    }
    pub fn q_pseudo_spike() -> Self {
        Surrogate::QPseudoSpike { alpha: 2.0 }
    }
    pub fn leaky_relu() -> Self {
        Surrogate::LeakyRelu {
            alpha: 0.1,
            beta: 1.0,
        }
    }
    pub fn log_tailed_relu() -> Self {
        Surrogate::LogTailedRelu { alpha: 0.0 }
    }
    pub fn relu_grad() -> Self {
        Surrogate::ReluGrad {
            alpha: 0.3,
            width: 1.0,
        }
    }
    pub fn gaussian_grad() -> Self {
        Surrogate::GaussianGrad {
            sigma: 0.5,
            alpha: 0.5,
        }
    }
    pub fn multi_gaussian_grad() -> Self {
        Surrogate::MultiGaussianGrad {
            h: 0.15,
            s: 6.0,
            sigma: 0.5,
            scale: 0.5,
        }
    }
    pub fn inv_square_grad() -> Self {
        Surrogate::InvSquareGrad { alpha: 100.0 }
    }
    pub fn slayer_grad() -> Self {
        Surrogate::SlayerGrad { alpha: 1.0 }
    }

    /// BrainPy's class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            Surrogate::Sigmoid { .. } => "Sigmoid",
            Surrogate::PiecewiseQuadratic { .. } => "PiecewiseQuadratic",
            Surrogate::PiecewiseExp { .. } => "PiecewiseExp",
            Surrogate::SoftSign { .. } => "SoftSign",
            Surrogate::Arctan { .. } => "Arctan",
            Surrogate::NonzeroSignLog { .. } => "NonzeroSignLog",
            Surrogate::Erf { .. } => "ERF",
            Surrogate::PiecewiseLeakyRelu { .. } => "PiecewiseLeakyRelu",
            Surrogate::SquarewaveFourierSeries { .. } => "SquarewaveFourierSeries",
            Surrogate::S2NN { .. } => "S2NN",
            Surrogate::QPseudoSpike { .. } => "QPseudoSpike",
            Surrogate::LeakyRelu { .. } => "LeakyRelu",
            Surrogate::LogTailedRelu { .. } => "LogTailedRelu",
            Surrogate::ReluGrad { .. } => "ReluGrad",
            Surrogate::GaussianGrad { .. } => "GaussianGrad",
            Surrogate::MultiGaussianGrad { .. } => "MultiGaussianGrad",
            Surrogate::InvSquareGrad { .. } => "InvSquareGrad",
            Surrogate::SlayerGrad { .. } => "SlayerGrad",
        }
    }

    /// Every surrogate with BrainPy's default parameters.
    pub fn all_defaults() -> Vec<Surrogate> {
        vec![
            Self::sigmoid(),
            Self::piecewise_quadratic(),
            Self::piecewise_exp(),
            Self::soft_sign(),
            Self::arctan(),
            Self::nonzero_sign_log(),
            Self::erf(),
            Self::piecewise_leaky_relu(),
            Self::squarewave_fourier_series(),
            Self::s2nn(),
            Self::q_pseudo_spike(),
            Self::leaky_relu(),
            Self::log_tailed_relu(),
            Self::relu_grad(),
            Self::gaussian_grad(),
            Self::multi_gaussian_grad(),
            Self::inv_square_grad(),
            Self::slayer_grad(),
        ]
    }
}

type T2 = Tensor<2>;

/// `1/(1 + e^{−x})`, written out: Burn's ndarray `sigmoid` is only ~1e-6 accurate in float64.
fn sigmoid(x: T2) -> T2 {
    x.neg().exp().add_scalar(1.0).recip()
}

/// `where(cond, a, b)` for a boolean mask.
fn select(mask: Tensor<2, burn::tensor::Bool>, if_true: T2, if_false: T2) -> T2 {
    if_false.mask_where(mask, if_true)
}

/// Normal density `exp(−(x−μ)²/(2σ²))/(√(2π)σ)`, in BrainPy's operation order.
fn normal_pdf(x: T2, mu: f64, sigma: f64) -> T2 {
    let d = x.sub_scalar(mu);
    (d.clone() * d)
        .neg()
        .div_scalar(2.0 * sigma * sigma)
        .exp()
        .div_scalar((2.0 * PI).sqrt() * sigma)
}

impl SurrogateFunction for Surrogate {
    fn describe(&self) -> String {
        format!("{self:?}")
    }

    fn grad(&self, x: T2) -> T2 {
        match *self {
            Surrogate::Sigmoid { alpha } => {
                let s = sigmoid(x.mul_scalar(alpha));
                s.clone().mul_scalar(alpha) * s.neg().add_scalar(1.0)
            }
            Surrogate::PiecewiseQuadratic { alpha } => {
                let outside = x.clone().abs().greater_elem(1.0 / alpha);
                let inner = (x.clone().mul_scalar(alpha).powi_scalar(2))
                    .neg()
                    .add_scalar(alpha);
                inner.mask_fill(outside, 0.0)
            }
            Surrogate::PiecewiseExp { alpha } => {
                x.abs().mul_scalar(-alpha).exp().mul_scalar(alpha / 2.0)
            }
            Surrogate::SoftSign { alpha } => {
                let d = x.mul_scalar(alpha).abs().add_scalar(1.0);
                (d.clone() * d).recip().mul_scalar(alpha / 2.0)
            }
            Surrogate::Arctan { alpha } => {
                let u = x.mul_scalar(PI / 2.0 * alpha);
                (u.clone() * u)
                    .add_scalar(1.0)
                    .recip()
                    .mul_scalar(alpha / 2.0)
            }
            Surrogate::NonzeroSignLog { alpha } => x.abs().add_scalar(1.0 / alpha).recip(),
            Surrogate::Erf { alpha } => {
                let u = x.mul_scalar(alpha);
                (u.clone() * u).neg().exp().mul_scalar(alpha / PI.sqrt())
            }
            Surrogate::PiecewiseLeakyRelu { c, w } => {
                let inside = x.clone().abs().lower_equal_elem(w);
                x.zeros_like().add_scalar(c).mask_fill(inside, 1.0 / w)
            }
            Surrogate::SquarewaveFourierSeries { n, t_period } => {
                let w = PI * 2.0 / t_period;
                let mut dx = x.clone().mul_scalar(w).cos();
                for i in 2..n {
                    let c = 2.0 * i as f64 - 1.0;
                    dx = dx + x.clone().mul_scalar(c * w).cos();
                }
                dx.mul_scalar(4.0 / t_period)
            }
            Surrogate::S2NN { alpha, beta, .. } => {
                let neg = x.clone().lower_elem(0.0);
                let s = sigmoid(x.clone().mul_scalar(alpha));
                let left = s.clone().mul_scalar(alpha) * s.neg().add_scalar(1.0);
                // β/(x + 1) on a safe input (x ≥ 0 there), so the unused branch stays finite.
                let right = x.clamp_min(0.0).add_scalar(1.0).recip().mul_scalar(beta);
                select(neg, left, right)
            }
            Surrogate::QPseudoSpike { alpha } => x
                .abs()
                .mul_scalar(2.0 / (alpha + 1.0))
                .add_scalar(1.0)
                .powf_scalar(-alpha),
            Surrogate::LeakyRelu { alpha, beta } => {
                let neg = x.clone().lower_elem(0.0);
                x.zeros_like().add_scalar(beta).mask_fill(neg, alpha)
            }
            Surrogate::LogTailedRelu { alpha } => {
                let big = x.clone().greater_elem(1.0);
                let pos = x.clone().greater_elem(0.0);
                let tail = x.clone().clamp_min(1.0).recip();
                let base = x.zeros_like().add_scalar(alpha).mask_fill(pos, 1.0);
                select(big, tail, base)
            }
            Surrogate::ReluGrad { alpha, width } => x
                .abs()
                .mul_scalar(-alpha)
                .add_scalar(alpha * width)
                .clamp_min(0.0),
            Surrogate::GaussianGrad { sigma, alpha } => (x.clone() * x)
                .neg()
                .div_scalar(2.0)
                .mul_scalar(sigma * sigma)
                .exp()
                .div_scalar((2.0 * PI).sqrt() * sigma)
                .mul_scalar(alpha),
            Surrogate::MultiGaussianGrad { h, s, sigma, scale } => {
                let g1 = normal_pdf(x.clone(), 0.0, sigma);
                let g2 = normal_pdf(x.clone(), sigma, s * sigma);
                let g3 = normal_pdf(x, -sigma, s * sigma);
                (g1.mul_scalar(1.0 + h) - g2.mul_scalar(h) - g3.mul_scalar(h)).mul_scalar(scale)
            }
            Surrogate::InvSquareGrad { alpha } => {
                let d = x.abs().mul_scalar(alpha).add_scalar(1.0);
                (d.clone() * d).recip()
            }
            Surrogate::SlayerGrad { alpha } => x.abs().mul_scalar(-alpha).exp(),
        }
    }

    fn smooth(&self, x: T2) -> Result<T2> {
        Ok(match *self {
            Surrogate::Sigmoid { .. } => sigmoid(x),
            Surrogate::PiecewiseQuadratic { alpha } => {
                let lo = x.clone().lower_elem(-1.0 / alpha);
                let hi = x.clone().greater_elem(1.0 / alpha);
                let mid = (x.clone() * x.clone().abs()).mul_scalar(-alpha * alpha / 2.0)
                    + x.clone().mul_scalar(alpha).add_scalar(0.5);
                mid.mask_fill(lo, 0.0).mask_fill(hi, 1.0)
            }
            Surrogate::PiecewiseExp { alpha } => {
                let neg = x.clone().lower_elem(0.0);
                let left = x
                    .clone()
                    .clamp_max(0.0)
                    .mul_scalar(alpha)
                    .exp()
                    .mul_scalar(0.5);
                let right = x
                    .clamp_min(0.0)
                    .mul_scalar(-alpha)
                    .exp()
                    .mul_scalar(-0.5)
                    .add_scalar(1.0);
                select(neg, left, right)
            }
            Surrogate::SoftSign { alpha } => {
                x.clone() / x.abs().mul_scalar(2.0).add_scalar(2.0 / alpha) + 0.5
            }
            Surrogate::Arctan { alpha } => {
                x.mul_scalar(PI / 2.0 * alpha).atan().div_scalar(PI) + 0.5
            }
            Surrogate::NonzeroSignLog { alpha } => {
                let neg = x.clone().lower_elem(0.0);
                let sign = x.zeros_like().add_scalar(1.0).mask_fill(neg, -1.0);
                sign * x.mul_scalar(alpha).abs().add_scalar(1.0).log()
            }
            Surrogate::Erf { alpha } => x.mul_scalar(-alpha).erf().mul_scalar(0.5),
            Surrogate::PiecewiseLeakyRelu { c, w } => {
                let lo = x.clone().lower_elem(-w);
                let hi = x.clone().greater_elem(w);
                let mid = x.clone().div_scalar(2.0 * w).add_scalar(0.5);
                let left = x.clone().mul_scalar(c).add_scalar(c * w);
                let right = x.mul_scalar(c).add_scalar(1.0 - c * w);
                select(hi, right, select(lo, left, mid))
            }
            Surrogate::SquarewaveFourierSeries { n, t_period } => {
                let w = PI * 2.0 / t_period;
                let mut ret = x.clone().mul_scalar(w).sin();
                for i in 2..n {
                    let c = 2.0 * i as f64 - 1.0;
                    ret = ret + x.clone().mul_scalar(c * w).sin().div_scalar(c);
                }
                ret.mul_scalar(2.0 / PI).add_scalar(0.5)
            }
            Surrogate::S2NN {
                alpha,
                beta,
                epsilon,
            } => {
                let neg = x.clone().lower_elem(0.0);
                let left = sigmoid(x.clone().mul_scalar(alpha));
                let right = x
                    .clamp_min(0.0)
                    .add_scalar(1.0)
                    .abs()
                    .add_scalar(epsilon)
                    .log()
                    .mul_scalar(beta)
                    .add_scalar(0.5);
                select(neg, left, right)
            }
            Surrogate::QPseudoSpike { alpha } => {
                let neg = x.clone().lower_elem(0.0);
                let k = 2.0 / (alpha - 1.0);
                let a = x.clone().abs().mul_scalar(k);
                let left = a
                    .clone()
                    .neg()
                    .add_scalar(1.0)
                    .powf_scalar(1.0 - alpha)
                    .mul_scalar(0.5);
                let right = a
                    .add_scalar(1.0)
                    .powf_scalar(1.0 - alpha)
                    .mul_scalar(-0.5)
                    .add_scalar(1.0);
                select(neg, left, right)
            }
            Surrogate::LeakyRelu { alpha, beta } => {
                let neg = x.clone().lower_elem(0.0);
                select(neg, x.clone().mul_scalar(alpha), x.mul_scalar(beta))
            }
            Surrogate::LogTailedRelu { alpha } => {
                let big = x.clone().greater_elem(1.0);
                let pos = x.clone().greater_elem(0.0);
                let tail = x.clone().clamp_min(1.0).log();
                let base = select(pos, x.clone(), x.mul_scalar(alpha));
                select(big, tail, base)
            }
            Surrogate::ReluGrad { .. }
            | Surrogate::GaussianGrad { .. }
            | Surrogate::MultiGaussianGrad { .. }
            | Surrogate::InvSquareGrad { .. }
            | Surrogate::SlayerGrad { .. } => {
                return Err(Error::arg(
                    "forward_use_surrogate",
                    format!("{} has no smooth forward function", self.class_name()),
                ));
            }
        })
    }
}
