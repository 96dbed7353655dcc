//! Host kernels of the neuron models: one generic step per model over [`HostFloat`] lanes,
//! following the composed-op step of the model's file operation by operation (the same
//! equations through the same generic functions where that is fast enough, a hand-fused
//! version of the same arithmetic where it is not — Wang–Buzsáki's `exp_auto`).

pub mod cond;
pub mod hh;
pub mod inputs;
pub mod lif;
pub mod wb;
pub mod wb_x64;

use super::host::{HParam, HostFloat};
use super::lanes::Lanes;
use crate::dynamics::StepTime;
use crate::integrate::noise::step_normals;

/// The noise of one step, `σ·√dt·ξ` per element (`rows × num`), with the draws of the
/// composed path ([`step_normals`] of the same seed and step), into `out`.
pub(crate) fn noise_step<E: HostFloat>(
    sigma: &HParam<E>,
    seed: u64,
    ts: &StepTime,
    rows: usize,
    num: usize,
    out: &mut Vec<E>,
) {
    let xi = step_normals(seed, ts.i, rows * num);
    let sq = E::of(ts.dt.sqrt());
    out.clear();
    out.extend(
        xi.iter()
            .enumerate()
            .map(|(k, &x)| E::of(x) * sigma.at(k % num) * sq),
    );
}

/// `SPREAD[b]`: the 8 bits of `b` as 8 bytes of 0/1 (little-endian: bit k is byte k).
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            if b & (1 << k) != 0 {
                t[b] |= 1 << (8 * k);
            }
            k += 1;
        }
        b += 1;
    }
    t
};

/// Writes the lanes of mask `m` as booleans into `dst[j..]` (only inside `dst`).
#[inline(always)]
pub(crate) fn store_mask<L: Lanes>(m: L::M, dst: &mut [bool], j: usize) {
    let bits = L::bits(m);
    if (L::N == 8 || L::N == 16) && j + L::N <= dst.len() {
        // Eight 0/1 bytes per table look-up.
        for (h, out) in dst[j..j + L::N].chunks_exact_mut(8).enumerate() {
            let bytes = SPREAD[(bits >> (8 * h)) as usize & 0xff].to_le_bytes();
            for (d, &b) in out.iter_mut().zip(&bytes) {
                *d = b != 0;
            }
        }
        return;
    }
    let end = (j + L::N).min(dst.len());
    for (k, d) in dst[j..end].iter_mut().enumerate() {
        *d = (bits >> k) & 1 == 1;
    }
}

/// The arguments of one neuron step.
#[derive(Clone, Copy)]
pub(crate) struct Step<'a, E> {
    pub ts: &'a StepTime,
    pub input: &'a [E],
}

#[cfg(test)]
mod tests {
    use super::hh::hh_exp_auto;
    use super::wb::wb_exp_auto;
    use crate::fused::lanes::{F32x8, Lanes, exprel_lazy, exprel_pair, x_over_expm1_pair};
    use crate::neuron::hh::HhParams;
    use crate::neuron::wang_buzsaki::WbParams;

    /// Every lane computation of the hand-fused kernels on a sweep of inputs, as bits, in
    /// element order (15 quantities per input).
    #[inline(always)]
    fn sweep<L: Lanes<E = f32>>(xs: &[f32]) -> Vec<u32> {
        let mut out = Vec::new();
        for c in xs.chunks(L::N) {
            let x = L::load(c, 0, 0.5);
            let y = x * -0.37 + 0.25;
            let mut q: Vec<L> = Vec::new();
            let mut put = |v: L| q.push(v);
            let (e, d) = exprel_pair(x * 0.05, (x * 0.05).exp(), true);
            let (a, ad) = x_over_expm1_pair(x * 0.1, (x * 0.1).exp(), true);
            put(x.exp());
            put(e);
            put(d);
            put(a);
            put(ad);
            put(exprel_lazy(x * 0.001));
            put(exprel_lazy(x * 0.01));
            put(L::blend(x.ge(y), x, y));
            let wp = WbParams {
                e_na: L::cst(55.0),
                g_na: L::cst(35.0),
                e_k: L::cst(-90.0),
                g_k: L::cst(9.0),
                e_l: L::cst(-65.0),
                g_l: L::cst(0.1),
                phi: L::cst(5.0),
                c: L::cst(1.0),
            };
            let (h, n) = (L::cst(0.6), L::cst(0.32));
            let (v1, h1, n1) = wb_exp_auto(x, h, n, L::cst(1.0), &wp, L::cst(1.0), 0.01);
            put(v1);
            put(h1);
            put(n1);
            let hp = HhParams {
                e_na: L::cst(50.0),
                g_na: L::cst(120.0),
                e_k: L::cst(-77.0),
                g_k: L::cst(36.0),
                e_l: L::cst(-54.387),
                g_l: L::cst(0.03),
                c: L::cst(1.0),
            };
            let (a, b, c2, d2) =
                hh_exp_auto(x, L::cst(0.05), h, n, L::cst(5.0), &hp, L::cst(1.0), 0.01);
            for v in [a, b, c2, d2] {
                put(v);
            }
            for k in 0..c.len() {
                out.extend(q.iter().map(|v| v.lane(k).to_bits()));
            }
        }
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn sweep_avx2(xs: &[f32]) -> Vec<u32> {
        sweep::<crate::fused::lanes::Avx8>(xs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    unsafe fn sweep_avx512(xs: &[f32]) -> Vec<u32> {
        sweep::<crate::fused::lanes::Avx16>(xs)
    }

    /// The AVX2 and AVX-512 lanes compute exactly what the portable ones do (the same
    /// operations in the same order, no FMA), from the exponential to whole WB and HH steps,
    /// over V from −100 to 105 mV (every branch of the rate functions and of exprel).
    #[test]
    fn simd_lanes_are_bit_identical_to_the_portable_ones() {
        let xs: Vec<f32> = (0..4001).map(|k| -100.0 + k as f32 * 0.05126).collect();
        let portable = sweep::<F32x8>(&xs);
        assert_eq!(portable.len(), 15 * xs.len());
        assert!(portable.iter().all(|b| f32::from_bits(*b).is_finite()));
        #[cfg(target_arch = "x86_64")]
        {
            if crate::fused::simd::has_avx2() {
                // SAFETY: the CPU has AVX2.
                let got = unsafe { sweep_avx2(&xs) };
                if let Some(k) = (0..got.len()).find(|&k| got[k] != portable[k]) {
                    panic!(
                        "AVX2 lanes differ at output {k}: {} vs {}",
                        f32::from_bits(got[k]),
                        f32::from_bits(portable[k])
                    );
                }
            }
            if crate::fused::simd::has_avx512() {
                // SAFETY: the CPU has AVX-512F/VL.
                let got = unsafe { sweep_avx512(&xs) };
                if let Some(k) = (0..got.len()).find(|&k| got[k] != portable[k]) {
                    panic!(
                        "AVX-512 lanes differ at output {k}: {} vs {}",
                        f32::from_bits(got[k]),
                        f32::from_bits(portable[k])
                    );
                }
            }
        }
    }
}
