//! Ion channels for conductance-based neurons (SPEC §3; BrainPy's `IonChannel`s used with
//! `CondNeuGroup`).
//!
//! A [`Channel`] contributes a current `I_ch(V, gates)` (positive = depolarising, BrainPy's
//! `g·(E − V)` convention) to the membrane equation of a
//! [`CondNeuGroup`](crate::neuron::CondNeuGroup) and owns gating variables with their own
//! kinetics, integrated with the *old* V of the step. The library holds BrainPy's
//! Hodgkin–Huxley (1952) and Traub–Miles (1991) sodium and potassium channels and the leak;
//! users add their own channel by implementing the trait (no library file changes: see the
//! trait's example).
//!
//! Every rate function with a removable singularity (`u / (1 − e^{−u/k})` and its relatives)
//! is written with the guarded [`x_over_expm1`](crate::math::x_over_expm1), so no V produces
//! NaN (BrainPy 2.4.6 gives NaN there, SPEC §2).

mod leaky;
mod potassium;
mod sodium;

pub use leaky::IL;
pub use potassium::{IKHH1952, IKTM1991};
pub use sodium::{INaHH1952, INaTM1991};

use crate::integrate::{Method, OdeRhs};
use crate::math::{Dual, Real, TVal};
use crate::param::ParamSpec;

/// The parameters of one channel for one step, by their local names (`g_max`, `E`, ...), as
/// host constants or `[1, num]` tensors ([`TVal`]).
#[derive(Clone, Debug, Default)]
pub struct ChannelParams {
    entries: Vec<(&'static str, TVal)>,
}

impl ChannelParams {
    /// A set from `(name, value)` pairs.
    pub fn new(entries: Vec<(&'static str, TVal)>) -> Self {
        ChannelParams { entries }
    }

    /// The parameter `name`. Panics if the channel did not declare it in
    /// [`Channel::param_specs`] (a programmer bug in the channel).
    pub fn get(&self, name: &str) -> TVal {
        self.entries
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("channel parameter `{name}` was never declared"))
    }

    /// The parameter `name` as a dual-number constant.
    pub fn dual(&self, name: &str) -> Dual<TVal> {
        Dual::cst(self.get(name))
    }

    /// All parameters.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &TVal)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }
}

/// An ion channel of a [`CondNeuGroup`](crate::neuron::CondNeuGroup).
///
/// The group names each channel (`INa`, `IK`, `IL`, as BrainPy's keyword arguments); its
/// parameters live in the group's parameter set under `<channel>.<param>` (`INa.g_max`) and
/// its gates in the group's states under `<channel>.<gate>` (`INa.p`), so they appear in
/// `state_dict`, can be per-neuron, and can be trainable.
///
/// The methods work on the composed-op value type [`TVal`] and on dual numbers over it
/// ([`Dual<TVal>`]), so the trait is object-safe; write the math once as generic functions
/// over [`Real`] and call them from here (the library channels do), which keeps them usable on
/// plain floats by a fused host loop.
///
/// # Example: a user-defined potassium channel
///
/// ```
/// use brainburn::channel::{Channel, ChannelParams};
/// use brainburn::math::{Dual, Real, TVal, x_over_expm1};
/// use brainburn::param::ParamSpec;
///
/// /// Classic HH delayed rectifier, `g·n⁴·(E − V)`, E = −77, g = 36 (BrainPy's tutorial).
/// #[derive(Clone, Debug)]
/// struct MyIK;
///
/// fn alpha<T: Real>(v: T) -> T { x_over_expm1((v + 55.0) / -10.0) * 0.1 }
/// fn beta<T: Real>(v: T) -> T { ((v + 65.0) / -80.0).exp() * 0.125 }
///
/// impl Channel for MyIK {
///     fn class_name(&self) -> &'static str { "MyIK" }
///     fn gate_names(&self) -> &'static [&'static str] { &["n"] }
///     fn param_specs(&self) -> Vec<(&'static str, ParamSpec)> {
///         vec![("E", (-77.0).into()), ("g_max", 36.0.into())]
///     }
///     fn steady_state(&self, v: &TVal, _p: &ChannelParams) -> Vec<TVal> {
///         let (a, b) = (alpha(v.clone()), beta(v.clone()));
///         vec![a.clone() / (a + b)]
///     }
///     fn gate_derivative(&self, _i: usize, g: &[Dual<TVal>], v: &TVal, _p: &ChannelParams)
///         -> Dual<TVal> {
///         let (a, b) = (Dual::cst(alpha(v.clone())), Dual::cst(beta(v.clone())));
///         a * g[0].clone().rsub(1.0) - b * g[0].clone()
///     }
///     fn current(&self, v: Dual<TVal>, g: &[TVal], p: &ChannelParams) -> Dual<TVal> {
///         p.dual("g_max") * Dual::cst(g[0].clone().powi(4)) * (p.dual("E") - v)
///     }
///     fn clone_box(&self) -> Box<dyn Channel> { Box::new(self.clone()) }
/// }
/// ```
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// The class name (`INa_HH1952`), for messages and documentation.
    fn class_name(&self) -> &'static str;

    /// The names of the gating variables (`["p", "q"]`); empty for a channel without gates.
    fn gate_names(&self) -> &'static [&'static str];

    /// The parameters with their user values, under their local names (`("g_max", 120)`).
    fn param_specs(&self) -> Vec<(&'static str, ParamSpec)>;

    /// Parameters that must be ≥ 0 (conductances); checked when the group is built.
    fn nonnegative_params(&self) -> &'static [&'static str] {
        &[]
    }

    /// The method that integrates the gates. Default `exp_auto`.
    fn method(&self) -> Method {
        Method::ExpAuto
    }

    /// The gates at steady state for membrane potential `v` (one value per gate, in
    /// [`Channel::gate_names`] order): where they start, at construction and on every
    /// `reset_state`.
    fn steady_state(&self, v: &TVal, p: &ChannelParams) -> Vec<TVal>;

    /// `d gate_i / dt` at the gate values `gates` with the membrane potential `v` held
    /// constant (the old V of the step). Evaluated on dual numbers so that `exp_auto` gets the
    /// exact `∂f/∂gate`.
    fn gate_derivative(
        &self,
        i: usize,
        gates: &[Dual<TVal>],
        v: &TVal,
        p: &ChannelParams,
    ) -> Dual<TVal>;

    /// The channel's current at membrane potential `v` with the gates held at `gates`
    /// (positive = depolarising). Evaluated on dual numbers so that `exp_auto` gets the exact
    /// `∂(dV/dt)/∂V`.
    fn current(&self, v: Dual<TVal>, gates: &[TVal], p: &ChannelParams) -> Dual<TVal>;

    /// Which library channel this is, for the fused CPU path ([`crate::fused`]); `None` (the
    /// default, every user channel) keeps groups holding it on the composed-op path.
    fn host_kind(&self) -> Option<crate::fused::neurons::cond::HostChannelKind> {
        None
    }

    /// A copy behind a box (groups are cloned).
    fn clone_box(&self) -> Box<dyn Channel>;
}

impl Clone for Box<dyn Channel> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The gate kinetics of one channel at a fixed V, as an ODE system for the integrators.
pub(crate) struct GateSystem<'a> {
    pub(crate) channel: &'a dyn Channel,
    pub(crate) v: &'a TVal,
    pub(crate) params: &'a ChannelParams,
}

impl OdeRhs<TVal> for GateSystem<'_> {
    fn n_equations(&self) -> usize {
        self.channel.gate_names().len()
    }
    fn rhs(&self, i: usize, x: &[TVal], _t: f64) -> TVal {
        let d: Vec<Dual<TVal>> = x.iter().cloned().map(Dual::cst).collect();
        self.channel.gate_derivative(i, &d, self.v, self.params).v
    }
    fn rhs_dual(&self, i: usize, x: &[Dual<TVal>], _t: f64) -> Dual<TVal> {
        self.channel.gate_derivative(i, x, self.v, self.params)
    }
}

/// First-order (two-state Markov) gate kinetics, `dx/dt = φ·(α·(1 − x) − β·x)`, the form of
/// every HH-type gate in the library.
pub fn markov_rhs<T: Real>(x: T, alpha: T, beta: T, phi: T) -> T {
    phi * (alpha * x.clone().rsub(1.0) - beta * x)
}

/// The steady state `α / (α + β)` of a first-order gate.
pub fn markov_steady<T: Real>(alpha: T, beta: T) -> T {
    alpha.clone() / (alpha + beta)
}
