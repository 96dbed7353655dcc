//! Host float64 linear algebra for the fits, with JAX's conventions (BrainPy 2.4.6 calls
//! `jnp.linalg.pinv` and `jnp.linalg.lstsq`).
//!
//! - `pinv(a)`: singular values `s > rcond·max(s)` are inverted, the rest dropped, with
//!   `rcond = 10·max(m, n)·ε` (jax 0.4.20 `numpy/linalg.py::pinv`).
//! - `lstsq(a, b)`: the minimum-norm least-squares solution through the SVD, keeping
//!   `s ≥ rcond·max(s)` with `rcond = ε·max(m, n)` (`_lstsq`).
//!
//! Matrices are [`nalgebra::DMatrix<f64>`]; [`from_tensor`] and [`to_tensor`] move them to and
//! from a device's row-major tensors.

use burn::tensor::Tensor;
use nalgebra::DMatrix;

use crate::backend::Ctx;
use crate::error::{Error, Result};

/// A dense host matrix in float64.
pub type Mat = DMatrix<f64>;

/// A row-major `[rows, cols]` slice as a matrix.
pub fn from_rows(rows: usize, cols: usize, values: &[f64]) -> Mat {
    Mat::from_row_slice(rows, cols, values)
}

/// The matrix's values in row-major order.
pub fn to_rows(m: &Mat) -> Vec<f64> {
    m.transpose().as_slice().to_vec()
}

/// A `[rows, cols]` tensor read back as a host matrix.
pub fn from_tensor(t: Tensor<2>) -> Result<Mat> {
    let [r, c] = t.dims();
    let v = crate::tensor_io::to_f64_vec(t)?;
    Ok(from_rows(r, c, &v))
}

/// The matrix as a `[rows, cols]` tensor in the context's precision.
pub fn to_tensor(m: &Mat, ctx: &Ctx) -> Tensor<2> {
    ctx.tensor(to_rows(m), [m.nrows(), m.ncols()])
}

/// An error naming `what` if any element is NaN or infinite.
pub fn check_finite(what: &str, m: &Mat) -> Result<()> {
    match m.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(k) => {
            let (r, c) = (k % m.nrows(), k / m.nrows());
            Err(Error::arg(
                what,
                format!(
                    "element [{r}, {c}] is {} (records and targets must be finite)",
                    m[k]
                ),
            ))
        }
    }
}

/// The Moore–Penrose pseudo-inverse as `jnp.linalg.pinv` computes it.
pub fn pinv(a: &Mat) -> Mat {
    pinv_with_rank(a).0
}

/// [`pinv`] and the number of singular values it kept (the numerical rank).
pub fn pinv_with_rank(a: &Mat) -> (Mat, usize) {
    let (m, n) = a.shape();
    if m == 0 || n == 0 {
        return (Mat::zeros(n, m), 0);
    }
    let rcond = 10.0 * m.max(n) as f64 * f64::EPSILON;
    let svd = a.clone().svd(true, true);
    let s = &svd.singular_values;
    let cutoff = rcond * s.max();
    let u = svd.u.as_ref().expect("SVD computed with U");
    let vt = svd.v_t.as_ref().expect("SVD computed with V^T");
    let mut vs = vt.transpose();
    let mut rank = 0;
    for (j, &sj) in s.iter().enumerate() {
        let inv = if sj > cutoff {
            rank += 1;
            1.0 / sj
        } else {
            0.0
        };
        vs.column_mut(j).scale_mut(inv);
    }
    (vs * u.transpose(), rank)
}

/// The minimum-norm least-squares solution of `a·x = b` as `jnp.linalg.lstsq` computes it.
pub fn lstsq(a: &Mat, b: &Mat) -> Mat {
    let (m, n) = a.shape();
    if m == 0 || n == 0 {
        return Mat::zeros(n, b.ncols());
    }
    let rcond = f64::EPSILON * m.max(n) as f64;
    let svd = a.clone().svd(true, true);
    let s = &svd.singular_values;
    let cutoff = rcond * s.max();
    let u = svd.u.as_ref().expect("SVD computed with U");
    let vt = svd.v_t.as_ref().expect("SVD computed with V^T");
    let mut utb = u.transpose() * b;
    for (j, &sj) in s.iter().enumerate() {
        let inv = if sj >= cutoff { 1.0 / sj } else { 0.0 };
        utb.row_mut(j).scale_mut(inv);
    }
    vt.transpose() * utb
}

/// The largest eigenvalue modulus of a square matrix (its spectral radius), from the real
/// Schur form.
pub fn spectral_radius(a: &Mat) -> f64 {
    a.clone()
        .complex_eigenvalues()
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinv_of_an_invertible_matrix_is_its_inverse() {
        let a = from_rows(2, 2, &[4.0, 1.0, 2.0, 3.0]);
        let p = pinv(&a);
        let id = &a * &p;
        assert!((id - Mat::identity(2, 2)).abs().max() < 1e-14);
    }

    #[test]
    fn pinv_drops_a_zero_direction() {
        // A zero column (BrainPy's polynomial features end with one) has a zero row in pinv.
        let a = from_rows(3, 2, &[1.0, 0.0, 2.0, 0.0, 3.0, 0.0]);
        let p = pinv(&a);
        assert_eq!(p.row(1).iter().map(|x| x.abs()).sum::<f64>(), 0.0);
        assert!((p[(0, 0)] - 1.0 / 14.0).abs() < 1e-15);
    }

    #[test]
    fn lstsq_solves_an_overdetermined_system() {
        // y = 2 x0 - x1 exactly: the least-squares solution recovers the coefficients.
        let a = from_rows(4, 2, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, -1.0]);
        let b = from_rows(4, 1, &[2.0, -1.0, 1.0, 5.0]);
        let x = lstsq(&a, &b);
        assert!((x[(0, 0)] - 2.0).abs() < 1e-14 && (x[(1, 0)] + 1.0).abs() < 1e-14);
    }

    #[test]
    fn spectral_radius_of_a_rotation_is_its_scale() {
        let a = from_rows(2, 2, &[0.0, -1.5, 1.5, 0.0]);
        assert!((spectral_radius(&a) - 1.5).abs() < 1e-14);
    }

    #[test]
    fn check_finite_names_the_element() {
        let a = from_rows(2, 2, &[0.0, 1.0, f64::NAN, 0.0]);
        let e = check_finite("xs", &a).unwrap_err().to_string();
        assert!(e.contains("`xs`") && e.contains("[1, 0]"), "{e}");
    }
}
