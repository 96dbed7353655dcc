//! BrainPy's input-current helpers (`brainpy.inputs`, 2.4.6) as [`InputValue`] constructors.
//!
//! Each builds the same `[steps, width]` array as BrainPy and returns it as
//! [`InputValue::PerStep`] (one row per step, one value or one per neuron; a [`Runner`] holds
//! the last row after the end, and every helper but a ramp to the end finishes on zeros, so a
//! run longer than the array sees no input, as BrainPy's zero padding would give). The lengths,
//! roundings and slices are BrainPy's source (`brainpy/_src/inputs/currents.py`), in float64
//! (BrainPy with `bm.enable_x64()`; its float32 default rounds the same values to float32):
//!
//! | helper | rows | filled |
//! |---|---|---|
//! | [`section_input`](InputValue::section_input), [`constant_input`](InputValue::constant_input) | ⌈Σ durations / dt⌉ | section *k*: ⌊d_k / dt⌋ rows in turn, then zeros |
//! | [`spike_input`](InputValue::spike_input) | ⌈duration / dt⌉ | `[⌊t/dt⌋, ⌊t/dt⌋ + ⌊len/dt⌋)` per spike, later spikes overwrite |
//! | [`ramp_input`](InputValue::ramp_input) | ⌈duration / dt⌉ | `[⌈t_start/dt⌉, ⌈t_end/dt⌉)`: JAX's `linspace(c_start, c_end, p2 − p1)` |
//! | [`wiener_process`](InputValue::wiener_process) | ⌊duration / dt⌋ | `[⌊t_start/dt⌋, ⌊t_end/dt⌋)`: N(0, 1)·√dt |
//! | [`ou_process`](InputValue::ou_process) | ⌊duration / dt⌋ | one step per `arange(t_start, t_end, dt)`: `x += dt (μ − x)/τ + σ √dt ξ` |
//! | [`sinusoidal_input`](InputValue::sinusoidal_input) | ⌊duration / dt⌋ | `[⌊t_start/dt⌋, ⌊t_end/dt⌋)`: `A sin(2π f t / 1000)` (+ A with bias), `t = 0, dt, …` |
//! | [`square_input`](InputValue::square_input) | ⌊duration / dt⌋ | the same window: `A` on the first half of each period, `−A` on the second (+ A with bias) |
//!
//! Where BrainPy's source and its docstrings differ, the source is followed:
//! * `ou_process` draws its increments ξ from the uniform distribution on [0, 1)
//!   (`rng.rand(n)`), not the normal one its formula shows; the process therefore drifts to
//!   `μ + τ σ / (2 √dt)`. [`OuNoise::Uniform`] is that behaviour, [`OuNoise::Normal`] the
//!   textbook process the docstring describes.
//! * `sinusoidal_input` and `square_input` fill `⌊t_end/dt⌋ − ⌊t_start/dt⌋` rows with
//!   `⌈(t_end − t_start)/dt⌉` values; where the two differ (dt = 0.3 over 100 ms) BrainPy
//!   raises a shape error, and so do these (naming `dt`).
//! * `ou_process` without `t_end` fails in BrainPy 2.4.6 (the default is applied after the
//!   loop over `arange(t_start, None, dt)`); here `t_end = None` means the whole duration, as
//!   documented.
//!
//! The random helpers take a seed and draw from [`rand`]'s `StdRng`, not JAX's generator: the
//! same seed gives the same array on every backend and run, but not BrainPy's numbers.
//!
//! Every argument is checked: a non-finite or negative time, `dt ≤ 0`, values that are not
//! finite, lengths that do not match and windows beyond the duration are errors naming the
//! argument (BrainPy would index from the end for a negative time, or fail on a shape).
//!
//! [`Runner`]: crate::runner::Runner

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::error::{Error, Result};
use crate::runner::InputValue;

/// The increments ξ of [`InputValue::ou_process`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OuNoise {
    /// Uniform on [0, 1): what BrainPy 2.4.6's `ou_process` draws (`rng.rand`).
    #[default]
    Uniform,
    /// Standard normal: the Ornstein–Uhlenbeck process of the formula.
    Normal,
}

/// `dt` positive and finite.
fn check_dt(dt: f64) -> Result<f64> {
    crate::dynamics::check_dt(dt)
}

/// A finite time (or duration) that is not negative.
fn check_time(name: &str, t: f64) -> Result<f64> {
    if t.is_finite() && t >= 0.0 {
        Ok(t)
    } else {
        Err(Error::arg(
            name,
            format!("must be a finite, non-negative time in ms, got {t}"),
        ))
    }
}

/// A finite value.
fn check_value(name: &str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::arg(name, format!("must be finite, got {x}")))
    }
}

/// Python's `int(x)` of a non-negative finite float.
fn int(x: f64) -> usize {
    x.trunc() as usize
}

/// `int(np.ceil(x))` of a non-negative finite float.
fn ceil(x: f64) -> usize {
    x.ceil() as usize
}

/// `t_start` and `t_end` (default: the duration) as checked times, with the window's first and
/// last rows by `round` (Python's `int` or `ceil` of `t / dt`); an error where the window ends
/// before it starts or after the array's `rows`.
fn window_rows(
    t_start: f64,
    t_end: Option<f64>,
    duration: f64,
    dt: f64,
    rows: usize,
    round: fn(f64) -> usize,
) -> Result<(f64, f64, usize, usize)> {
    let t_start = check_time("t_start", t_start)?;
    let t_end = check_time("t_end", t_end.unwrap_or(duration))?;
    let (first, last) = (round(t_start / dt), round(t_end / dt));
    if t_end < t_start || last < first {
        return Err(Error::arg(
            "t_end",
            format!("must not be before t_start = {t_start} ms, got {t_end} ms"),
        ));
    }
    if last > rows {
        return Err(Error::arg(
            "t_end",
            format!("{t_end} ms ends after the duration {duration} ms (dt {dt} ms)"),
        ));
    }
    Ok((t_start, t_end, first, last))
}

/// The window `[⌊t_start/dt⌋, ⌊t_end/dt⌋)` of the `⌊duration/dt⌋`-row arrays.
fn window(t_start: f64, t_end: Option<f64>, duration: f64, dt: f64) -> Result<(f64, f64)> {
    let (t_start, t_end, _, _) =
        window_rows(t_start, t_end, duration, dt, int(duration / dt), int)?;
    Ok((t_start, t_end))
}

/// The most values (steps × values per step) one input helper builds: 2²⁸ float64, 2 GiB.
pub const MAX_INPUT_VALUES: usize = 1 << 28;

/// `rows` steps of `width` zeros, or an error naming `arg` (the duration that asked for them)
/// where they would pass [`MAX_INPUT_VALUES`] (a huge duration or a tiny `dt` would otherwise
/// abort on the allocation).
fn zeros(rows: usize, width: usize, arg: &str, dt: f64) -> Result<Vec<Vec<f64>>> {
    match rows.checked_mul(width) {
        Some(n) if n <= MAX_INPUT_VALUES => Ok(vec![vec![0.0; width]; rows]),
        _ => Err(Error::arg(
            arg,
            format!(
                "asks for {rows} steps of dt = {dt} ms with {width} value(s) each, more than \
                 the {MAX_INPUT_VALUES} values an input helper builds; shorten it or raise dt"
            ),
        )),
    }
}

/// `arange(0, span, dt)`'s values (numpy: `i·dt` for `i < ⌈span/dt⌉`), checked against the
/// `rows` of BrainPy's window.
fn arange_into(span: f64, dt: f64, rows: usize, helper: &str) -> Result<Vec<f64>> {
    let n = ceil(span / dt);
    if n != rows {
        return Err(Error::arg(
            "dt",
            format!(
                "{helper}: {n} time points of arange(0, t_end - t_start, dt) do not fill the \
                 {rows} rows [int(t_start/dt), int(t_end/dt)) (BrainPy raises the same shape \
                 error); choose dt dividing the window"
            ),
        ));
    }
    Ok((0..n).map(|i| i as f64 * dt).collect())
}

/// The values of one section: one, or one per neuron; all sections of one input share the
/// per-neuron width (a single value broadcasts, as in BrainPy).
fn section_width<'a>(values: impl Iterator<Item = &'a [f64]>) -> Result<usize> {
    let mut width = 1;
    for (k, v) in values.enumerate() {
        if v.is_empty() {
            return Err(Error::arg(
                format!("values[{k}]"),
                "needs one value or one per neuron, got none",
            ));
        }
        for x in v {
            check_value(&format!("values[{k}]"), *x)?;
        }
        if v.len() != 1 {
            if width != 1 && width != v.len() {
                return Err(Error::ShapeMismatch {
                    what: format!("values[{k}]"),
                    expected: vec![width],
                    got: vec![v.len()],
                });
            }
            width = v.len();
        }
    }
    Ok(width)
}

/// BrainPy's section filling, shared by `section_input` and `constant_input`.
fn sections(values: &[&[f64]], durations: &[f64], dt: f64) -> Result<(Vec<Vec<f64>>, f64)> {
    let dt = check_dt(dt)?;
    if values.len() != durations.len() {
        return Err(Error::arg(
            "values",
            format!(
                "values and durations must be the same length, got {} != {}",
                values.len(),
                durations.len()
            ),
        ));
    }
    let width = section_width(values.iter().copied())?;
    let mut total = 0.0;
    for (k, d) in durations.iter().enumerate() {
        total += check_time(&format!("durations[{k}]"), *d)?;
    }
    let mut rows = zeros(ceil(total / dt), width, "durations", dt)?;
    let mut start = 0usize;
    for (v, d) in values.iter().zip(durations) {
        let len = int(d / dt);
        let end = start.saturating_add(len).min(rows.len());
        for row in &mut rows[start.min(end)..end] {
            for (j, x) in row.iter_mut().enumerate() {
                *x = if v.len() == 1 { v[0] } else { v[j] };
            }
        }
        start = start.saturating_add(len);
    }
    Ok((rows, total))
}

/// A non-empty array as an input.
fn per_step(rows: Vec<Vec<f64>>, what: &str) -> Result<InputValue> {
    if rows.is_empty() {
        return Err(Error::arg(
            "duration",
            format!("{what} of no step: the duration is shorter than dt"),
        ));
    }
    Ok(InputValue::PerStep(rows))
}

impl InputValue {
    /// `brainpy.inputs.section_input(values, durations, dt)`: `values[k]` (one value or one
    /// per neuron) for `durations[k]` ms, in turn.
    ///
    /// ```
    /// # use brainburn::prelude::*;
    /// let i = InputValue::section_input(&[[0.0], [1.0]], &[100.0, 100.0], 0.1).unwrap();
    /// assert!(matches!(i, InputValue::PerStep(rows) if rows.len() == 2000 && rows[1000] == [1.0]));
    /// ```
    pub fn section_input<V: AsRef<[f64]>>(
        values: &[V],
        durations: &[f64],
        dt: f64,
    ) -> Result<InputValue> {
        let values: Vec<&[f64]> = values.iter().map(AsRef::as_ref).collect();
        let (rows, _) = sections(&values, durations, dt)?;
        per_step(rows, "section_input")
    }

    /// `brainpy.inputs.constant_input([(value, duration), ...], dt)`: the same array as
    /// [`InputValue::section_input`], with the total duration (ms), as BrainPy returns it.
    pub fn constant_input<V: AsRef<[f64]>>(
        value_and_duration: &[(V, f64)],
        dt: f64,
    ) -> Result<(InputValue, f64)> {
        let values: Vec<&[f64]> = value_and_duration.iter().map(|(v, _)| v.as_ref()).collect();
        let durations: Vec<f64> = value_and_duration.iter().map(|(_, d)| *d).collect();
        let (rows, total) = sections(&values, &durations, dt)?;
        Ok((per_step(rows, "constant_input")?, total))
    }

    /// `brainpy.inputs.spike_input(sp_times, sp_lens, sp_sizes, duration, dt)`: a current of
    /// `sp_sizes[k]` for `sp_lens[k]` ms from each `sp_times[k]` (ms); `sp_lens` and
    /// `sp_sizes` give one value for every spike or one per spike.
    pub fn spike_input(
        sp_times: &[f64],
        sp_lens: &[f64],
        sp_sizes: &[f64],
        duration: f64,
        dt: f64,
    ) -> Result<InputValue> {
        let dt = check_dt(dt)?;
        let duration = check_time("duration", duration)?;
        let per_spike = |name: &str, v: &[f64]| -> Result<()> {
            if v.len() == 1 || v.len() == sp_times.len() {
                Ok(())
            } else {
                Err(Error::ShapeMismatch {
                    what: format!("{name} (one value, or one per spike time)"),
                    expected: vec![sp_times.len()],
                    got: vec![v.len()],
                })
            }
        };
        per_spike("sp_lens", sp_lens)?;
        per_spike("sp_sizes", sp_sizes)?;
        let mut rows = zeros(ceil(duration / dt), 1, "duration", dt)?;
        for (k, t) in sp_times.iter().enumerate() {
            let t = check_time(&format!("sp_times[{k}]"), *t)?;
            let len = check_time(
                &format!("sp_lens[{k}]"),
                sp_lens[if sp_lens.len() == 1 { 0 } else { k }],
            )?;
            let size = check_value(
                &format!("sp_sizes[{k}]"),
                sp_sizes[if sp_sizes.len() == 1 { 0 } else { k }],
            )?;
            let start = int(t / dt).min(rows.len());
            let end = start.saturating_add(int(len / dt)).min(rows.len());
            for row in &mut rows[start..end] {
                row[0] = size;
            }
        }
        per_step(rows, "spike_input")
    }

    /// `brainpy.inputs.ramp_input(c_start, c_end, duration, t_start, t_end, dt)`: zero, then
    /// a linear ramp from `c_start` to `c_end` over `[t_start, t_end)` (`t_end` defaults to
    /// the duration), then zero.
    pub fn ramp_input(
        c_start: f64,
        c_end: f64,
        duration: f64,
        t_start: f64,
        t_end: Option<f64>,
        dt: f64,
    ) -> Result<InputValue> {
        let dt = check_dt(dt)?;
        let c_start = check_value("c_start", c_start)?;
        let c_end = check_value("c_end", c_end)?;
        let duration = check_time("duration", duration)?;
        let mut rows = zeros(ceil(duration / dt), 1, "duration", dt)?;
        let (_, _, p1, p2) = window_rows(t_start, t_end, duration, dt, rows.len(), ceil)?;
        // JAX's linspace: start·(1 − i/div) + stop·(i/div) for i < div, then stop itself.
        let num = p2 - p1;
        for (i, row) in rows[p1..p2].iter_mut().enumerate() {
            row[0] = if num == 1 {
                c_start
            } else if i == num - 1 {
                c_end
            } else {
                let step = i as f64 / (num - 1) as f64;
                c_start * (1.0 - step) + c_end * step
            };
        }
        per_step(rows, "ramp_input")
    }

    /// `brainpy.inputs.wiener_process(duration, dt, n, t_start, t_end, seed)`: `n` independent
    /// increments N(0, 1)·√dt per step over `[t_start, t_end)`, zero elsewhere.
    pub fn wiener_process(
        duration: f64,
        dt: f64,
        n: usize,
        t_start: f64,
        t_end: Option<f64>,
        seed: u64,
    ) -> Result<InputValue> {
        let dt = check_dt(dt)?;
        let duration = check_time("duration", duration)?;
        if n == 0 {
            return Err(Error::arg("n", "needs at least one variable"));
        }
        let (t_start, t_end) = window(t_start, t_end, duration, dt)?;
        let mut rows = zeros(int(duration / dt), n, "duration", dt)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let sqrt_dt = dt.sqrt();
        for row in &mut rows[int(t_start / dt)..int(t_end / dt)] {
            for x in row.iter_mut() {
                let z: f64 = rng.sample(StandardNormal);
                *x = z * sqrt_dt;
            }
        }
        per_step(rows, "wiener_process")
    }

    /// `brainpy.inputs.ou_process(mean, sigma, tau, duration, dt, n, t_start, t_end, seed)`:
    /// `n` Ornstein–Uhlenbeck processes started at `mean`, stepped once per time point of
    /// `arange(t_start, t_end, dt)` with `x ← x + dt (mean − x)/tau + sigma √dt ξ`, over
    /// `[⌊t_start/dt⌋, ⌊t_end/dt⌋)`; ξ as `noise` says ([`OuNoise::Uniform`] is BrainPy
    /// 2.4.6's, see the module docs).
    #[allow(clippy::too_many_arguments)]
    pub fn ou_process(
        mean: f64,
        sigma: f64,
        tau: f64,
        duration: f64,
        dt: f64,
        n: usize,
        t_start: f64,
        t_end: Option<f64>,
        seed: u64,
        noise: OuNoise,
    ) -> Result<InputValue> {
        let dt = check_dt(dt)?;
        let mean = check_value("mean", mean)?;
        let sigma = check_value("sigma", sigma)?;
        if !(tau.is_finite() && tau > 0.0) {
            return Err(Error::arg(
                "tau",
                format!("must be a positive time in ms, got {tau}"),
            ));
        }
        let duration = check_time("duration", duration)?;
        if n == 0 {
            return Err(Error::arg("n", "needs at least one variable"));
        }
        let (t_start, t_end) = window(t_start, t_end, duration, dt)?;
        let (i0, i1) = (int(t_start / dt), int(t_end / dt));
        // One step per element of arange(t_start, t_end, dt): ⌈(t_end − t_start)/dt⌉.
        let steps = ceil((t_end - t_start) / dt);
        if steps != i1 - i0 {
            return Err(Error::arg(
                "dt",
                format!(
                    "ou_process: {steps} steps of arange(t_start, t_end, dt) do not fill the \
                     {} rows [int(t_start/dt), int(t_end/dt)) (BrainPy raises the same shape \
                     error); choose dt dividing the window",
                    i1 - i0
                ),
            ));
        }
        let mut rows = zeros(int(duration / dt), n, "duration", dt)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let sqrt_dt = dt.sqrt();
        let mut x = vec![mean; n];
        for row in &mut rows[i0..i1] {
            for (xj, out) in x.iter_mut().zip(row.iter_mut()) {
                let xi: f64 = match noise {
                    OuNoise::Uniform => rng.random::<f64>(),
                    OuNoise::Normal => rng.sample(StandardNormal),
                };
                *xj = *xj + dt * ((mean - *xj) / tau) + sigma * sqrt_dt * xi;
                *out = *xj;
            }
        }
        per_step(rows, "ou_process")
    }

    /// `brainpy.inputs.sinusoidal_input(amplitude, frequency, duration, dt, t_start, t_end,
    /// bias)`: `amplitude · sin(2π · frequency(Hz) · t / 1000)` from `t = 0` at `t_start`, plus
    /// `amplitude` with `bias` (never negative), over `[t_start, t_end)`.
    #[allow(clippy::too_many_arguments)]
    pub fn sinusoidal_input(
        amplitude: f64,
        frequency: f64,
        duration: f64,
        dt: f64,
        t_start: f64,
        t_end: Option<f64>,
        bias: bool,
    ) -> Result<InputValue> {
        Self::periodic(
            "sinusoidal_input",
            amplitude,
            frequency,
            duration,
            dt,
            t_start,
            t_end,
            bias,
            f64::sin,
        )
    }

    /// `brainpy.inputs.square_input(amplitude, frequency, duration, dt, bias, t_start, t_end)`:
    /// `amplitude` on the first half of each period of `frequency` (Hz) and `−amplitude` on
    /// the second (scipy's `square` with duty 0.5, as BrainPy copies it), plus `amplitude` with
    /// `bias`, over `[t_start, t_end)`.
    #[allow(clippy::too_many_arguments)]
    pub fn square_input(
        amplitude: f64,
        frequency: f64,
        duration: f64,
        dt: f64,
        bias: bool,
        t_start: f64,
        t_end: Option<f64>,
    ) -> Result<InputValue> {
        Self::periodic(
            "square_input",
            amplitude,
            frequency,
            duration,
            dt,
            t_start,
            t_end,
            bias,
            square,
        )
    }

    /// The sinusoid and the square wave: `wave(2π f t / 1000)` on BrainPy's window.
    #[allow(clippy::too_many_arguments)]
    fn periodic(
        helper: &str,
        amplitude: f64,
        frequency: f64,
        duration: f64,
        dt: f64,
        t_start: f64,
        t_end: Option<f64>,
        bias: bool,
        wave: fn(f64) -> f64,
    ) -> Result<InputValue> {
        let dt = check_dt(dt)?;
        let amplitude = check_value("amplitude", amplitude)?;
        let frequency = check_value("frequency", frequency)?;
        let duration = check_time("duration", duration)?;
        let (t_start, t_end) = window(t_start, t_end, duration, dt)?;
        let (i0, i1) = (int(t_start / dt), int(t_end / dt));
        let mut rows = zeros(int(duration / dt), 1, "duration", dt)?;
        let times = arange_into(t_end - t_start, dt, i1 - i0, helper)?;
        for (row, t) in rows[i0..i1].iter_mut().zip(times) {
            let mut v = amplitude * wave(2.0 * std::f64::consts::PI * t * (frequency / 1000.0));
            if bias {
                v += amplitude;
            }
            row[0] = v;
        }
        per_step(rows, helper)
    }
}

/// scipy's `square(t, duty=0.5)`: 1 where `t mod 2π < π`, else −1 (numpy's `mod`: the result
/// has the divisor's sign).
fn square(t: f64) -> f64 {
    let two_pi = 2.0 * std::f64::consts::PI;
    let m = t.rem_euclid(two_pi);
    if m < 0.5 * two_pi { 1.0 } else { -1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(i: InputValue) -> Vec<Vec<f64>> {
        match i {
            InputValue::PerStep(r) => r,
            other => panic!("not per-step: {other:?}"),
        }
    }

    #[test]
    fn sections_truncate_each_length_and_round_the_total_up() {
        // 0.3 / 0.1 = 2.9999999999999996 in float64: two rows, as Python's int() gives.
        let r = rows(
            InputValue::section_input(
                &[vec![0.5], vec![1.0], vec![2.0, 3.0]],
                &[0.25, 0.3, 0.2],
                0.1,
            )
            .unwrap(),
        );
        let want: Vec<Vec<f64>> = [
            [0.5, 0.5],
            [0.5, 0.5],
            [1.0, 1.0],
            [1.0, 1.0],
            [2.0, 3.0],
            [2.0, 3.0],
            [0.0, 0.0],
            [0.0, 0.0],
        ]
        .iter()
        .map(|r| r.to_vec())
        .collect();
        assert_eq!(r, want);
    }

    #[test]
    fn bad_arguments_name_themselves() {
        let e = InputValue::section_input(&[[1.0]], &[1.0, 2.0], 0.1).unwrap_err();
        assert!(e.to_string().contains("`values`"), "{e}");
        let e = InputValue::section_input(&[[f64::NAN]], &[1.0], 0.1).unwrap_err();
        assert!(e.to_string().contains("values[0]"), "{e}");
        let e = InputValue::section_input(&[[1.0]], &[-1.0], 0.1).unwrap_err();
        assert!(e.to_string().contains("durations[0]"), "{e}");
        let e = InputValue::section_input(&[[1.0]], &[1.0], 0.0).unwrap_err();
        assert!(e.to_string().contains("`dt`"), "{e}");
        let e = InputValue::spike_input(&[1.0, -2.0], &[1.0], &[1.0], 10.0, 0.1).unwrap_err();
        assert!(e.to_string().contains("sp_times[1]"), "{e}");
        let e =
            InputValue::spike_input(&[1.0, 2.0], &[1.0, 1.0, 1.0], &[1.0], 10.0, 0.1).unwrap_err();
        assert!(e.to_string().contains("sp_lens"), "{e}");
        let e = InputValue::ramp_input(0.0, 1.0, 10.0, 0.0, Some(11.0), 0.1).unwrap_err();
        assert!(e.to_string().contains("`t_end`"), "{e}");
        let e = InputValue::sinusoidal_input(1.0, 10.0, 100.0, 0.3, 0.0, None, false).unwrap_err();
        assert!(e.to_string().contains("`dt`"), "{e}");
        let e = InputValue::wiener_process(10.0, 0.1, 0, 0.0, None, 1).unwrap_err();
        assert!(e.to_string().contains("`n`"), "{e}");
        let e = InputValue::ou_process(0.0, 1.0, 0.0, 10.0, 0.1, 1, 0.0, None, 1, OuNoise::Normal)
            .unwrap_err();
        assert!(e.to_string().contains("`tau`"), "{e}");
        let e = InputValue::spike_input(&[1.0], &[1.0], &[1.0], 0.01, 0.1);
        assert!(e.is_ok(), "one step: ceil(0.1)");
        let e = InputValue::wiener_process(0.05, 0.1, 1, 0.0, None, 1).unwrap_err();
        assert!(e.to_string().contains("`duration`"), "{e}");
    }

    #[test]
    fn oversized_arrays_are_errors_naming_their_duration() {
        let huge = |e: Error, arg: &str| {
            let m = e.to_string();
            assert!(
                m.contains(&format!("`{arg}`")) && m.contains("more than"),
                "{m}"
            );
        };
        let s = InputValue::section_input(&[[1.0]], &[1e20], 0.1).unwrap_err();
        huge(s, "durations");
        let c = InputValue::constant_input(&[([1.0], 1.0), ([2.0], 1e30)], 0.1).unwrap_err();
        huge(c, "durations");
        let sp = InputValue::spike_input(&[1.0], &[1.0], &[1.0], 1e300, 0.1).unwrap_err();
        huge(sp, "duration");
        let r = InputValue::ramp_input(0.0, 1.0, 1e20, 0.0, None, 1e-3).unwrap_err();
        huge(r, "duration");
        let w = InputValue::wiener_process(1e6, 0.1, 10_000, 0.0, None, 1).unwrap_err();
        huge(w, "duration");
        let ou = InputValue::ou_process(
            0.0,
            1.0,
            10.0,
            1e20,
            0.1,
            1,
            0.0,
            Some(1.0),
            1,
            OuNoise::Uniform,
        )
        .unwrap_err();
        huge(ou, "duration");
        let sin = InputValue::sinusoidal_input(1.0, 10.0, 1e20, 0.1, 0.0, None, false).unwrap_err();
        huge(sin, "duration");
        // Wide but short inputs are not refused.
        let ok = InputValue::wiener_process(1.0, 0.1, 1000, 0.0, None, 1);
        assert!(ok.is_ok());
        // A spike far longer than the run ends with the run (no overflow of the row index).
        let long = rows(InputValue::spike_input(&[0.5], &[1e300], &[2.0], 1.0, 0.1).unwrap());
        assert_eq!(long.iter().filter(|r| r[0] == 2.0).count(), 5);
    }

    #[test]
    fn later_spikes_overwrite_and_windows_clip_at_the_end() {
        let r = rows(
            InputValue::spike_input(&[0.2, 0.3, 0.9], &[0.2], &[1.0, 2.0, 3.0], 1.0, 0.1).unwrap(),
        );
        let v: Vec<f64> = r.iter().map(|r| r[0]).collect();
        // int(0.3/0.1) = 2 and int(0.9/0.1) = 9 (9.000000000000002): the second spike
        // overwrites the first, the third is clipped to the last row.
        assert_eq!(v, [0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0]);
    }

    #[test]
    fn square_wave_is_scipys_with_duty_one_half() {
        assert_eq!(square(0.0), 1.0);
        assert_eq!(square(3.0), 1.0);
        assert_eq!(square(3.2), -1.0);
        assert_eq!(square(-0.1), -1.0);
        assert_eq!(square(2.0 * std::f64::consts::PI + 0.1), 1.0);
    }

    /// The two OU increments: the uniform one (BrainPy 2.4.6) drifts to μ + τσ/(2√dt), the
    /// normal one stays at μ with variance σ²τ/2 (the Euler–Maruyama stationary variance
    /// σ²τ/(2 − dt/τ)). 200 processes × 8000 steps after a burn-in of 10 τ (the start's offset
    /// decays to e⁻¹⁰); the bounds are five standard errors of the sample mean (lag-one
    /// correlation 1 − dt/τ: 8000·(dt/τ)/(2 − dt/τ) ≈ 40 effective samples per process) and
    /// 5 % on the variance (its relative standard error is √(2/8000) ≈ 1.6 %).
    #[test]
    fn ou_increments_give_the_stationary_statistics() {
        let (mean, sigma, tau, dt) = (0.5, 0.2, 10.0, 0.1);
        for noise in [OuNoise::Uniform, OuNoise::Normal] {
            let r = rows(
                InputValue::ou_process(mean, sigma, tau, 900.0, dt, 200, 0.0, None, 7, noise)
                    .unwrap(),
            );
            assert_eq!(r.len(), 9000);
            let xs: Vec<f64> = r[1000..].iter().flatten().copied().collect();
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
            let (xi_mean, xi_var) = match noise {
                OuNoise::Uniform => (0.5, 1.0 / 12.0),
                OuNoise::Normal => (0.0, 1.0),
            };
            let want_m = mean + tau * sigma * xi_mean / dt.sqrt();
            let want_var = sigma * sigma * xi_var * tau / (2.0 - dt / tau);
            let se = (want_var / (200.0 * 40.0)).sqrt();
            assert!(
                (m - want_m).abs() < 5.0 * se,
                "{noise:?}: mean {m} vs {want_m}"
            );
            assert!(
                (var / want_var - 1.0).abs() < 0.05,
                "{noise:?}: variance {var} vs {want_var}"
            );
        }
    }
}
