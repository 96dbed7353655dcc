//! Input groups that emit given spikes: `SpikeTimeGroup` (spikes at given times) and
//! `PoissonGroup` (seeded Poisson trains). Spikes are computed on the host and uploaded.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::NeuronGroup;
use crate::backend::Ctx;
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::geometry::{Geometry, IntoGeometry};
use crate::integrate::noise::step_uniforms;
use crate::mode::Mode;
use crate::spikes::Spikes;
use crate::state::{StateInit, StateTensor};

/// Sets the `spike` state of `core` from host booleans (one row, repeated over the batch rows
/// unless `per_row` holds all rows).
fn set_host_spikes(core: &mut Core, fired: Vec<bool>, cols: usize) {
    let rows = core.states.rows();
    let all = if fired.len() == cols {
        fired.repeat(rows)
    } else {
        fired
    };
    let data = TensorData::new(all, [rows, cols]);
    let b: Tensor<2, burn::tensor::Bool> = Tensor::from_data(data, &core.ctx.device);
    let s = if core.mode.is_training() {
        Spikes::Float(b.cast(crate::spikes::float_dtype(core.ctx.dtype())))
    } else {
        Spikes::Bool(b)
    };
    core.states.set(
        "spike",
        match s {
            Spikes::Bool(b) => StateTensor::Bool(b),
            Spikes::Float(f) => StateTensor::Float(f),
        },
    );
}

/// Configuration of a [`SpikeTimeGroup`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeTimeGroupConfig {
    /// Index of the neuron of each event.
    pub indices: Vec<usize>,
    /// Time of each event (ms).
    pub times: Vec<f64>,
}

/// Neurons that fire at given times (BrainPy `bp.neurons.SpikeTimeGroup`).
///
/// An event `(index, time)` fires at the first step `k` with `t_k = k·dt ≥ time` (events at
/// `time ≤ 0` fire in step 0), as BrainPy. The rule is stateless — it needs only `t_k` and
/// `t_{k−1}` — so resets, batches and checkpoints need no pointer. State: `spike`.
#[derive(Clone, Debug)]
pub struct SpikeTimeGroup {
    core: Core,
    geometry: Geometry,
    /// Events sorted by time.
    events: Vec<(f64, usize)>,
}

impl SpikeTimeGroup {
    /// A group of `size` neurons firing at the given events.
    pub fn new(
        size: impl IntoGeometry,
        cfg: SpikeTimeGroupConfig,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// With an explicit name.
    pub fn named(
        size: impl IntoGeometry,
        cfg: SpikeTimeGroupConfig,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        if cfg.indices.len() != cfg.times.len() {
            return Err(Error::arg(
                "times",
                format!(
                    "{} times for {} indices (one time per index)",
                    cfg.times.len(),
                    cfg.indices.len()
                ),
            ));
        }
        let num = geometry.num();
        if let Some(i) = cfg.indices.iter().find(|&&i| i >= num) {
            return Err(Error::arg(
                "indices",
                format!("index {i} out of range for {num} neurons"),
            ));
        }
        if let Some(t) = cfg.times.iter().find(|t| !t.is_finite()) {
            return Err(Error::arg("times", format!("must be finite, got {t}")));
        }
        let mut events: Vec<(f64, usize)> = cfg.times.iter().copied().zip(cfg.indices).collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut core = Core::new("SpikeTimeGroup", name, ctx, mode)?;
        core.states
            .declare("spike", StateInit::Spike, geometry.varshape());
        core.states.reset(ctx, core.mode)?;
        Ok(SpikeTimeGroup {
            core,
            geometry,
            events,
        })
    }
}

impl Dynamics for SpikeTimeGroup {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "SpikeTimeGroup"
    }
}

impl NeuronGroup for SpikeTimeGroup {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        let (core, events) = (&self.core, &self.events);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            crate::fused::neurons::inputs::SpikeTimeKernel::<E>::new(core, events)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let num = self.geometry.num();
        let mut fired = vec![false; num];
        // Events with t_{k-1} < time <= t_k (all time <= t_0 at k = 0).
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
            fired[idx] = true;
        }
        set_host_spikes(&mut self.core, fired, num);
        Ok(())
    }
}

/// A number or a list of numbers.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<f64>, D::Error> {
    crate::netfile::OneOrMany::deserialize(d).map(|v| v.to_vec())
}

/// Configuration of a [`PoissonGroup`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoissonGroupConfig {
    /// Firing rate of each neuron (Hz): one value, or one per neuron.
    #[serde(deserialize_with = "one_or_many")]
    pub freqs: Vec<f64>,
    /// Seed of the spike trains.
    #[serde(default)]
    pub seed: u64,
}

/// Independent Poisson spike trains (BrainPy `bp.neurons.PoissonGroup`).
///
/// In step `k` neuron `j` of batch row `b` fires when `u < freqs_j·dt/1000`, `u` uniform in
/// [0, 1) from a counter-based stream seeded with `(seed, k)` (so a run is reproducible from
/// any step). State: `spike`.
#[derive(Clone, Debug)]
pub struct PoissonGroup {
    core: Core,
    geometry: Geometry,
    freqs: Vec<f64>,
    seed: u64,
}

impl PoissonGroup {
    /// A group of `size` Poisson neurons.
    pub fn new(
        size: impl IntoGeometry,
        cfg: PoissonGroupConfig,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// With an explicit name.
    pub fn named(
        size: impl IntoGeometry,
        cfg: PoissonGroupConfig,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        let num = geometry.num();
        let freqs = match cfg.freqs.len() {
            1 => vec![cfg.freqs[0]; num],
            n if n == num => cfg.freqs.clone(),
            n => {
                return Err(Error::ShapeMismatch {
                    what: "freqs".into(),
                    expected: vec![num],
                    got: vec![n],
                });
            }
        };
        if let Some(f) = freqs.iter().find(|f| !(f.is_finite() && **f >= 0.0)) {
            return Err(Error::arg(
                "freqs",
                format!("rates must be finite and >= 0 Hz, got {f}"),
            ));
        }
        let mut core = Core::new("PoissonGroup", name, ctx, mode)?;
        core.states
            .declare("spike", StateInit::Spike, geometry.varshape());
        core.states.reset(ctx, core.mode)?;
        Ok(PoissonGroup {
            core,
            geometry,
            freqs,
            seed: cfg.seed,
        })
    }
}

impl Dynamics for PoissonGroup {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "PoissonGroup"
    }
}

impl NeuronGroup for PoissonGroup {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        let (core, freqs, seed) = (&self.core, &self.freqs, self.seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            crate::fused::neurons::inputs::PoissonKernel::<E>::new(core, freqs, seed)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let num = self.geometry.num();
        let rows = self.core.states.rows();
        let u = step_uniforms(self.seed, ts.i, rows * num);
        let fired: Vec<bool> = u
            .iter()
            .enumerate()
            .map(|(k, u)| *u < self.freqs[k % num] * ts.dt / 1000.0)
            .collect();
        set_host_spikes(&mut self.core, fired, num);
        Ok(())
    }
}
