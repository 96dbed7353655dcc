//! Feature transforms of BrainPy's regressions (`brainpy/algorithms/utils.py`), as its code
//! computes them.
//!
//! `polynomial_features(X, degree, add_bias)` for `X: [n, f]`, with `C` the monomials of
//! degree 2..=degree over the `f` columns (`combinations_with_replacement`, in that order):
//! - no monomials (`degree < 2`): `[1, X]` with a bias, else `X`;
//! - otherwise `[X, C, 0]` without a bias and `[1, X, C, 0]` with one. The last column stays
//!   zero: BrainPy allocates `1 + f + |C|` columns (`f + 1` counted for the bias) and fills one
//!   fewer. A fit gives that column a zero weight (closed forms) or leaves its initial weight
//!   (gradient descent), exactly as BrainPy does.
//!
//! `normalize(X)` divides every row by its Euclidean norm (rows of norm 0 are left as they are).

use super::linalg::Mat;

/// Python's `itertools.combinations_with_replacement(range(n), k)`: the non-decreasing index
/// tuples of length `k`, in lexicographic order.
pub fn combinations_with_replacement(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if n == 0 || k == 0 {
        return out;
    }
    let mut idx = vec![0usize; k];
    loop {
        out.push(idx.clone());
        let Some(j) = (0..k).rev().find(|&j| idx[j] < n - 1) else {
            return out;
        };
        let v = idx[j] + 1;
        for slot in idx.iter_mut().skip(j) {
            *slot = v;
        }
    }
}

/// The index tuples of the monomials of degree 2..=`degree` over `n` variables, degree by
/// degree (BrainPy's `index_combinations`).
pub fn monomials(n: usize, degree: usize) -> Vec<Vec<usize>> {
    (2..=degree)
        .flat_map(|d| combinations_with_replacement(n, d))
        .collect()
}

/// BrainPy's `polynomial_features` (see the module doc for its layout).
pub fn polynomial_features(x: &Mat, degree: usize, add_bias: bool) -> Mat {
    let (n, f) = x.shape();
    let combs = monomials(f, degree);
    if combs.is_empty() {
        if !add_bias {
            return x.clone();
        }
        let mut out = Mat::from_element(n, f + 1, 1.0);
        out.columns_mut(1, f).copy_from(x);
        return out;
    }
    let lead = usize::from(add_bias);
    let mut out = Mat::zeros(n, 1 + f + lead + combs.len());
    if add_bias {
        out.column_mut(0).fill(1.0);
    }
    out.columns_mut(lead, f).copy_from(x);
    for (i, c) in combs.iter().enumerate() {
        for r in 0..n {
            out[(r, f + lead + i)] = c.iter().map(|&j| x[(r, j)]).product();
        }
    }
    out
}

/// BrainPy's `normalize`: every row divided by its L2 norm (zero rows unchanged).
pub fn normalize(x: &Mat) -> Mat {
    let mut out = x.clone();
    for mut row in out.row_iter_mut() {
        let l2 = row.norm();
        if l2 != 0.0 {
            row /= l2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::linalg::from_rows;

    #[test]
    fn monomials_follow_combinations_with_replacement() {
        assert_eq!(
            monomials(3, 2),
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![0, 2],
                vec![1, 1],
                vec![1, 2],
                vec![2, 2]
            ]
        );
        assert_eq!(monomials(2, 3).len(), 3 + 4);
        assert!(monomials(4, 1).is_empty());
    }

    #[test]
    fn polynomial_features_keep_brainpys_trailing_zero_column() {
        let x = from_rows(1, 2, &[2.0, 3.0]);
        let p = polynomial_features(&x, 2, false);
        assert_eq!(p.as_slice(), &[2.0, 3.0, 4.0, 6.0, 9.0, 0.0]);
        let p = polynomial_features(&x, 2, true);
        assert_eq!(p.as_slice(), &[1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 0.0]);
        let p = polynomial_features(&x, 1, true);
        assert_eq!(p.as_slice(), &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn normalize_scales_rows_to_unit_norm() {
        let x = from_rows(2, 2, &[3.0, 4.0, 0.0, 0.0]);
        let n = normalize(&x);
        assert_eq!(n.row(0).iter().copied().collect::<Vec<_>>(), vec![0.6, 0.8]);
        assert_eq!(n.row(1).iter().copied().collect::<Vec<_>>(), vec![0.0, 0.0]);
    }
}
