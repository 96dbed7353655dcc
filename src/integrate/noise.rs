//! Seeded Gaussian noise for stochastic models (Euler–Maruyama, SPEC §2).
//!
//! With `noise = σ` the V equation becomes an Itô SDE: after the drift step (any method),
//! `V⁺ = V_drift + σ·√dt·ξ`, ξ ~ N(0, 1), drawn on the host so every backend sees the same
//! numbers.
//!
//! Random draws are *counter-based*: the numbers of step `i` come from a generator seeded with
//! `(seed, i)`. A run is therefore reproducible from any step, which is what lets a saved
//! network (whose `state_dict` holds no RNG state) continue bit-identically after loading,
//! and makes `reset_state` restart the same stream.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// The generator for step `step` of stream `seed` (a SplitMix64 mix of the two).
pub fn step_rng(seed: u64, step: u64) -> StdRng {
    let mut z = seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// `n` standard normal draws for step `step` of stream `seed`.
pub fn step_normals(seed: u64, step: u64, n: usize) -> Vec<f64> {
    let mut rng = step_rng(seed, step);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// `n` uniform draws in [0, 1) for step `step` of stream `seed`.
pub fn step_uniforms(seed: u64, step: u64, n: usize) -> Vec<f64> {
    let mut rng = step_rng(seed, step);
    (0..n).map(|_| rng.random::<f64>()).collect()
}
