//! Measures of network activity (BrainPy's `bp.measure`): population rate, dominant
//! frequency of a rhythm, and the Wang–Buzsáki synchrony coefficient.
//!
//! They work on host spike matrices: `spikes[k][i]` = neuron `i` fired in step `k`.

/// Population firing rate (Hz) in bins of `bin_ms`: spikes per neuron per second.
pub fn population_rate(spikes: &[Vec<bool>], dt: f64, bin_ms: f64) -> Vec<f64> {
    let per_bin = ((bin_ms / dt).round() as usize).max(1);
    let num = spikes.first().map_or(0, Vec::len).max(1);
    spikes
        .chunks(per_bin)
        .map(|chunk| {
            let count: usize = chunk
                .iter()
                .map(|row| row.iter().filter(|&&s| s).count())
                .sum();
            count as f64 / num as f64 / (chunk.len() as f64 * dt / 1000.0)
        })
        .collect()
}

/// The frequency (Hz) with the largest power in `[f_min, f_max]` of a signal sampled every
/// `bin_ms` (mean removed, plain DFT), with that power; `None` if the band holds no frequency
/// of the DFT grid or the signal is constant.
pub fn dominant_frequency(
    signal: &[f64],
    bin_ms: f64,
    f_min: f64,
    f_max: f64,
) -> Option<(f64, f64)> {
    let n = signal.len();
    if n < 2 {
        return None;
    }
    let mean = signal.iter().sum::<f64>() / n as f64;
    let duration_s = n as f64 * bin_ms / 1000.0;
    let mut best: Option<(f64, f64)> = None;
    for k in 1..=n / 2 {
        let f = k as f64 / duration_s;
        if f < f_min || f > f_max {
            continue;
        }
        let (mut re, mut im) = (0.0, 0.0);
        for (t, x) in signal.iter().enumerate() {
            let ph = -2.0 * std::f64::consts::PI * (k * t) as f64 / n as f64;
            re += (x - mean) * ph.cos();
            im += (x - mean) * ph.sin();
        }
        let p = re * re + im * im;
        if best.is_none_or(|b| p > b.1) {
            best = Some((f, p));
        }
    }
    best.filter(|b| b.1 > 0.0)
}

/// Wang & Buzsáki's (1996) synchrony coefficient, as BrainPy's `bp.measure.cross_correlation`:
/// spike trains are binned in windows of `bin_ms` (1 if the neuron fired in the bin), and
/// κ_ij = Σ x_i x_j / √(Σ x_i · Σ x_j) is averaged over all pairs. Pairs with a silent neuron
/// (0/0, NaN in BrainPy) are left out; `None` if no pair remains.
pub fn cross_correlation(spikes: &[Vec<bool>], dt: f64, bin_ms: f64) -> Option<f64> {
    let per_bin = ((bin_ms / dt) as usize).max(1);
    let num = spikes.first().map_or(0, Vec::len);
    let bins: Vec<Vec<f64>> = (0..num)
        .map(|i| {
            spikes
                .chunks(per_bin)
                .map(|chunk| {
                    if chunk.iter().any(|row| row[i]) {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let sums: Vec<f64> = bins.iter().map(|b| b.iter().sum()).collect();
    let (mut total, mut pairs) = (0.0, 0usize);
    for i in 0..num {
        for j in i + 1..num {
            if sums[i] == 0.0 || sums[j] == 0.0 {
                continue;
            }
            let both: f64 = bins[i].iter().zip(&bins[j]).map(|(a, b)| a * b).sum();
            total += both / (sums[i] * sums[j]).sqrt();
            pairs += 1;
        }
    }
    (pairs > 0).then(|| total / pairs as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(num: usize, steps: usize, fire: impl Fn(usize, usize) -> bool) -> Vec<Vec<bool>> {
        (0..steps)
            .map(|k| (0..num).map(|i| fire(k, i)).collect())
            .collect()
    }

    #[test]
    fn rate_counts_spikes_per_neuron_per_second() {
        // 10 neurons, dt 0.1 ms, every neuron fires every 100 steps (10 ms) -> 100 Hz.
        let s = train(10, 1000, |k, _| k % 100 == 0);
        let r = population_rate(&s, 0.1, 10.0);
        assert_eq!(r.len(), 10);
        assert!(r.iter().all(|&x| (x - 100.0).abs() < 1e-9), "{r:?}");
    }

    #[test]
    fn dominant_frequency_finds_a_40_hz_rhythm() {
        let rate: Vec<f64> = (0..500)
            .map(|t| (2.0 * std::f64::consts::PI * 40.0 * t as f64 / 1000.0).sin() + 3.0)
            .collect();
        let (f, _) = dominant_frequency(&rate, 1.0, 10.0, 200.0).unwrap();
        assert!((f - 40.0).abs() < 1e-9, "{f}");
        assert!(dominant_frequency(&[1.0; 100], 1.0, 1.0, 400.0).is_none());
    }

    #[test]
    fn synchrony_is_one_in_phase_and_low_out_of_phase() {
        let sync = train(5, 2000, |k, _| k % 200 == 0);
        assert!((cross_correlation(&sync, 0.1, 2.0).unwrap() - 1.0).abs() < 1e-12);
        // Neuron i fires 40·i steps after the others: disjoint 2-ms bins -> 0.
        let spread = train(5, 2000, |k, i| k % 200 == 40 * i);
        assert_eq!(cross_correlation(&spread, 0.1, 2.0).unwrap(), 0.0);
        let silent = train(3, 100, |_, _| false);
        assert!(cross_correlation(&silent, 0.1, 2.0).is_none());
    }
}
