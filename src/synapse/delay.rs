//! Synaptic delays (SPEC §4): integer numbers of steps, one for all or one per presynaptic
//! neuron, over a ring buffer of presynaptic spikes that lives in the synapse's state.
//!
//! **Latency rule.** A presynaptic spike emitted in step `s` is first seen by the synapse in
//! step `s + max(1, d)`. The one-step minimum comes from the update order (synapses update
//! before neurons, so without delay they read the previous step's spikes); `d = 0` and `d = 1`
//! therefore behave alike. `delay_step = round(delay_ms / dt)` ([`DelayStep::from_ms`]) gives a
//! latency of `delay_ms`, which is BrainPy 2.4.6's behaviour for its millisecond-valued
//! `delay_step` (BrainPy `delay_step=2` at `dt = 0.1` is brainburn `delay_step = 20`).
//!
//! **Buffer.** The synapse keeps the last `L = max(d)` pushed spike tensors `[rows, pre]`
//! (bool, or float with their surrogate gradient in Training mode) as separate tensors, newest
//! first; after the push of step `k − 1`, slot `m` holds the spikes of step `k − 1 − m`, so delay
//! `d ≥ 1` reads slot `d − 1` (slot 0 is the presynaptic group's current `spike`, which is read
//! directly). Keeping one tensor per step keeps BPTT through delays linear in the number of
//! steps, and Training mode shifts the buffer like every other mode (BrainPy's training-mode
//! buffer never shifts, a bug). `state_dict` sees the buffer as `delay_buffer` of shape
//! `[L, (batch,) ...pre varshape]`, slot 0 first; `reset_state` clears it.

use std::collections::VecDeque;

use burn::tensor::{Bool, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::spikes::Spikes;

/// A delay in steps: one for every presynaptic neuron or one each.
///
/// In files: `delay_step = 20` or `delay_step = [0, 5, 20]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DelayStep {
    /// The same delay for every presynaptic neuron (steps).
    Steps(i64),
    /// One delay per presynaptic neuron (steps).
    PerNeuron(Vec<i64>),
}

/// Read by a visitor rather than `#[serde(untagged)]`: a fractional or quoted delay is
/// refused with a message about steps (not a Rust type name), and a bad element of a list
/// keeps its index in the key path.
impl<'de> Deserialize<'de> for DelayStep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Steps;
        impl<'de> serde::de::Visitor<'de> for Steps {
            type Value = DelayStep;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number of steps or a list of them")
            }
            fn visit_i64<E>(self, x: i64) -> std::result::Result<DelayStep, E> {
                Ok(DelayStep::Steps(x))
            }
            fn visit_u64<E: serde::de::Error>(self, x: u64) -> std::result::Result<DelayStep, E> {
                i64::try_from(x)
                    .map(DelayStep::Steps)
                    .map_err(|_| E::custom(format!("{x} steps is out of range")))
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> std::result::Result<DelayStep, E> {
                Err(E::custom(format!(
                    "a delay counts steps and must be a whole number, got {x} (for a delay in \
                     ms use round(ms / dt))"
                )))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<DelayStep, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = seq.next_element::<i64>()? {
                    v.push(x);
                }
                Ok(DelayStep::PerNeuron(v))
            }
        }
        d.deserialize_any(Steps)
    }
}

fn steps_from_ms(ms: f64, dt: f64) -> Result<i64> {
    crate::dynamics::check_dt(dt)?;
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(Error::arg(
            "delay_step",
            format!("a delay must be a finite number of ms >= 0, got {ms}"),
        ));
    }
    Ok((ms / dt).round() as i64)
}

impl DelayStep {
    /// `round(delay_ms / dt)` steps (a latency of `delay_ms`, see the module docs).
    pub fn from_ms(delay_ms: f64, dt: f64) -> Result<Self> {
        Ok(DelayStep::Steps(steps_from_ms(delay_ms, dt)?))
    }

    /// One `round(delay_ms / dt)` per presynaptic neuron.
    pub fn per_neuron_ms(delay_ms: &[f64], dt: f64) -> Result<Self> {
        Ok(DelayStep::PerNeuron(
            delay_ms
                .iter()
                .map(|&m| steps_from_ms(m, dt))
                .collect::<Result<_>>()?,
        ))
    }

    /// The delay of each of `n_pre` presynaptic neurons, validated.
    fn resolve(&self, n_pre: usize) -> Result<Vec<usize>> {
        let check = |d: i64| -> Result<usize> {
            usize::try_from(d).map_err(|_| {
                Error::arg(
                    "delay_step",
                    format!("a delay must be a number of steps >= 0, got {d}"),
                )
            })
        };
        match self {
            DelayStep::Steps(d) => Ok(vec![check(*d)?; n_pre]),
            DelayStep::PerNeuron(v) => {
                if v.len() != n_pre {
                    return Err(Error::ShapeMismatch {
                        what: "delay_step".into(),
                        expected: vec![n_pre],
                        got: vec![v.len()],
                    });
                }
                v.iter().map(|&d| check(d)).collect()
            }
        }
    }
}

/// How the delayed spikes are read.
#[derive(Clone, Debug)]
enum Read {
    /// Latency one step: the presynaptic group's current spikes.
    Current,
    /// The same slot for everyone.
    Slot(usize),
    /// `(slot, mask [1, pre])` per distinct delay.
    PerNeuron(Vec<(usize, Tensor<2, Bool>)>),
}

/// A delay line with its buffer.
#[derive(Clone, Debug)]
pub(crate) struct Delay {
    read: Read,
    /// The slot each presynaptic neuron reads (host copy).
    slots: Vec<usize>,
    /// Buffer length `L` (0 without buffer).
    len: usize,
    n_pre: usize,
    buffer: VecDeque<Spikes>,
}

impl Delay {
    /// A delay line for `n_pre` presynaptic neurons (`None`: latency one step).
    pub fn new(spec: Option<&DelayStep>, n_pre: usize, ctx: &Ctx) -> Result<Self> {
        let delays = match spec {
            None => vec![0; n_pre],
            Some(s) => s.resolve(n_pre)?,
        };
        // Slot read by delay d (d = 0 and d = 1 both read the current spikes).
        let slots: Vec<usize> = delays.iter().map(|&d| d.max(1) - 1).collect();
        let len = slots
            .iter()
            .copied()
            .max()
            .map_or(0, |m| if m == 0 { 0 } else { m + 1 });
        let read = make_read(&slots, len, ctx);
        Ok(Delay {
            read,
            slots,
            len,
            n_pre,
            buffer: VecDeque::new(),
        })
    }

    /// Re-creates the per-neuron slot masks on `ctx`'s device (the buffer itself is a state
    /// and moves with the states).
    pub fn rebuild_for(&mut self, ctx: &Ctx) {
        self.read = make_read(&self.slots, self.len, ctx);
    }

    /// Buffer length (0 without buffer).
    pub fn len(&self) -> usize {
        self.len
    }

    /// The slot each presynaptic neuron reads (0: the current spikes), for the fused path.
    pub(crate) fn slots(&self) -> &[usize] {
        &self.slots
    }

    /// An empty buffer of `rows` batch rows (bool spikes, or float ones in Training).
    pub fn reset(&mut self, rows: usize, training: bool, ctx: &Ctx) {
        self.buffer.clear();
        for _ in 0..self.len {
            self.buffer
                .push_back(zero_spikes(rows, self.n_pre, training, ctx));
        }
    }

    /// The spikes the synapse sees this step, from the presynaptic group's current `spike`.
    pub fn read(&self, current: &Spikes) -> Spikes {
        let slot = |s: usize| -> Spikes {
            if s == 0 {
                current.clone()
            } else {
                self.buffer[s].clone()
            }
        };
        match &self.read {
            Read::Current => current.clone(),
            Read::Slot(s) => slot(*s),
            Read::PerNeuron(groups) => {
                let [rows, pre] = current.dims();
                let mut out: Option<Spikes> = None;
                for (s, mask) in groups {
                    let m = mask.clone().expand([rows, pre]);
                    let src = slot(*s);
                    out = Some(match out {
                        None => match src {
                            Spikes::Bool(b) => Spikes::Bool(b.bool_and(m)),
                            Spikes::Float(f) => Spikes::Float(f.zeros_like().mask_where(m, f)),
                        },
                        Some(Spikes::Bool(acc)) => {
                            Spikes::Bool(acc.bool_or(src.to_bool().bool_and(m)))
                        }
                        Some(Spikes::Float(acc)) => {
                            let f = src.to_float(acc.dtype());
                            Spikes::Float(acc.mask_where(m, f))
                        }
                    });
                }
                out.expect("a per-neuron delay has at least one group")
            }
        }
    }

    /// Pushes the presynaptic spikes of the step that just ended.
    pub fn push(&mut self, spikes: Spikes) {
        if self.len == 0 {
            return;
        }
        self.buffer.push_front(spikes);
        self.buffer.truncate(self.len);
    }

    /// Cuts the gradient history of the buffered spikes.
    pub fn detach(&mut self) {
        for s in self.buffer.iter_mut() {
            *s = s.detach();
        }
    }

    /// The buffer as data of `L·rows·pre` values (slot 0 first), bool or float like the spikes.
    pub fn to_data(&self) -> Result<TensorData> {
        let r = match self.buffer.front() {
            None => return Err(Error::Backend("empty delay buffer".into())),
            Some(Spikes::Bool(_)) => {
                Tensor::cat(self.buffer.iter().map(Spikes::to_bool).collect(), 0).try_into_data()
            }
            Some(Spikes::Float(f)) => {
                let dtype = f.dtype();
                Tensor::cat(self.buffer.iter().map(|s| s.to_float(dtype)).collect(), 0)
                    .try_into_data()
            }
        };
        r.map_err(|e| Error::Backend(format!("{e:?}")))
    }

    /// Replaces the buffer from `[L, ...]` data holding `rows` rows per slot.
    pub fn load(&mut self, data: TensorData, rows: usize, training: bool, ctx: &Ctx) -> Result<()> {
        let per = rows * self.n_pre;
        if data.num_elements() != self.len * per {
            return Err(Error::ShapeMismatch {
                what: "delay_buffer".into(),
                expected: vec![self.len, rows, self.n_pre],
                got: data.shape().to_vec(),
            });
        }
        let values: Vec<f64> = data
            .try_cast_as::<f64>()
            .and_then(|d| d.try_into_vec::<f64>())
            .map_err(|e| Error::DTypeMismatch {
                what: "delay_buffer".into(),
                expected: "numeric".into(),
                got: format!("{e:?}"),
            })?;
        self.buffer.clear();
        for slot in 0..self.len {
            let chunk = values[slot * per..(slot + 1) * per].to_vec();
            let f = ctx.tensor(chunk, [rows, self.n_pre]);
            self.buffer.push_back(if training {
                Spikes::Float(f)
            } else {
                Spikes::Bool(f.greater_elem(0.0))
            });
        }
        Ok(())
    }
}

/// How `n_pre` neurons reading `slots` of a buffer of length `len` are read, on `ctx`.
fn make_read(slots: &[usize], len: usize, ctx: &Ctx) -> Read {
    let n_pre = slots.len();
    if len == 0 {
        Read::Current
    } else if slots.iter().all(|&s| s == slots[0]) {
        Read::Slot(slots[0])
    } else {
        let mut distinct: Vec<usize> = slots.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        Read::PerNeuron(
            distinct
                .into_iter()
                .map(|slot| {
                    let m: Vec<bool> = slots.iter().map(|&s| s == slot).collect();
                    let t: Tensor<2, Bool> =
                        Tensor::from_data(TensorData::new(m, [1, n_pre]), &ctx.device);
                    (slot, t)
                })
                .collect(),
        )
    }
}

/// No spikes: bool false, or float zeros in Training.
pub(crate) fn zero_spikes(rows: usize, n: usize, training: bool, ctx: &Ctx) -> Spikes {
    let z = ctx.zeros([rows, n]);
    if training {
        Spikes::Float(z)
    } else {
        Spikes::Bool(z.greater_elem(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::DelayStep;

    #[derive(serde::Deserialize, Debug)]
    struct File {
        delay_step: DelayStep,
    }

    fn read(v: &str) -> Result<DelayStep, String> {
        toml::from_str::<File>(&format!("delay_step = {v}"))
            .map(|f| f.delay_step)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn delays_read_as_whole_steps_with_plain_messages() {
        assert_eq!(read("2"), Ok(DelayStep::Steps(2)));
        assert_eq!(read("[0, 5]"), Ok(DelayStep::PerNeuron(vec![0, 5])));
        let frac = read("1.5").unwrap_err();
        assert!(frac.contains("whole number"), "{frac}");
        let quoted = read("\"2\"").unwrap_err();
        assert!(quoted.contains("whole number of steps"), "{quoted}");
        assert!(!quoted.contains("DelayStep"), "{quoted}");
        assert!(read("[1, 2.5]").is_err());
    }
}
