//! The finite-state check of a run ([`Runner::check_finite`](crate::runner::Runner::check_finite)):
//! the first NaN or infinite state stops the run with an [`Error::NonFinite`] naming the
//! member, the state, the element, the step and the time, with a hint at the likely cause.
//!
//! The fused host engine scans every float state after every step (one pass over the states,
//! exact step); the composed-op path reads back one reduction per float state every
//! [`COMPOSED_CHECK_EVERY`] steps (and after the last step), so there the error names the step
//! at which the value was seen and the last step at which every state was still finite.

use crate::error::{Error, Result};
use crate::fused::HostFloat;
use crate::state::StateTensor;

/// On the composed path, states are checked every this many steps (a device read-back each).
pub const COMPOSED_CHECK_EVERY: u64 = 64;

/// The index of the first NaN or infinite value of `v`, if any (a branch-free pass first:
/// `x − x` is 0 for every finite `x` and NaN otherwise).
#[inline]
pub fn first_non_finite<E: HostFloat>(v: &[E]) -> Option<usize> {
    let zero = E::of(0.0);
    let mut acc = [zero; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            #[allow(clippy::eq_op)] // x − x: 0 when finite, NaN otherwise
            {
                *a += x - x;
            }
        }
    }
    let mut tail = zero;
    for &x in chunks.remainder() {
        #[allow(clippy::eq_op)] // as above
        {
            tail += x - x;
        }
    }
    let all = acc.iter().fold(tail, |a, &x| a + x);
    if all == zero {
        return None;
    }
    v.iter().position(|x| !x.to_f64().is_finite())
}

/// The likely causes of a non-finite state of `member`, for the error message.
pub fn hint(member: &str, dt: f64) -> String {
    format!(
        "likely causes: dt = {dt} ms is too large for the integration method (`euler` is the \
         least stable: try `exp_auto` or `rk4`, or a smaller dt), or a parameter or input of \
         `{member}` makes it unstable (a very large conductance or input, a tiny time constant)"
    )
}

/// Where a non-finite value was seen.
pub(crate) struct Found {
    pub member: String,
    pub state: String,
    /// Flat index into `rows × num`.
    pub flat: usize,
    pub num: usize,
    pub rows: usize,
    pub value: f64,
}

impl Found {
    /// The error for a value seen after step `step`; `last_finite` is the last step at which
    /// every state was checked and finite, when the check is not every step.
    pub fn into_error(self, step: u64, dt: f64, last_finite: Option<Option<u64>>) -> Error {
        let num = self.num.max(1);
        Error::NonFinite(Box::new(crate::error::NonFiniteState {
            hint: hint(&self.member, dt),
            member: self.member,
            state: self.state,
            index: self.flat % num,
            row: (self.rows > 1).then_some(self.flat / num),
            value: self.value,
            step,
            t_ms: step as f64 * dt,
            checked: match last_finite {
                None => String::new(),
                Some(Some(k)) => format!(
                    " (states are checked every {COMPOSED_CHECK_EVERY} steps on this path; all \
                     were finite after step {k})"
                ),
                Some(None) => format!(
                    " (states are checked every {COMPOSED_CHECK_EVERY} steps on this path; this \
                     is the first check of the run)"
                ),
            },
        }))
    }
}

/// Checks one state tensor of the composed path (one read-back; the whole state only when it
/// holds a non-finite value).
pub(crate) fn check_tensor(member: &str, key: &str, state: &StateTensor) -> Result<Option<Found>> {
    let StateTensor::Float(t) = state else {
        return Ok(None);
    };
    let [rows, num] = t.dims();
    let bad = t.clone() - t.clone();
    let any = crate::tensor_io::to_bool_vec(bad.is_nan().any())?;
    if !any.first().copied().unwrap_or(false) {
        return Ok(None);
    }
    let v = crate::tensor_io::to_f64_vec(t.clone())?;
    Ok(v.iter().position(|x| !x.is_finite()).map(|flat| Found {
        member: member.to_string(),
        state: key.to_string(),
        flat,
        num,
        rows,
        value: v[flat],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_nan_or_infinity_anywhere() {
        for n in [0usize, 1, 7, 8, 9, 31, 100] {
            let v = vec![1.5f64; n];
            assert_eq!(first_non_finite(&v), None, "n = {n}");
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                for at in 0..n {
                    let mut w = v.clone();
                    w[at] = bad;
                    if at + 1 < n {
                        w[n - 1] = bad;
                    }
                    assert_eq!(first_non_finite(&w), Some(at), "n = {n}, at = {at}");
                    let w32: Vec<f32> = w.iter().map(|&x| x as f32).collect();
                    assert_eq!(first_non_finite(&w32), Some(at), "f32 n = {n}, at = {at}");
                }
            }
        }
        assert_eq!(first_non_finite(&[f32::MAX, f32::MIN, 0.0]), None);
        assert_eq!(first_non_finite(&[f64::MAX, -f64::MAX, 1e-300]), None);
    }

    #[test]
    fn the_error_names_step_time_member_state_and_index() {
        let f = Found {
            member: "hh".into(),
            state: "V".into(),
            flat: 7,
            num: 5,
            rows: 2,
            value: f64::NAN,
        };
        let msg = f.into_error(9, 0.1, None).to_string();
        for part in [
            "`hh.V`",
            "index 2",
            "batch row 1",
            "step 9",
            "t = 0.9",
            "euler",
        ] {
            assert!(msg.contains(part), "{part} missing from: {msg}");
        }
    }
}
