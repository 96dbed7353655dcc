//! The leak current (BrainPy `leaky.py`).

use super::{ChannelModel, NoGates};
use crate::math::{Num, Real};
use crate::model::Fields;
use crate::param::ParamSpec;

/// `I = g_max·(E − V)`.
#[inline(always)]
pub(crate) fn leak_current<T: Real>(g_max: T, e: T, v: T) -> T {
    g_max * (e - v)
}

crate::model_config! {
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
    #[derive(PartialEq)]
    pub struct IL;
    /// The parameters of [`IL`], in any number type.
    pub struct ILParams {
        /// Reversal potential `E` (mV). Default −70.
        e: "E" = -70.0, Any;
        /// Conductance `g_max` (mS/cm²). Default 0.1.
        g_max: "g_max" = 0.1, NonNegative;
    }
    options {}
}

impl ChannelModel for IL {
    crate::compiled_in_brainburn!(channel);
    const CLASS: &'static str = "IL";
    type Params<R> = ILParams<R>;
    type Gates<R> = NoGates<R>;

    fn param_specs(&self) -> ILParams<ParamSpec> {
        self.params()
    }
    fn steady_state<R: Num>(&self, _v: R, _p: &ILParams<R>) -> NoGates<R> {
        NoGates::from_fn(|_| unreachable!("no gates"))
    }
    #[inline(always)]
    fn gate_derivative<T: Num>(&self, i: usize, _g: &NoGates<T>, _v: T, _p: &ILParams<T>) -> T {
        unreachable!("IL has no gates, asked for gate {i}")
    }
    #[inline(always)]
    fn current<T: Num>(&self, v: T, _g: &NoGates<T>, p: &ILParams<T>) -> T {
        leak_current(p.g_max.clone(), p.e.clone(), v)
    }
}
