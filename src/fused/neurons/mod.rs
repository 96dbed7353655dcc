//! Host kernels of the neuron models: one generic step per model over [`HostFloat`] lanes,
//! following the composed-op step of the model's file operation by operation (the same
//! equations through the same generic functions where that is fast enough, a hand-fused
//! version of the same arithmetic where it is not — Wang–Buzsáki's `exp_auto`).

pub mod hh;
pub mod inputs;
pub mod lif;
pub mod wb;

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

/// Writes the lanes of mask `m` as booleans into `dst[j..]` (only inside `dst`).
#[inline(always)]
pub(crate) fn store_mask<L: Lanes>(m: L::M, dst: &mut [bool], j: usize) {
    let bits = L::bits(m);
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
