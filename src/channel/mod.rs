//! Ion channels for conductance-based neurons (SPEC §3; BrainPy's `IonChannel`s used with
//! `CondNeuGroup`).
//!
//! A channel is defined once, as a [`ChannelModel`]: its parameters and gates (declared with
//! [`model_config!`](crate::model_config) and [`model_states!`](crate::model_states)), its
//! current `I_ch(V, gates)` (positive = depolarising, BrainPy's `g·(E − V)` convention), its gate
//! kinetics and their steady state, all generic over [`Num`]. The same definition runs on the
//! composed tensor path (every backend, autodiff) and in the fused host engine's SIMD loops
//! ([`crate::fused::channel_host`]) — the library's channels and a user's alike: every
//! `ChannelModel` is a [`Channel`] (the object-safe form a
//! [`CondNeuGroup`](crate::neuron::CondNeuGroup) holds) through a blanket implementation.
//!
//! The library holds BrainPy's Hodgkin–Huxley (1952) and Traub–Miles (1991) sodium and
//! potassium channels and the leak. Every rate function with a removable singularity
//! (`u / (1 − e^{−u/k})` and its relatives) is written with the guarded
//! [`x_over_expm1`](crate::math::x_over_expm1), so no V produces NaN (BrainPy 2.4.6 gives NaN
//! there, SPEC §2).
//!
//! # Example: a user-defined potassium channel
//!
//! ```
//! use brainburn::channel::{ChannelModel, markov_rhs, markov_steady};
//! use brainburn::math::{Num, x_over_expm1};
//!
//! brainburn::model_config! {
//!     /// Classic HH delayed rectifier, `g·n⁴·(E − V)` (BrainPy's tutorial).
//!     pub struct MyIK;
//!     /// Its parameters.
//!     pub struct MyIKParams {
//!         /// Reversal potential (mV).
//!         e: "E" = -77.0, Any;
//!         /// Maximal conductance (mS/cm²).
//!         g_max: "g_max" = 36.0, NonNegative;
//!     }
//!     options {}
//! }
//! brainburn::model_states! {
//!     /// Its gate.
//!     pub struct MyIKGates { n: "n" }
//! }
//!
//! #[inline(always)]
//! fn alpha<T: Num>(v: T) -> T { x_over_expm1((v + 55.0) / -10.0) * 0.1 }
//! #[inline(always)]
//! fn beta<T: Num>(v: T) -> T { ((v + 65.0) / -80.0).exp() * 0.125 }
//!
//! impl ChannelModel for MyIK {
//!     const CLASS: &'static str = "MyIK";
//!     type Params<R> = MyIKParams<R>;
//!     type Gates<R> = MyIKGates<R>;
//!     fn param_specs(&self) -> MyIKParams<brainburn::param::ParamSpec> { self.params() }
//!     fn steady_state<R: Num>(&self, v: R, _p: &MyIKParams<R>) -> MyIKGates<R> {
//!         MyIKGates { n: markov_steady(alpha(v.clone()), beta(v)) }
//!     }
//!     #[inline(always)]
//!     fn gate_derivative<T: Num>(&self, _i: usize, g: &MyIKGates<T>, v: T, _p: &MyIKParams<T>) -> T {
//!         markov_rhs(g.n.clone(), alpha(v.clone()), beta(v), T::cst(1.0))
//!     }
//!     #[inline(always)]
//!     fn current<T: Num>(&self, v: T, g: &MyIKGates<T>, p: &MyIKParams<T>) -> T {
//!         p.g_max.clone() * g.n.clone().powi(4) * (p.e.clone() - v)
//!     }
//! }
//! ```

mod leaky;
mod potassium;
mod sodium;

pub use leaky::IL;
pub use potassium::{IKHH1952, IKTM1991};
pub use sodium::{INaHH1952, INaTM1991};

use std::fmt::Debug;

use crate::backend::Precision;
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::integrate::{Method, OdeSystem, integrate_vars};
use crate::math::{Dual, Num, Real, TVal};
use crate::model::Fields;
use crate::param::{Domain, ParamSpec};

/// An ion channel written once over [`Num`] (see the module docs).
///
/// A [`CondNeuGroup`](crate::neuron::CondNeuGroup) names each channel (`INa`, `IK`, `IL`, as
/// BrainPy's keyword arguments); the channel's parameters live in the group's parameters under
/// `<channel>.<key>` (`INa.g_max`) and its gates in the group's states under `<channel>.<gate>`
/// (`INa.p`), so they appear in `state_dict`, can be per-neuron and trainable.
///
/// Mark `current` and `gate_derivative` (and the rate functions they call)
/// `#[inline(always)]`: the fused engine compiles them into its AVX2/AVX-512 loops.
pub trait ChannelModel: Clone + Debug + Send + Sync + 'static {
    /// The class name (`INa_HH1952`), for messages and documentation.
    const CLASS: &'static str;
    /// The parameters (declared with [`model_config!`](crate::model_config)).
    type Params<R>: Fields<R>;
    /// The gating variables (declared with [`model_states!`](crate::model_states)); a channel
    /// without gates declares an empty set.
    type Gates<R>: Fields<R> + crate::integrate::Vars<R, Of<R> = Self::Gates<R>>;

    /// The parameters' user values.
    fn param_specs(&self) -> Self::Params<ParamSpec>;

    /// The method that integrates the gates. Default `exp_auto`.
    fn method(&self) -> Method {
        Method::ExpAuto
    }

    /// The gates at steady state for membrane potential `v`: where they start, at
    /// construction and on every `reset_state`.
    fn steady_state<R: Num>(&self, v: R, p: &Self::Params<R>) -> Self::Gates<R>;

    /// `d gate_i / dt` at the gates `g` with the membrane potential `v` held (the old V of the
    /// step). Evaluated on dual numbers so that `exp_auto` gets the exact `∂f/∂gate`.
    fn gate_derivative<T: Num>(&self, i: usize, g: &Self::Gates<T>, v: T, p: &Self::Params<T>)
    -> T;

    /// The channel's current at membrane potential `v` with the gates held at `g` (positive =
    /// depolarising). Evaluated on dual numbers so that `exp_auto` gets `∂(dV/dt)/∂V`.
    fn current<T: Num>(&self, v: T, g: &Self::Gates<T>, p: &Self::Params<T>) -> T;

    /// The channel's executions (tensor steady state, current and gate step, the fused host
    /// kernel) as functions compiled once; see
    /// [`NeuronModel::group_fns`](crate::model::NeuronModel::group_fns). The library's
    /// channels compile them into brainburn with
    /// [`compiled_in_brainburn!`](crate::compiled_in_brainburn).
    #[doc(hidden)]
    #[inline(always)]
    fn channel_fns() -> &'static ChannelFns<Self> {
        &ChannelFns::<Self>::GENERIC
    }
}

/// The [`Channel`] methods of a [`ChannelModel`] as function pointers (see
/// [`ChannelModel::channel_fns`]).
#[doc(hidden)]
pub struct ChannelFns<C: ChannelModel> {
    steady_tensors: fn(&C, &TVal, &[TVal]) -> Vec<TVal>,
    current_tensors: CurrentFn<C>,
    step_tensors: StepFn<C>,
    host_kernel: fn(&C, &Core, &str) -> Result<crate::fused::channel_host::HostChannelKernel>,
}

/// [`Channel::current_tensors`] of `C`: `(channel, V, gates, params)`.
type CurrentFn<C> = fn(&C, Dual<TVal>, &[TVal], &[TVal]) -> Dual<TVal>;
/// [`Channel::step_tensors`] of `C`: `(channel, V, gates, params, time)`.
type StepFn<C> = fn(&C, &TVal, &[TVal], &[TVal], &StepTime) -> Vec<TVal>;

impl<C: ChannelModel> ChannelFns<C> {
    /// The functions instantiated for `C`.
    pub const GENERIC: Self = ChannelFns {
        steady_tensors: steady_tensors_impl::<C>,
        current_tensors: current_tensors_impl::<C>,
        step_tensors: step_tensors_impl::<C>,
        host_kernel: host_kernel_impl::<C>,
    };
}

fn steady_tensors_impl<C: ChannelModel>(ch: &C, v: &TVal, params: &[TVal]) -> Vec<TVal> {
    let p = C::Params::<TVal>::from_fn(|k| params[k].clone());
    let mut out = Vec::new();
    ch.steady_state(v.clone(), &p).each(|_, x| out.push(x));
    out
}

fn current_tensors_impl<C: ChannelModel>(
    ch: &C,
    v: Dual<TVal>,
    gates: &[TVal],
    params: &[TVal],
) -> Dual<TVal> {
    let g = C::Gates::<Dual<TVal>>::from_fn(|k| Dual::cst(gates[k].clone()));
    let p = C::Params::<Dual<TVal>>::from_fn(|k| Dual::cst(params[k].clone()));
    ch.current(v, &g, &p)
}

fn step_tensors_impl<C: ChannelModel>(
    ch: &C,
    v: &TVal,
    gates: &[TVal],
    params: &[TVal],
    ts: &StepTime,
) -> Vec<TVal> {
    let g = C::Gates::<TVal>::from_fn(|k| gates[k].clone());
    let p = C::Params::<TVal>::from_fn(|k| params[k].clone());
    let mut out = Vec::new();
    step_gates(ch, v.clone(), g, &p, ts).each(|_, x| out.push(x));
    out
}

fn host_kernel_impl<C: ChannelModel>(
    ch: &C,
    core: &Core,
    prefix: &str,
) -> Result<crate::fused::channel_host::HostChannelKernel> {
    use crate::fused::channel_host::{ChannelHost, HostChannelKernel};
    Ok(match core.ctx.precision {
        Precision::F32 => {
            HostChannelKernel::F32(Box::new(ChannelHost::<C, f32>::new(ch, core, prefix)?))
        }
        Precision::F64 => {
            HostChannelKernel::F64(Box::new(ChannelHost::<C, f64>::new(ch, core, prefix)?))
        }
    })
}

/// The same fields in another number type.
#[inline(always)]
pub(crate) fn cast_fields<R: Clone, T: From<R>, A: Fields<R>, B: Fields<T>>(a: &A) -> B {
    struct Casts<'a, A, R>(&'a A, std::marker::PhantomData<R>);
    impl<R: Clone, T: From<R>, A: Fields<R>> crate::integrate::Source<T> for Casts<'_, A, R> {
        #[inline(always)]
        fn get(&mut self, k: usize) -> T {
            T::from(self.0.field(k).clone())
        }
    }
    B::from_source(&mut Casts(a, std::marker::PhantomData))
}

/// The gate kinetics of one channel at a fixed V, as an ODE system for the integrators.
pub(crate) struct GateOde<'a, C: ChannelModel, R> {
    pub channel: &'a C,
    pub v: R,
    pub p: &'a C::Params<R>,
}

impl<C: ChannelModel, R: Num> OdeSystem<R> for GateOde<'_, C, R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        <C::Gates<R> as Fields<R>>::N
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, i: usize, x: &[T], _t: f64) -> T {
        let g = C::Gates::<T>::from_source(&mut crate::integrate::Copies(x));
        let p: C::Params<T> = cast_fields(self.p);
        self.channel
            .gate_derivative(i, &g, T::from(self.v.clone()), &p)
    }
}

/// One step of a channel's gates with its method, from the old V (every execution).
#[inline(always)]
pub(crate) fn step_gates<C: ChannelModel, R: Num>(
    ch: &C,
    v: R,
    g: C::Gates<R>,
    p: &C::Params<R>,
    ts: &StepTime,
) -> C::Gates<R> {
    if <C::Gates<R> as Fields<R>>::N == 0 {
        return g;
    }
    let sys = GateOde { channel: ch, v, p };
    integrate_vars(&sys, ch.method(), g, ts.t, ts.dt)
}

/// A channel as a [`CondNeuGroup`](crate::neuron::CondNeuGroup) holds it: the object-safe
/// face of a [`ChannelModel`] (every `ChannelModel` is one; implement `ChannelModel`, not
/// this).
pub trait Channel: Send + Sync + Debug {
    /// The class name.
    fn class_name(&self) -> &'static str;
    /// The parameter keys, in declaration order.
    fn param_keys(&self) -> &'static [&'static str];
    /// The parameter domains, in declaration order.
    fn param_domains(&self) -> &'static [Domain];
    /// The parameters' user values, in declaration order.
    fn param_values(&self) -> Vec<ParamSpec>;
    /// The gate keys (`p`, `q`), in declaration order.
    fn gate_keys(&self) -> &'static [&'static str];
    /// The gates' method.
    fn gate_method(&self) -> Method;
    /// The gates at steady state at `v` (composed path).
    fn steady_tensors(&self, v: &TVal, params: &[TVal]) -> Vec<TVal>;
    /// The current at `v` (a dual number: its derivative along V) with the gates held
    /// (composed path).
    fn current_tensors(&self, v: Dual<TVal>, gates: &[TVal], params: &[TVal]) -> Dual<TVal>;
    /// The gates after one step at the old V (composed path).
    fn step_tensors(&self, v: &TVal, gates: &[TVal], params: &[TVal], ts: &StepTime) -> Vec<TVal>;
    /// The fused engine's kernel of this channel in the group `core` (parameters and gates
    /// under `prefix.key`).
    fn host_kernel(
        &self,
        core: &Core,
        prefix: &str,
    ) -> Result<crate::fused::channel_host::HostChannelKernel>;
    /// A copy behind a box (groups are cloned).
    fn clone_box(&self) -> Box<dyn Channel>;
}

impl Clone for Box<dyn Channel> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl<C: ChannelModel> Channel for C {
    fn class_name(&self) -> &'static str {
        C::CLASS
    }
    fn param_keys(&self) -> &'static [&'static str] {
        <C::Params<f64> as Fields<f64>>::KEYS
    }
    fn param_domains(&self) -> &'static [Domain] {
        <C::Params<f64> as Fields<f64>>::DOMAINS
    }
    fn param_values(&self) -> Vec<ParamSpec> {
        let mut v = Vec::new();
        self.param_specs().each(|_, s| v.push(s));
        v
    }
    fn gate_keys(&self) -> &'static [&'static str] {
        <C::Gates<f64> as Fields<f64>>::KEYS
    }
    fn gate_method(&self) -> Method {
        self.method()
    }
    fn steady_tensors(&self, v: &TVal, params: &[TVal]) -> Vec<TVal> {
        (C::channel_fns().steady_tensors)(self, v, params)
    }
    fn current_tensors(&self, v: Dual<TVal>, gates: &[TVal], params: &[TVal]) -> Dual<TVal> {
        (C::channel_fns().current_tensors)(self, v, gates, params)
    }
    fn step_tensors(&self, v: &TVal, gates: &[TVal], params: &[TVal], ts: &StepTime) -> Vec<TVal> {
        (C::channel_fns().step_tensors)(self, v, gates, params, ts)
    }
    fn host_kernel(
        &self,
        core: &Core,
        prefix: &str,
    ) -> Result<crate::fused::channel_host::HostChannelKernel> {
        (C::channel_fns().host_kernel)(self, core, prefix)
    }
    fn clone_box(&self) -> Box<dyn Channel> {
        Box::new(self.clone())
    }
}

/// The gates of a channel without gates (the leak).
#[derive(Clone, Debug)]
pub struct NoGates<R>(std::marker::PhantomData<R>);

impl<R> Default for NoGates<R> {
    fn default() -> Self {
        NoGates(std::marker::PhantomData)
    }
}

impl<R> Fields<R> for NoGates<R> {
    const N: usize = 0;
    const KEYS: &'static [&'static str] = &[];
    const DOMAINS: &'static [Domain] = &[];
    fn field(&self, i: usize) -> &R {
        panic!("a channel without gates has no gate {i}")
    }
    fn field_mut(&mut self, i: usize) -> &mut R {
        panic!("a channel without gates has no gate {i}")
    }
    #[inline(always)]
    fn from_source(_src: &mut impl crate::integrate::Source<R>) -> Self {
        NoGates(std::marker::PhantomData)
    }
    #[inline(always)]
    fn into_sink(self, _sink: &mut impl crate::model::Sink<R>) {}
    #[inline(always)]
    fn as_slice(&self) -> &[R] {
        &[]
    }
}

impl<R> crate::integrate::Vars<R> for NoGates<R> {
    type Of<D> = NoGates<D>;
    fn n(&self) -> usize {
        0
    }
    fn as_slice(&self) -> &[R] {
        &[]
    }
    fn as_mut_slice(&mut self) -> &mut [R] {
        &mut []
    }
    fn build_with<D>(&self, _src: &mut impl crate::integrate::Source<D>) -> NoGates<D> {
        NoGates(std::marker::PhantomData)
    }
}

/// First-order (two-state Markov) gate kinetics, `dx/dt = φ·(α·(1 − x) − β·x)`, the form of
/// every HH-type gate in the library.
#[inline(always)]
pub fn markov_rhs<T: Real>(x: T, alpha: T, beta: T, phi: T) -> T {
    phi * (alpha * x.clone().rsub(1.0) - beta * x)
}

/// The steady state `α / (α + β)` of a first-order gate.
#[inline(always)]
pub fn markov_steady<T: Real>(alpha: T, beta: T) -> T {
    alpha.clone() / (alpha + beta)
}
