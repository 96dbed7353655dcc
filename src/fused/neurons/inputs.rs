//! The input groups on the host: the same host rules as their composed-path `update`, without
//! the upload of the spikes.

use std::marker::PhantomData;

use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::fused::host::{HostFloat, HostGroup, HostSlice, read_spikes};
use crate::integrate::noise::step_uniforms;

/// Host kernel of [`crate::neuron::SpikeTimeGroup`].
pub struct SpikeTimeKernel<E> {
    rows: usize,
    num: usize,
    /// `(time, index)`, sorted by time.
    events: Vec<(f64, usize)>,
    spike: Vec<bool>,
    _e: PhantomData<E>,
}

impl<E: HostFloat> SpikeTimeKernel<E> {
    /// From the group's core (state `spike`) and its events sorted by time.
    pub fn new(core: &Core, events: &[(f64, usize)]) -> Result<Self> {
        let [rows, num] = core.states.get("spike").dims();
        Ok(SpikeTimeKernel {
            rows,
            num,
            events: events.to_vec(),
            spike: read_spikes(core, "spike")?,
            _e: PhantomData,
        })
    }
}

impl<E: HostFloat> HostGroup<E> for SpikeTimeKernel<E> {
    fn update(&mut self, ts: &StepTime, _input: &[E]) {
        // Events with t_{k−1} < time ≤ t_k (every time ≤ t_0 at k = 0), in every batch row.
        self.spike.fill(false);
        let lo = if ts.i == 0 {
            f64::NEG_INFINITY
        } else {
            (ts.i - 1) as f64 * ts.dt
        };
        let start = self.events.partition_point(|e| e.0 <= lo);
        for &(time, idx) in &self.events[start..] {
            if time > ts.t {
                break;
            }
            for r in 0..self.rows {
                self.spike[r * self.num + idx] = true;
            }
        }
    }
    fn spike(&self) -> Option<&[bool]> {
        Some(&self.spike)
    }
    fn v(&self) -> Option<&[E]> {
        None
    }
    fn v_mut(&mut self) -> Option<&mut [E]> {
        None
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        (key == "spike").then_some(HostSlice::b(&self.spike))
    }
}

/// Host kernel of [`crate::neuron::PoissonGroup`].
pub struct PoissonKernel<E> {
    num: usize,
    freqs: Vec<f64>,
    seed: u64,
    spike: Vec<bool>,
    _e: PhantomData<E>,
}

impl<E: HostFloat> PoissonKernel<E> {
    /// From the group's core (state `spike`), its per-neuron rates (Hz) and seed.
    pub fn new(core: &Core, freqs: &[f64], seed: u64) -> Result<Self> {
        let num = core.states.get("spike").dims()[1];
        Ok(PoissonKernel {
            num,
            freqs: freqs.to_vec(),
            seed,
            spike: read_spikes(core, "spike")?,
            _e: PhantomData,
        })
    }
}

impl<E: HostFloat> HostGroup<E> for PoissonKernel<E> {
    fn update(&mut self, ts: &StepTime, _input: &[E]) {
        // u < f·dt/1000 with the composed path's counter-based draws of this step.
        let u = step_uniforms(self.seed, ts.i, self.spike.len());
        for (k, (s, u)) in self.spike.iter_mut().zip(u).enumerate() {
            *s = u < self.freqs[k % self.num] * ts.dt / 1000.0;
        }
    }
    fn spike(&self) -> Option<&[bool]> {
        Some(&self.spike)
    }
    fn v(&self) -> Option<&[E]> {
        None
    }
    fn v_mut(&mut self) -> Option<&mut [E]> {
        None
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        (key == "spike").then_some(HostSlice::b(&self.spike))
    }
}
