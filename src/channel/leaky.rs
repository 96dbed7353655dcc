//! The leak current (BrainPy `leaky.py`).

use serde::{Deserialize, Serialize};

use super::{Channel, ChannelParams};
use crate::math::{Dual, Real, TVal};
use crate::param::ParamSpec;

/// `I = g_max·(E − V)`.
pub(crate) fn leak_current<T: Real>(g_max: T, e: T, v: T) -> T {
    g_max * (e - v)
}

/// Leak current `I = g_max·(E − V)`, no gates (BrainPy `bp.channels.IL`, 2.4.6).
///
/// **The defaults are BrainPy's** (`E = −70`, `g_max = 0.1`), not the classic HH leak
/// (−54.387, 0.03 in BrainPy's `HH`; the 1952 paper has 0.3).
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `E` | mV | −70 |
/// | `g_max` | mS/cm² | 0.1 |
///
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/channels/leaky.py::IL`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IL {
    /// Reversal potential `E` (mV). Default −70.
    #[serde(alias = "E")]
    pub e: ParamSpec,
    /// Conductance `g_max` (mS/cm²). Default 0.1.
    pub g_max: ParamSpec,
}

impl Default for IL {
    fn default() -> Self {
        IL {
            e: (-70.0).into(),
            g_max: 0.1.into(),
        }
    }
}

impl Channel for IL {
    fn class_name(&self) -> &'static str {
        "IL"
    }
    fn gate_names(&self) -> &'static [&'static str] {
        &[]
    }
    fn param_specs(&self) -> Vec<(&'static str, ParamSpec)> {
        vec![("E", self.e.clone()), ("g_max", self.g_max.clone())]
    }
    fn nonnegative_params(&self) -> &'static [&'static str] {
        &["g_max"]
    }
    fn steady_state(&self, _v: &TVal, _p: &ChannelParams) -> Vec<TVal> {
        Vec::new()
    }
    fn gate_derivative(
        &self,
        i: usize,
        _gates: &[Dual<TVal>],
        _v: &TVal,
        _p: &ChannelParams,
    ) -> Dual<TVal> {
        panic!("IL has no gates, asked for gate {i}")
    }
    fn current(&self, v: Dual<TVal>, _gates: &[TVal], p: &ChannelParams) -> Dual<TVal> {
        leak_current(p.dual("g_max"), p.dual("E"), v)
    }
    fn clone_box(&self) -> Box<dyn Channel> {
        Box::new(self.clone())
    }
    fn host_kind(&self) -> Option<crate::fused::neurons::cond::HostChannelKind> {
        Some(crate::fused::neurons::cond::HostChannelKind::IL)
    }
}
