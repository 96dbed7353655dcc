//! One definition per model: a neuron model is its parameters, its states and one discrete
//! step, written once over [`Num`], and every execution is derived from it.
//!
//! * [`Fields`]: a fixed, named, typed set of values — a model's parameters or states —
//!   declared once with [`model_config!`](crate::model_config) / [`model_states!`](crate::model_states).
//!   The declaration gives the Rust fields (a misspelt name does not compile), the state-dict
//!   and network-file keys (BrainPy's names), each parameter's default and [`Domain`], and the
//!   bindings of every execution.
//! * [`NeuronModel`]: the step `step(params, state, input, cx) -> Spike`, generic over the
//!   number type and the step context [`StepCx`] (time, mode, noise, spike functions).
//! * [`NeuGroup<M>`](group::NeuGroup): the group built from a model. It runs the step on Burn
//!   tensors ([`crate::math::TVal`]: every backend, autodiff, Training mode) and gives the fused
//!   host engine a kernel that runs the same step on SIMD lanes
//!   ([`crate::fused::model_host`]); a user's model gets both without writing either.
//!
//! # Writing a model
//! Declare the config and parameters ([`model_config!`](crate::model_config)) and the states
//! ([`model_states!`](crate::model_states)), implement [`NeuronModel`], and the model is a
//! group: `NeuGroup::<MyModel>::named(size, cfg, Some("name"), &ctx, mode)`. Mark `step` and the
//! functions it calls `#[inline(always)]`: the fused engine compiles them into its AVX2/AVX-512
//! loops, which only happens when they inline (otherwise they run as scalar-ISA calls, several
//! times slower). `examples/custom_neuron.rs` defines an adaptive exponential IF model this way.

pub mod group;

#[doc(hidden)]
pub use group::GroupFns;
pub use group::NeuGroup;

use std::fmt::Debug;

use crate::init::Initializer;
use crate::math::Num;
use crate::param::{Domain, ParamSpec};
use crate::surrogate::{SpikeFunction, TwoInputSurrogate};

/// A fixed, named set of values of one type (a model's parameters or states), declared with
/// [`model_config!`](crate::model_config) or [`model_states!`](crate::model_states).
pub trait Fields<R>: Sized {
    /// Number of fields.
    const N: usize;
    /// The key of each field in order (BrainPy's names: `V_rest`, `tau`, `V`, ...).
    const KEYS: &'static [&'static str];
    /// The domain of each field in order (all [`Domain::Any`] for states).
    const DOMAINS: &'static [Domain];

    /// Field `i` (in declaration order).
    fn field(&self, i: usize) -> &R;
    /// Field `i`, mutably.
    fn field_mut(&mut self, i: usize) -> &mut R;
    /// The set `src.get(0), src.get(1), ...` (in declaration order). Hot loops use this with
    /// a [`Source`](crate::integrate::Source) whose method is `#[inline(always)]`.
    fn from_source(src: &mut impl crate::integrate::Source<R>) -> Self;
    /// Hands every field with its index to `sink`, consuming the set.
    fn into_sink(self, sink: &mut impl Sink<R>);

    /// The set `f(0), f(1), ...` (in declaration order; off the hot path).
    #[inline(always)]
    fn from_fn(f: impl FnMut(usize) -> R) -> Self {
        Self::from_source(&mut crate::integrate::FnSource(f))
    }
    /// Every field with its index, consuming the set (off the hot path).
    #[inline(always)]
    fn each(self, f: impl FnMut(usize, R)) {
        self.into_sink(&mut FnSink(f))
    }

    /// The fields as a slice, in declaration order (the declared structs are `#[repr(C)]`
    /// with every field of type `R`, so they are laid out as `[R; N]`).
    #[inline(always)]
    fn as_slice(&self) -> &[R] {
        // SAFETY: implemented only by the structs of `model_config!` / `model_states!`, which
        // are `#[repr(C)]` with exactly `N` fields, all of type `R`: consecutive fields of one
        // type have no padding between them, so the struct is laid out as `[R; N]`.
        unsafe { std::slice::from_raw_parts(self as *const Self as *const R, Self::N) }
    }

    /// A copy (generic code cannot name the declared struct's `Clone`).
    #[inline(always)]
    fn cloned(&self) -> Self
    where
        R: Clone,
    {
        struct Clones<'a, F>(&'a F);
        impl<R: Clone, F: Fields<R>> crate::integrate::Source<R> for Clones<'_, F> {
            #[inline(always)]
            fn get(&mut self, k: usize) -> R {
                self.0.field(k).clone()
            }
        }
        Self::from_source(&mut Clones(self))
    }

    /// The index of the field with key `key`.
    fn index_of(key: &str) -> Option<usize> {
        Self::KEYS.iter().position(|k| *k == key)
    }
}

/// Where [`Fields::into_sink`] hands the fields (implement `put` `#[inline(always)]`).
pub trait Sink<R> {
    /// Takes field `i`.
    fn put(&mut self, i: usize, x: R);
}

/// A closure as a [`Sink`] (off the hot path).
pub struct FnSink<F>(pub F);

impl<R, F: FnMut(usize, R)> Sink<R> for FnSink<F> {
    #[inline(always)]
    fn put(&mut self, i: usize, x: R) {
        (self.0)(i, x)
    }
}

/// What a step emits: nothing (a non-spiking model), a boolean mask (outside Training), or a
/// float spike carrying a surrogate gradient (Training).
pub enum Spike<R: Num> {
    /// No spike output.
    None,
    /// Which elements fired.
    Mask(R::Mask),
    /// 0/1 spikes with a surrogate gradient.
    Float(R),
}

/// The context of one step for the elements being computed: time, mode, noise and the spike
/// functions. The composed path's context works on whole tensors, the fused engine's on one
/// vector of lanes at a time; a model only sees this trait.
pub trait StepCx<R: Num> {
    /// Time at the start of the step, `k·dt` (ms).
    fn t(&self) -> f64;
    /// Step size (ms).
    fn dt(&self) -> f64;
    /// Whether the group runs in Training mode (float spikes with surrogate gradients).
    fn training(&self) -> bool;
    /// The time as a number.
    fn time(&self) -> R {
        R::cst(self.t())
    }
    /// The group's Euler–Maruyama increment of this step, `σ·√dt·ξ` (ξ ~ N(0, 1), seeded per
    /// group and step, the same draws on every execution); `None` for a group without noise.
    fn noise(&mut self) -> Option<R>;
    /// A Training-mode spike of `x = V − V_th`: Heaviside forward (or `f`'s smooth function
    /// when it asks for it) with `f`'s surrogate gradient.
    fn spike(&mut self, x: R, f: &SpikeFunction) -> R;
    /// A Training-mode crossing spike (`x_old < 0 ≤ x_new`) with `f`'s two-input surrogate.
    fn crossing_spike(&mut self, x_new: R, x_old: R, f: &TwoInputSurrogate) -> R;
}

/// How a model's state starts: from an initializer, or derived from the other states and the
/// parameters by [`NeuronModel::init_derived`] (HH gates at their steady state).
#[derive(Clone, Debug)]
pub enum StateStart {
    /// Values from an initializer at reset.
    Init(Initializer),
    /// Computed by the model after the initialized states are set.
    Derived,
}

/// What a model's config turns into: the model (its non-numeric options) and the user values of
/// its parameters, initial states and noise.
#[derive(Clone, Debug)]
pub struct ModelParts<M: NeuronModel> {
    /// The model's options (method, surrogate, reset rule, ...).
    pub model: M,
    /// Every parameter's user value.
    pub params: M::Params<ParamSpec>,
    /// How every state starts.
    pub states: M::State<StateStart>,
    /// The noise σ on the model's noisy variable(s), if any.
    pub noise: Option<ParamSpec>,
    /// The seed of the noise stream.
    pub noise_seed: u64,
}

/// A neuron model written once (see the module docs).
///
/// `Params` and `State` are generic families: the same declaration holds the user's
/// [`ParamSpec`]s, the composed path's tensors and the fused engine's lanes.
pub trait NeuronModel: Clone + Debug + Send + Sync + 'static {
    /// The class name: prefix of default names (`LIF0`) and the `model` of network files.
    const CLASS: &'static str;
    /// Whether the model spikes (has a `spike` state).
    const SPIKES: bool = true;
    /// Whether the group takes input (has an `input` state that projections and runner inputs
    /// add into). A model without (a noise source) steps with input 0 and refuses inputs; it
    /// must declare at least one state (the first gives the step's shape; checked when the
    /// model is compiled).
    const INPUT: bool = true;
    /// The user's configuration (serde, `Default` = BrainPy's defaults).
    type Config: Clone + Debug + Default + Send + Sync;
    /// The parameters (declared with [`model_config!`](crate::model_config)).
    type Params<R>: Fields<R>;
    /// The float states besides `input` and `spike` (declared with
    /// [`model_states!`](crate::model_states)).
    type State<R>: Fields<R> + crate::integrate::Vars<R, Of<R> = Self::State<R>>;

    /// The model and its user values from a config (checks the options; parameter domains
    /// are checked by the group).
    fn build(cfg: &Self::Config) -> crate::error::Result<ModelParts<Self>>;

    /// One step of every element: advances `s` with the accumulated `input` and returns the
    /// spikes.
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &Self::Params<R>,
        s: &mut Self::State<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R>;

    /// Sets the [`StateStart::Derived`] states from the others (called after every reset);
    /// the default has none.
    fn init_derived<R: Num>(&self, _p: &Self::Params<R>, _s: &mut Self::State<R>) {}

    /// The step the fused engine runs on SIMD lanes: [`NeuronModel::step`] unless the model
    /// documents an override (hand-tuned float32 arithmetic of the same equations, e.g. shared
    /// exponentials, kept only where the generic step is measurably slower; it must be tested
    /// against the generic step).
    #[inline(always)]
    fn step_lanes<L: crate::fused::lanes::Lanes, C: StepCx<L>>(
        &self,
        p: &Self::Params<L>,
        s: &mut Self::State<L>,
        input: L,
        cx: &mut C,
    ) -> Spike<L> {
        self.step(p, s, input, cx)
    }

    /// Whether [`NeuronModel::step_f64`] replaces the generic step on the fused engine in
    /// float64 (a documented override: Wang–Buzsáki's `exp_auto` in BrainPy's compiled
    /// operation order). The default has none.
    fn has_f64_override(&self) -> bool {
        false
    }

    /// The float64 element step the fused engine runs instead of [`NeuronModel::step`] when
    /// [`NeuronModel::has_f64_override`] says so (one element at a time, on host floats). It
    /// must be the same model: its tests compare it with the generic step.
    fn step_f64<C: StepCx<f64>>(
        &self,
        p: &Self::Params<f64>,
        s: &mut Self::State<f64>,
        input: f64,
        cx: &mut C,
    ) -> Spike<f64> {
        self.step(p, s, input, cx)
    }

    /// The group's executions of this model (the composed step, the fused kernel, the derived
    /// states), as functions compiled once. The default instantiates them in the crate that
    /// uses the model; the library's models override it with
    /// [`compiled_in_brainburn!`](crate::compiled_in_brainburn) so that they are compiled into
    /// brainburn once instead of into every crate (test binary, example) that names them.
    #[doc(hidden)]
    #[inline(always)]
    fn group_fns() -> &'static GroupFns<Self> {
        &GroupFns::<Self>::GENERIC
    }
}

/// Inside an `impl NeuronModel` or `impl ChannelModel` of the library: the model's executions
/// are compiled into brainburn itself. Without it every crate that uses a generic model
/// compiles the whole model again (its tensor step and its SIMD kernels at every instruction
/// set and precision) — release builds do not share generic instances between crates — which
/// made each test binary and example that names the library's models minutes longer to build.
#[doc(hidden)]
#[macro_export]
macro_rules! compiled_in_brainburn {
    (neuron) => {
        #[inline(never)]
        fn group_fns() -> &'static $crate::model::GroupFns<Self> {
            &$crate::model::GroupFns::<Self>::GENERIC
        }
    };
    (channel) => {
        #[inline(never)]
        fn channel_fns() -> &'static $crate::channel::ChannelFns<Self> {
            &$crate::channel::ChannelFns::<Self>::GENERIC
        }
    };
}

/// Declares a model's configuration and typed parameters once.
///
/// ```text
/// brainburn::model_config! {
///     /// Configuration of my model.
///     pub struct MyConfig;
///     /// Parameters of my model.
///     pub struct MyParams {
///         /// Time constant (ms).
///         tau: "tau" = 10.0, Positive;
///     }
///     options {
///         /// Integration method.
///         method: brainburn::integrate::Method = brainburn::integrate::Method::ExpAuto;
///     }
/// }
/// ```
///
/// gives `MyConfig` (serde with `deny_unknown_fields`; each parameter under its Rust name and
/// its key, a [`ParamSpec`]; `Default` = the defaults), `MyParams<R>` (one `R` per parameter,
/// [`Fields`] with the keys and domains) and `MyConfig::params()`.
#[macro_export]
macro_rules! model_config {
    (
        $(#[$cmeta:meta])*
        $cvis:vis struct $Config:ident;
        $(#[$pmeta:meta])*
        $pvis:vis struct $Params:ident {
            $( $(#[$fmeta:meta])* $field:ident : $key:literal = $default:expr , $domain:ident ; )*
        }
        options {
            $( $(#[$ometa:meta])* $ofield:ident : $oty:ty = $odefault:expr ; )*
        }
    ) => {
        $(#[$cmeta])*
        #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        $cvis struct $Config {
            $( $(#[$fmeta])* #[serde(alias = $key)] pub $field: $crate::param::ParamSpec, )*
            $( $(#[$ometa])* pub $ofield: $oty, )*
        }

        impl Default for $Config {
            fn default() -> Self {
                $Config {
                    $( $field: $crate::param::ParamSpec::from($default as f64), )*
                    $( $ofield: $odefault, )*
                }
            }
        }

        impl $Config {
            /// The parameters' user values, typed.
            pub fn params(&self) -> $Params<$crate::param::ParamSpec> {
                $Params { $( $field: self.$field.clone(), )* }
            }
        }

        $(#[$pmeta])*
        #[derive(Clone, Debug)]
        #[repr(C)]
        $pvis struct $Params<R> {
            $( $(#[$fmeta])* pub $field: R, )*
        }

        $crate::__fields_impl!($Params { $( $field : $key , $domain ; )* });
    };
}

/// Declares a model's typed states once: `pub struct MyState { v: "V", w: "w" }` gives
/// `MyState<R>` with [`Fields`] (the keys are the state-dict and monitor names).
#[macro_export]
macro_rules! model_states {
    (
        $(#[$smeta:meta])*
        $svis:vis struct $State:ident {
            $( $(#[$fmeta:meta])* $field:ident : $key:literal ),* $(,)?
        }
    ) => {
        $(#[$smeta])*
        #[derive(Clone, Debug)]
        #[repr(C)]
        $svis struct $State<R> {
            $( $(#[$fmeta])* pub $field: R, )*
        }

        $crate::__fields_impl!($State { $( $field : $key , Any ; )* });
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __fields_impl {
    ($T:ident { $( $field:ident : $key:literal , $domain:ident ; )* }) => {
        impl<R> $crate::model::Fields<R> for $T<R> {
            const N: usize = [$( $key ),*].len();
            const KEYS: &'static [&'static str] = &[$( $key ),*];
            const DOMAINS: &'static [$crate::param::Domain] =
                &[$( $crate::param::Domain::$domain ),*];

            #[inline(always)]
            fn field(&self, i: usize) -> &R {
                let mut k = 0usize;
                $(
                    if i == k {
                        return &self.$field;
                    }
                    k += 1;
                )*
                let _ = k;
                panic!("field index {i} out of range for {}", stringify!($T))
            }

            #[inline(always)]
            fn field_mut(&mut self, i: usize) -> &mut R {
                let mut k = 0usize;
                $(
                    if i == k {
                        return &mut self.$field;
                    }
                    k += 1;
                )*
                let _ = k;
                panic!("field index {i} out of range for {}", stringify!($T))
            }

            #[inline(always)]
            fn from_source(src: &mut impl $crate::integrate::Source<R>) -> Self {
                let mut k = 0usize;
                $(
                    let $field = src.get(k);
                    k += 1;
                )*
                let _ = k;
                $T { $( $field, )* }
            }

            #[inline(always)]
            fn into_sink(self, sink: &mut impl $crate::model::Sink<R>) {
                let mut k = 0usize;
                $(
                    sink.put(k, self.$field);
                    k += 1;
                )*
                let _ = k;
            }
        }

        impl<R> $crate::integrate::Vars<R> for $T<R> {
            type Of<D> = $T<D>;
            #[inline(always)]
            fn n(&self) -> usize {
                <Self as $crate::model::Fields<R>>::N
            }
            #[inline(always)]
            fn as_slice(&self) -> &[R] {
                <Self as $crate::model::Fields<R>>::as_slice(self)
            }
            #[inline(always)]
            fn as_mut_slice(&mut self) -> &mut [R] {
                // SAFETY: `#[repr(C)]` with every field of type `R` (see `Fields::as_slice`).
                unsafe {
                    std::slice::from_raw_parts_mut(
                        self as *mut Self as *mut R,
                        <Self as $crate::model::Fields<R>>::N,
                    )
                }
            }
            #[inline(always)]
            fn build_with<D>(&self, src: &mut impl $crate::integrate::Source<D>) -> $T<D> {
                <$T<D> as $crate::model::Fields<D>>::from_source(src)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::model_config! {
        /// A test config.
        pub struct TestConfig;
        /// Test parameters.
        pub struct TestParams {
            /// A time constant.
            tau: "tau" = 10.0, Positive;
            /// A potential.
            v_rest: "V_rest" = -65.0, Any;
        }
        options {
            /// An option.
            seed: u64 = 3;
        }
    }

    crate::model_states! {
        /// Test states.
        pub struct TestState { v: "V", w: "w" }
    }

    #[test]
    fn declarations_give_keys_domains_defaults_and_serde_names() {
        assert_eq!(<TestParams<f64> as Fields<f64>>::KEYS, &["tau", "V_rest"]);
        assert_eq!(
            <TestParams<f64> as Fields<f64>>::DOMAINS,
            &[Domain::Positive, Domain::Any]
        );
        assert_eq!(<TestState<f64> as Fields<f64>>::N, 2);
        let d = TestConfig::default();
        assert_eq!(d.params().v_rest.as_scalar(), Some(-65.0));
        assert_eq!(d.seed, 3);
        // Both the key and the Rust name are accepted; unknown keys are refused.
        let c: TestConfig = toml::from_str("V_rest = -70.0\ntau = 5.0").expect("keys");
        assert_eq!(c.params().v_rest.as_scalar(), Some(-70.0));
        let c: TestConfig = toml::from_str("v_rest = -71.0").expect("rust names");
        assert_eq!(c.v_rest.as_scalar(), Some(-71.0));
        assert!(toml::from_str::<TestConfig>("V_rset = 1.0").is_err());
        let p = TestParams::<f64>::from_fn(|k| k as f64 + 1.0);
        assert_eq!((p.tau, p.v_rest), (1.0, 2.0));
        assert_eq!(p.as_slice(), &[1.0, 2.0]);
        assert_eq!(*p.field(1), 2.0);
        let mut seen = Vec::new();
        p.each(|k, x| seen.push((k, x)));
        assert_eq!(seen, vec![(0, 1.0), (1, 2.0)]);
    }
}
