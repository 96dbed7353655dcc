//! What every simulated object shares: a name, a mode, parameters and states (BrainPy's
//! `DynamicalSystem`), plus the per-step time.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use burn::tensor::TensorData;

use crate::backend::{Ctx, Precision};
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::param::Params;
use crate::state::{StateSet, StateTensor};

/// The time of one simulation step: step index `i`, `t = i·dt` (computed, never accumulated).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepTime {
    /// Step index.
    pub i: u64,
    /// Time at the start of the step, `i as f64 * dt` (ms).
    pub t: f64,
    /// Step size (ms).
    pub dt: f64,
}

impl StepTime {
    /// Step `i` of size `dt`.
    pub fn new(i: u64, dt: f64) -> Self {
        StepTime {
            i,
            t: i as f64 * dt,
            dt,
        }
    }

    /// `t` as BrainPy's runner forms it in the run's float type: `DSRunner` computes
    /// `t0 + i·dt` with the step index `i` converted to that type and `dt` rounded to it
    /// (`t0 = 0`), so in float32 `t = fl32(f32(i)·f32(dt))`, which is not always the float64
    /// `i·dt` rounded to float32 (at dt 0.1, 20 % of the steps below 2·10⁵ differ by one ulp).
    /// The value is returned as `f64`, exactly representable in `precision`.
    pub fn t_in(&self, precision: Precision) -> f64 {
        match precision {
            Precision::F32 => ((self.i as f32) * (self.dt as f32)) as f64,
            Precision::F64 => self.t,
        }
    }
}

/// Checks a step size.
pub fn check_dt(dt: f64) -> Result<f64> {
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Error::arg(
            "dt",
            format!("must be a positive number of ms, got {dt}"),
        ));
    }
    Ok(dt)
}

/// A default name: the class name plus a per-class counter (`LIF0`, `LIF1`, ...), as BrainPy.
pub fn unique_name(class: &str) -> String {
    static COUNTERS: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    let mut map = COUNTERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let n = map.entry(class.to_string()).or_insert(0);
    let name = format!("{class}{n}");
    *n += 1;
    name
}

/// Checks a user-given name (a non-empty identifier without dots, as keys are `name.var`).
pub fn check_name(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        return Err(Error::arg(
            "name",
            format!(
                "`{name}` must be an identifier (letters, digits, `_`, not starting with a digit)"
            ),
        ));
    }
    Ok(name.to_string())
}

/// The parts every model has; models embed it and implement [`Dynamics`] by delegation.
#[derive(Clone, Debug)]
pub struct Core {
    /// Unique name (`LIF0`), the prefix of every key.
    pub name: String,
    /// Device and precision.
    pub ctx: Ctx,
    /// Computing mode.
    pub mode: Mode,
    /// Parameters under BrainPy's names.
    pub params: Params,
    /// States under BrainPy's names.
    pub states: StateSet,
}

impl Core {
    /// A core with a given or default name.
    pub fn new(class: &str, name: Option<&str>, ctx: &Ctx, mode: Mode) -> Result<Self> {
        let mode = mode.validate()?;
        if mode.is_training() && !ctx.is_autodiff() {
            return Err(Error::Mode(
                "Training mode needs an autodiff device: build with `ctx.autodiff()`".into(),
            ));
        }
        let name = match name {
            Some(n) => check_name(n)?,
            None => unique_name(class),
        };
        Ok(Core {
            name,
            ctx: ctx.clone(),
            mode,
            params: Params::new(),
            states: StateSet::new(),
        })
    }

    /// `reset_state(batch)`: new mode (batch size may change, the axis may not appear or
    /// vanish), every state re-created from its initializer.
    pub fn reset(&mut self, batch: Option<usize>) -> Result<()> {
        let mode = self.mode.with_batch(batch)?;
        self.states.reset(&self.ctx, mode)?;
        self.mode = mode;
        Ok(())
    }
}

/// Anything with a name, a mode, parameters and states: neuron groups and synapses.
pub trait Dynamics: Send + Sync + std::fmt::Debug {
    /// The shared parts.
    fn core(&self) -> &Core;
    /// The shared parts, mutably.
    fn core_mut(&mut self) -> &mut Core;
    /// The class name (`LIF`, `GABAa`), the prefix of default names.
    fn class_name(&self) -> &'static str;

    /// The unique name.
    fn name(&self) -> &str {
        &self.core().name
    }
    /// The mode.
    fn mode(&self) -> Mode {
        self.core().mode
    }
    /// Device and precision.
    fn ctx(&self) -> &Ctx {
        &self.core().ctx
    }
    /// Parameters.
    fn params(&self) -> &Params {
        &self.core().params
    }
    /// States.
    fn states(&self) -> &StateSet {
        &self.core().states
    }

    /// Re-creates every state (see [`Core::reset`]); models with extra state override this.
    fn reset_state(&mut self, batch: Option<usize>) -> Result<()> {
        self.core_mut().reset(batch)
    }

    /// Every state as `(local key, values in BrainPy's shape)`.
    fn save_states(&self) -> Result<Vec<(String, TensorData)>> {
        let core = self.core();
        core.states
            .iter()
            .map(|(k, v)| {
                let shape = core.states.user_shape(k, core.mode);
                let data = v.to_data()?;
                Ok((k.to_string(), reshape_data(data, shape)))
            })
            .collect()
    }

    /// Names and user shapes of the states [`Dynamics::save_states`] returns.
    fn state_layout(&self) -> Vec<(String, Vec<usize>)> {
        let core = self.core();
        core.states
            .iter()
            .map(|(k, _)| (k.to_string(), core.states.user_shape(k, core.mode)))
            .collect()
    }

    /// Replaces one state from values in BrainPy's shape (already checked by the caller
    /// against [`Dynamics::state_layout`]).
    fn load_state(&mut self, key: &str, data: TensorData) -> Result<()> {
        let core = self.core_mut();
        let [rows, cols] = core.states.get(key).dims();
        let data = reshape_data(data, vec![rows, cols]);
        let value = match core.states.get(key) {
            StateTensor::Float(_) => StateTensor::Float(burn::tensor::Tensor::from_data(
                data.convert_dtype(core.ctx.dtype()),
                (&core.ctx.device, core.ctx.dtype()),
            )),
            StateTensor::Bool(_) => {
                StateTensor::Bool(burn::tensor::Tensor::from_data(data, &core.ctx.device))
            }
        };
        core.states.set(key, value);
        Ok(())
    }

    /// Cuts the gradient history of every state (between truncated-BPTT windows).
    fn detach_states(&mut self) {
        self.core_mut().states.detach();
    }

    /// Called after a device move or autodiff transition (Burn's `to_device`, `fork`,
    /// `valid`, `train`; see `crate::module`): `core().ctx` is already the new context and the
    /// parameters and states have moved. Models that keep other tensors outside their `Core`
    /// (connectivity masks, index tensors, constant weights) re-create or move them onto
    /// `core().ctx.device` here. The default has none.
    fn on_ctx_change(&mut self) {}
}

/// The same values with another shape (same number of elements).
pub(crate) fn reshape_data(data: TensorData, shape: Vec<usize>) -> TensorData {
    debug_assert_eq!(data.num_elements(), shape.iter().product::<usize>());
    let (bytes, _, dtype) = data.into_parts();
    TensorData::from_bytes(bytes, shape, dtype)
}
