//! What the fused engine's neuron kernels share (the noise of a step, spike masks into bool
//! arrays), the input groups' host kernels, and the documented float64 override of the
//! Wang–Buzsáki step ([`wb_x64`]). The models themselves have no kernels here: their one
//! definition runs through [`super::model_host`] and [`super::cond_host`].

pub mod inputs;
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
pub(crate) fn store_mask<L: Lanes>(m: L::Mask, dst: &mut [bool], j: usize) {
    let bits = L::bits(m);
    if (L::N == 8 || L::N == 16) && j + L::N <= dst.len() {
        // Eight 0/1 bytes per table look-up, copied as they are (0 and 1 are the two valid
        // `bool` bytes).
        for h in 0..L::N / 8 {
            let bytes = SPREAD[(bits >> (8 * h)) as usize & 0xff].to_le_bytes();
            // SAFETY: `j + 8h + 8 <= dst.len()`, and every byte is 0 or 1, a valid `bool`.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    dst.as_mut_ptr().add(j + 8 * h) as *mut u8,
                    8,
                )
            };
        }
        return;
    }
    let end = (j + L::N).min(dst.len());
    for (k, d) in dst[j..end].iter_mut().enumerate() {
        *d = (bits >> k) & 1 == 1;
    }
}
