//! Wang–Buzsáki `exp_auto` in float64 operation for operation as BrainPy 2.4.6 computes it.
//!
//! BrainPy's step is not the textbook arithmetic: JAX differentiates the derivative in reverse
//! mode (`vector_grad`), XLA's algebraic simplifier rewrites the graph (a division by a
//! constant becomes a product with its reciprocal, `x/80 → x·0.0125`; chains of constant
//! factors are folded, `(0.125·e)·(−φ) → e·(−0.125φ)`; `(a/b)/c → a/(b·c)`) and LLVM contracts
//! some products and sums into fused multiply–adds. Each of these moves the last bit of a
//! step now and then; over 500 ms at dt = 0.05 the Wang–Buzsáki neuron at I = 2 amplifies such
//! a bit into spikes shifted by whole steps (oracle case b). This file writes the step out in
//! the order of the compiled program — read from XLA's optimised HLO of
//! `WangBuzsakiModel.integral` (jaxlib 0.4.20, x86-64 CPU), the contractions found by
//! replaying that HLO with and without each candidate `fma` against BrainPy's own results —
//! so that a float64 run reproduces BrainPy's trajectory bit for bit (`exp` is glibc's, as
//! XLA's; `mul_add` is exactly rounded everywhere).
//!
//! It covers the case that program was compiled for: `exp_auto`, one membrane capacitance
//! `C = 1` (XLA folds `1/C` into the constants otherwise) and any scalar or per-neuron
//! values of the other parameters. [`applies`] says when; the other cases run the generic
//! equations. The removable singularities of α_m and α_n are evaluated as BrainPy does
//! (`x/(eˣ − 1)`), except within 1e-5 mV of the singular points, where the guarded series
//! take over (see [`NEAR`]), so no V gives NaN.

use crate::math::x_over_expm1;
use crate::neuron::wang_buzsaki::WbParams;

/// Within this |x| of the removable singularities of α_m (x = −0.1(V + 35)) and α_n the
/// guarded series are used, not BrainPy's literal quotients: at x = 0 those are 0/0, and
/// nearby the two terms of BrainPy's reverse-mode ∂f/∂V through α_m (each ∝ 1/x) cancel,
/// losing about `1e-16/x²` relative — garbage (even an overflowing φ) below x ≈ 1e-8. Here
/// (within 1e-5 mV of V = −35 or −34) the step is not BrainPy's to the bit but exact.
const NEAR: f64 = 1e-6;

/// Below this |z|, `φ(z) = (eᶻ − 1)/z` is taken from its series (the literal quotient would
/// be 0 or far off). Above it BrainPy's literal quotient is kept: it differs from the series
/// in the last digits for small |z| (at rest, ∂f/∂V is close to 0), and those digits are
/// BrainPy's trajectory.
const NEAR_PHI: f64 = 1e-14;

/// Whether the BrainPy-order step applies: `exp_auto` with `C = 1`.
pub fn applies(exp_auto: bool, c: Option<f64>) -> bool {
    exp_auto && c == Some(1.0)
}

/// `num/(eˣ − 1)` as BrainPy writes it, with `num = k·x` mathematically; near x = 0 (where the
/// quotient is 0/0 or loses digits) `k·x/(eˣ − 1)` from the guarded series.
#[inline(always)]
fn quotient(num: f64, x: f64, k: f64) -> f64 {
    if x.abs() < NEAR {
        k * x_over_expm1(x)
    } else {
        num / (x.exp() + -1.0)
    }
}

/// `φ(dt·L)·dt` as BrainPy's `exp_auto` computes it: `(e^{dt·L} − 1)/(dt·L)`, 1 where L = 0.
#[inline(always)]
fn phi_dt(l: f64, dt: f64) -> f64 {
    let z = l * dt;
    let phi = if l == 0.0 {
        1.0
    } else if z.abs() < NEAR_PHI {
        // The literal quotient has lost every digit here: the series.
        1.0 + z * (0.5 + z * (1.0 / 6.0))
    } else {
        (z.exp() + -1.0) / z
    };
    phi * dt
}

/// One step of (V, h, n) with input current `i`, time step `dt`, parameters `p` (`p.c` is
/// not read: [`applies`] requires C = 1). Returns the new (V, h, n).
#[inline(always)]
pub fn wb_step_x64(v: f64, h: f64, n: f64, i: f64, p: &WbParams<f64>, dt: f64) -> (f64, f64, f64) {
    // Shared: α_m and β_m, m∞ = num/((e − 1)·(α_m + β_m)).
    let x35 = (v + 35.0) * -0.1;
    let e35 = x35.exp();
    let am = quotient(x35, x35, 1.0);
    let e60 = (-(v + 60.0) * (1.0 / 18.0)).exp();
    let s = am + e60 * 4.0;
    let m = if x35.abs() < NEAR {
        am / s
    } else {
        x35 / ((e35 + -1.0) * s)
    };

    // V: the derivative's value and its reverse-mode partial ∂/∂V.
    let n2 = n * n;
    let n4 = n2 * n2;
    let m2 = m * m;
    let m3 = m * m2;
    let gna_m3_h = m3 * p.g_na * h;
    let lin = n4 * -p.g_k + -p.g_l + -gna_m3_h; // XLA: gna_m3_h·(−1), exact
    let dna = v - p.e_na;
    let t55 = -dna * h * p.g_na * (m2 * 3.0); // XLA: dna·(−1)·h·gNa·(3m²)
    let t53 = t55 * (1.0 / (s * s));
    let neg15 = -(t53 * am);
    let t50 = neg15 * 4.0 * e60;
    let a28 = (-t50).mul_add(1.0 / 18.0, lin);
    let em1 = e35 + -1.0;
    let a27 = t55 / s + neg15;
    let lv = if x35.abs() < NEAR {
        // The chain through α_m′ = −0.1·d/dx[x/(eˣ − 1)] = −0.1·(−1/2 + x/6 + O(x³)).
        a27.mul_add(0.05 - x35 * (1.0 / 60.0), a28)
    } else {
        let t45 = -(a27 * (1.0 / (em1 * em1)) * x35) * e35;
        let a26 = t45.mul_add(-0.1, a28);
        (a27 / em1).mul_add(-0.1, a26)
    };
    let fv_lin = (-gna_m3_h).mul_add(dna, -(n4 * p.g_k * (v - p.e_k)));
    let fv = (-(v - p.e_l)).mul_add(p.g_l, fv_lin) + i;
    let v1 = phi_dt(lv, dt).mul_add(fv, v);

    // h: β_h = 1/(e^{−0.1(V+28)} + 1), α_h = 0.07·e^{−(V+58)/20}.
    let bh = 1.0 / (((v + 28.0) * -0.1).exp() + 1.0);
    let e58 = (-(v + 58.0) * (1.0 / 20.0)).exp();
    let lh = (-e58).mul_add(0.07 * p.phi, bh * -p.phi);
    let fh = (e58 * 0.07).mul_add(1.0 - h, -(bh * h)) * p.phi;
    let h1 = phi_dt(lh, dt).mul_add(fh, h);

    // n: α_n = −0.01(V+34)/(e^{−0.1(V+34)} − 1), β_n = 0.125·e^{−(V+44)/80}.
    let x34 = (v + 34.0) * -0.1;
    let an = quotient((v + 34.0) * -0.01, x34, 0.1);
    let e44 = (-(v + 44.0) * (1.0 / 80.0)).exp();
    let ln = (-an).mul_add(p.phi, e44 * (-0.125 * p.phi));
    let fn_ = an.mul_add(1.0 - n, -(e44 * 0.125 * n)) * p.phi;
    let n1 = phi_dt(ln, dt).mul_add(fn_, n);
    (v1, h1, n1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrate::{Method, OdeSystem, integrate_array};
    use crate::math::Num;
    use crate::neuron::wang_buzsaki::{wb_dh, wb_dn, wb_dv};

    fn params() -> WbParams<f64> {
        WbParams {
            e_na: 55.0,
            g_na: 35.0,
            e_k: -90.0,
            g_k: 9.0,
            e_l: -65.0,
            g_l: 0.1,
            v_th: 20.0,
            phi: 5.0,
            c: 1.0,
        }
    }

    /// The model's generic equations (the composed path's arithmetic).
    struct Generic(WbParams<f64>, f64);
    impl OdeSystem<f64> for Generic {
        fn n_vars(&self) -> usize {
            3
        }
        fn derivative<T: Num + From<f64>>(&self, k: usize, x: &[T], _t: f64) -> T {
            match k {
                0 => wb_dv(
                    x[0].clone(),
                    x[1].clone(),
                    x[2].clone(),
                    T::from(self.1),
                    &self.0.cast(),
                ),
                1 => wb_dh(x[1].clone(), x[0].clone(), T::from(self.0.phi)),
                _ => wb_dn(x[2].clone(), x[0].clone(), T::from(self.0.phi)),
            }
        }
    }

    /// At and around the removable singularities (V = −35 for α_m, −34 for α_n), inside and
    /// outside the series' range, the step is finite and agrees with the generic step: within
    /// 1e-9 where both are exact (the series, and far from the singular points), within 1e-6
    /// where BrainPy's literal forms lose ~1e-16/x² (x ≥ 1e-6: ≤ 1e-4 relative of the α_m
    /// chain of ∂f/∂V, which enters V's step through φ(dt·L) ≈ 1 + dt·L/2).
    #[test]
    fn singular_points_are_finite_and_agree_with_the_generic_step() {
        let p = params();
        for &v0 in &[-35.0f64, -34.0] {
            for (dv, tol) in [
                (0.0, 1e-9),
                (1e-9, 1e-9),
                (-1e-7, 1e-9),
                (2e-5, 1e-6),
                (-3e-4, 1e-6),
                (0.5, 1e-9),
            ] {
                let v = v0 + dv;
                let (v1, h1, n1) = wb_step_x64(v, 0.6, 0.32, 1.0, &p, 0.01);
                let [gv, gh, gn] = integrate_array(
                    &Generic(p.clone(), 1.0),
                    Method::ExpAuto,
                    [v, 0.6, 0.32],
                    0.0,
                    0.01,
                );
                for (what, a, b) in [("V", v1, gv), ("h", h1, gh), ("n", n1, gn)] {
                    assert!(a.is_finite(), "{what} at V = {v}: {a}");
                    assert!(
                        (a - b).abs() <= tol * b.abs().max(1.0),
                        "{what} at V = {v}: {a} vs {b}"
                    );
                }
            }
        }
    }

    /// φ = 1 where ∂f/∂x = 0 exactly (BrainPy's `where`), the series below 1e-14, and the
    /// literal quotient above.
    #[test]
    fn phi_follows_brainpy_and_stays_finite() {
        assert_eq!(phi_dt(0.0, 0.05), 0.05);
        assert_eq!(phi_dt(1e-20, 0.05), 0.05);
        let z = -0.3f64 * 0.05;
        assert_eq!(phi_dt(-0.3, 0.05), (z.exp() + -1.0) / z * 0.05);
        assert!(phi_dt(-1e4, 0.05).is_finite());
    }
}
