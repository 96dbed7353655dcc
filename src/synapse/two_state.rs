//! The two-state kinetic synapses aligned with the presynaptic group: BrainPy's legacy
//! `bp.synapses.DualExponential`, `Alpha`, `NMDA` and `BioNMDA`.
//!
//! Each keeps a conductance `g` and a rise variable (`h`; NMDA's `x`) per **presynaptic**
//! neuron, integrates them with the kinetics of [`super::kinetics::TwoState`] (the one
//! definition the fused host kernel integrates too), adds the arriving spikes to the rise
//! variable (BioNMDA: releases transmitter for `T_dur`), and projects `g_max·g` onto the postsynaptic group through its output.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::comm::{CommInput, CompMethod};
use super::conn::Connector;
use super::delay::DelayStep;
use super::kinetics::TwoState;
use super::output::Output;
use super::proj::{Projection, ProjectionSpec, impl_synapse};
use crate::dynamics::{Core, StepTime};
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::integrate::{Method, integrate_array};
use crate::math::TVal;
use crate::neuron::NeuronGroup;
use crate::param::{Domain, ParamSpec};
use crate::spikes::Spikes;
use crate::state::StateInit;

/// The shared projection arguments of a configuration (no STP: not offered here).
macro_rules! spec_of {
    ($cfg:expr) => {
        ProjectionSpec {
            conn: &$cfg.conn,
            comp_method: $cfg.comp_method,
            g_max: &$cfg.g_max,
            output: &$cfg.output,
            delay_step: $cfg.delay_step.as_ref(),
            stp: None,
            stop_spike_gradient: $cfg.stop_spike_gradient,
            method: $cfg.method,
        }
    };
}

/// A configuration type with its file spelling: `conn` required, everything else defaulted.
macro_rules! two_state_config {
    ($(#[$doc:meta])* $Name:ident, $Repr:ident, $repr:literal, g_max = $g:expr, output = $out:expr,
     { $( $(#[$fdoc:meta])* $field:ident = $default:expr, $domain:ident; )* }) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $Repr {
            conn: Connector,
            comp_method: Option<CompMethod>,
            g_max: Option<ParamSpec>,
            $( $field: Option<ParamSpec>, )*
            output: Option<Output>,
            delay_step: Option<DelayStep>,
            stop_spike_gradient: Option<bool>,
            method: Option<Method>,
        }

        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(from = $repr)]
        pub struct $Name {
            /// Connectivity (required in files).
            pub conn: Connector,
            /// `dense` (default) or `sparse`.
            pub comp_method: CompMethod,
            /// Maximal conductance: a scalar, one value per synapse, or an initializer;
            /// trainable on request (parameter key `g_max`).
            pub g_max: ParamSpec,
            $( $(#[$fdoc])* pub $field: ParamSpec, )*
            /// Output into the postsynaptic group.
            pub output: Output,
            /// Delay (none: the spikes of the previous step).
            pub delay_step: Option<DelayStep>,
            /// Detach the presynaptic spikes (no gradient reaches the presynaptic group).
            pub stop_spike_gradient: bool,
            /// Integration method of the kinetics. Default `exp_auto`.
            pub method: Method,
        }

        impl $Name {
            /// BrainPy's defaults with connectivity `conn`.
            pub fn new(conn: Connector) -> Self {
                $Name {
                    conn,
                    comp_method: CompMethod::Dense,
                    g_max: ($g).into(),
                    $( $field: ($default).into(), )*
                    output: $out,
                    delay_step: None,
                    stop_spike_gradient: false,
                    method: Method::ExpAuto,
                }
            }

            fn spec(&self) -> ProjectionSpec<'_> {
                spec_of!(self)
            }

            /// The kinetic parameters with their keys and domains.
            fn kinetic_params(&self) -> Vec<(&'static str, &ParamSpec, Domain)> {
                vec![$( (stringify!($field), &self.$field, Domain::$domain), )*]
            }

            /// The release window (ms): none, a spike adds to the rise variable.
            fn window(&self) -> Result<Option<f64>> {
                Ok(None)
            }
        }

        impl Default for $Name {
            /// BrainPy's defaults, all-to-all (files must name `conn`).
            fn default() -> Self {
                Self::new(Connector::all2all(true))
            }
        }

        impl From<$Repr> for $Name {
            fn from(r: $Repr) -> Self {
                let d = $Name::new(r.conn);
                $Name {
                    comp_method: r.comp_method.unwrap_or(d.comp_method),
                    g_max: r.g_max.unwrap_or(d.g_max),
                    $( $field: r.$field.unwrap_or(d.$field), )*
                    output: r.output.unwrap_or(d.output),
                    delay_step: r.delay_step,
                    stop_spike_gradient: r.stop_spike_gradient.unwrap_or(false),
                    method: r.method.unwrap_or(d.method),
                    conn: d.conn,
                }
            }
        }
    };
}

two_state_config!(
    /// Configuration of a [`DualExponential`] synapse; [`DualExponentialConfig::new`] gives
    /// BrainPy's defaults: `g_max` 1, τ_decay 10 ms, τ_rise 1 ms, no output, dense.
    DualExponentialConfig, DualExponentialRepr, "DualExponentialRepr", g_max = 1.0, output = Output::None,
    {
        /// Decay time constant τ_decay (ms). Default 10.
        tau_decay = 10.0, Positive;
        /// Rise time constant τ_rise (ms). Default 1.
        tau_rise = 1.0, Positive;
    }
);

two_state_config!(
    /// Configuration of an [`Alpha`] synapse; [`AlphaConfig::new`] gives BrainPy's defaults:
    /// `g_max` 1, τ_decay 10 ms (τ_rise = τ_decay), no output, dense.
    AlphaConfig, AlphaRepr, "AlphaRepr", g_max = 1.0, output = Output::None,
    {
        /// Time constant τ_decay = τ_rise (ms). Default 10.
        tau_decay = 10.0, Positive;
    }
);

two_state_config!(
    /// Configuration of an [`Nmda`] synapse; [`NmdaConfig::new`] gives BrainPy's defaults:
    /// `g_max` 0.15, a 0.5, τ_decay 100 ms, τ_rise 2 ms, `MgBlock(E = 0, cc_Mg = 1.2,
    /// α = 0.062, β = 3.57)`, dense.
    NmdaConfig, NmdaRepr, "NmdaRepr", g_max = 0.15, output = Output::mg_block_default(),
    {
        /// The rate `a` (1/ms) at which `x` opens g. Default 0.5.
        a = 0.5, NonNegative;
        /// Decay time constant τ_decay (ms). Default 100.
        tau_decay = 100.0, Positive;
        /// Rise time constant τ_rise of `x` (ms). Default 2.
        tau_rise = 2.0, Positive;
    }
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BioNmdaRepr {
    conn: Connector,
    comp_method: Option<CompMethod>,
    g_max: Option<ParamSpec>,
    alpha1: Option<ParamSpec>,
    beta1: Option<ParamSpec>,
    alpha2: Option<ParamSpec>,
    beta2: Option<ParamSpec>,
    #[serde(alias = "T_0")]
    t_0: Option<ParamSpec>,
    #[serde(alias = "T_dur")]
    t_dur: Option<f64>,
    output: Option<Output>,
    delay_step: Option<DelayStep>,
    stop_spike_gradient: Option<bool>,
    method: Option<Method>,
}

/// Configuration of a [`BioNmda`] synapse; [`BioNmdaConfig::new`] gives BrainPy's defaults:
/// `g_max` 0.15, α₁ 2, β₁ 0.01, α₂ 1, β₂ 0.5, T_0 1 mM, T_dur 0.5 ms, `MgBlock(E = 0)`, dense.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "BioNmdaRepr")]
pub struct BioNmdaConfig {
    /// Connectivity (required in files).
    pub conn: Connector,
    /// `dense` (default) or `sparse`.
    pub comp_method: CompMethod,
    /// Maximal conductance (parameter key `g_max`).
    pub g_max: ParamSpec,
    /// α₁ (1/ms): opening of g by x. Default 2.
    pub alpha1: ParamSpec,
    /// β₁ (1/ms): closing of g. Default 0.01.
    pub beta1: ParamSpec,
    /// α₂ (1/(mM·ms)): binding of x by the transmitter. Default 1.
    pub alpha2: ParamSpec,
    /// β₂ (1/ms): unbinding of x. Default 0.5.
    pub beta2: ParamSpec,
    /// Transmitter concentration during a release, `T_0` (mM). Default 1.
    pub t_0: ParamSpec,
    /// Release duration `T_dur` (ms): the transmitter is on while `t − t_arrival < T_dur`,
    /// BrainPy's float rule (as AMPA's `window = "time"`). Default 0.5.
    pub t_dur: f64,
    /// Output into the postsynaptic group.
    pub output: Output,
    /// Delay (none: the spikes of the previous step).
    pub delay_step: Option<DelayStep>,
    /// Detach the presynaptic spikes.
    pub stop_spike_gradient: bool,
    /// Integration method of the kinetics. Default `exp_auto`.
    pub method: Method,
}

impl BioNmdaConfig {
    /// BrainPy's defaults with connectivity `conn`.
    pub fn new(conn: Connector) -> Self {
        BioNmdaConfig {
            conn,
            comp_method: CompMethod::Dense,
            g_max: 0.15.into(),
            alpha1: 2.0.into(),
            beta1: 0.01.into(),
            alpha2: 1.0.into(),
            beta2: 0.5.into(),
            t_0: 1.0.into(),
            t_dur: 0.5,
            output: Output::mg_block_default(),
            delay_step: None,
            stop_spike_gradient: false,
            method: Method::ExpAuto,
        }
    }

    fn spec(&self) -> ProjectionSpec<'_> {
        spec_of!(self)
    }

    /// The kinetic parameters with their keys and domains (rates and concentrations are
    /// magnitudes: a negative one drives g or x outside [0, 1]).
    fn kinetic_params(&self) -> Vec<(&'static str, &ParamSpec, Domain)> {
        vec![
            ("alpha1", &self.alpha1, Domain::NonNegative),
            ("beta1", &self.beta1, Domain::NonNegative),
            ("alpha2", &self.alpha2, Domain::NonNegative),
            ("beta2", &self.beta2, Domain::NonNegative),
            ("T_0", &self.t_0, Domain::NonNegative),
        ]
    }

    /// The release window `T_dur` (ms), checked.
    fn window(&self) -> Result<Option<f64>> {
        if self.t_dur.is_finite() && self.t_dur > 0.0 {
            Ok(Some(self.t_dur))
        } else {
            Err(Error::arg(
                "T_dur",
                format!("must be a positive number of ms, got {}", self.t_dur),
            ))
        }
    }
}

impl Default for BioNmdaConfig {
    /// BrainPy's defaults, all-to-all (files must name `conn`).
    fn default() -> Self {
        Self::new(Connector::all2all(true))
    }
}

impl From<BioNmdaRepr> for BioNmdaConfig {
    fn from(r: BioNmdaRepr) -> Self {
        let d = BioNmdaConfig::new(r.conn);
        BioNmdaConfig {
            comp_method: r.comp_method.unwrap_or(d.comp_method),
            g_max: r.g_max.unwrap_or(d.g_max),
            alpha1: r.alpha1.unwrap_or(d.alpha1),
            beta1: r.beta1.unwrap_or(d.beta1),
            alpha2: r.alpha2.unwrap_or(d.alpha2),
            beta2: r.beta2.unwrap_or(d.beta2),
            t_0: r.t_0.unwrap_or(d.t_0),
            t_dur: r.t_dur.unwrap_or(d.t_dur),
            output: r.output.unwrap_or(d.output),
            delay_step: r.delay_step,
            stop_spike_gradient: r.stop_spike_gradient.unwrap_or(false),
            method: r.method.unwrap_or(d.method),
            conn: d.conn,
        }
    }
}

/// Builds the shared parts, the kinetic parameters (over the presynaptic neurons) and the
/// states `g` and `rise` (and `spike_arrival_time` with a release window).
#[allow(clippy::too_many_arguments)]
fn build(
    class: &str,
    pre: &dyn NeuronGroup,
    post: &dyn NeuronGroup,
    spec: ProjectionSpec<'_>,
    params: Vec<(&'static str, &ParamSpec, Domain)>,
    rise: &str,
    window: Option<f64>,
    name: Option<&str>,
) -> Result<(Core, Projection)> {
    let mut core = Core::new(class, name, pre.ctx(), pre.mode())?;
    let mut proj = Projection::new(&mut core, pre, post, spec)?;
    let ctx = core.ctx.clone();
    let vs = proj.pre_varshape.clone();
    for (key, p, domain) in params {
        core.params.build_in(key, p, domain, &vs, &ctx)?;
    }
    let s = &mut core.states;
    s.declare("g", StateInit::Float(Initializer::Zero), vs.clone());
    if window.is_some() {
        s.declare(
            "spike_arrival_time",
            StateInit::Float(Initializer::constant(-1e7)),
            vs.clone(),
        );
    }
    s.declare(rise, StateInit::Float(Initializer::Zero), vs);
    core.states.reset(&ctx, core.mode)?;
    proj.reset(&core);
    Ok((core, proj))
}

/// One step of a two-state synapse (BrainPy's order). Without a release `window`: the
/// kinetics integrate from the old `g` and `rise` (g with the old rise variable) and the
/// arriving spikes add into `rise`. With one (BioNMDA): an arrival sets
/// `spike_arrival_time = t`, the transmitter is on while `t − spike_arrival_time < T_dur` (in
/// the run's float type, as AMPA's `window = "time"`), and the kinetics integrate with it.
/// Then the output reads `g_post = comm(g_max·g)` with V_post from before this step's neuron
/// update.
#[allow(clippy::too_many_arguments)]
fn step(
    core: &mut Core,
    proj: &Projection,
    sys: TwoState<TVal>,
    rise: &str,
    window: Option<f64>,
    ts: &StepTime,
    pre_spike: &Spikes,
    post_v: Option<Tensor<2>>,
) -> Result<Option<Tensor<2>>> {
    let s = proj.presynaptic(core, pre_spike)?;
    let dtype = core.ctx.dtype();
    let (sys, jump) = match window {
        None => (sys, Some(s.to_float(dtype))),
        Some(t_dur) => {
            let t = ts.t_in(core.ctx.precision);
            let arrival = core
                .states
                .f("spike_arrival_time")
                .mask_fill(s.to_bool(), t);
            let td = super::ampa::round_to(t_dur, core.ctx.precision);
            let open = arrival
                .clone()
                .neg()
                .add_scalar(t)
                .lower_elem(td)
                .cast(crate::spikes::float_dtype(dtype));
            core.states.set_f("spike_arrival_time", arrival);
            (sys.with_transmitter(|t0| t0 * TVal::T(open)), None)
        }
    };
    let (g0, h0) = (core.states.f("g"), core.states.f(rise));
    let [g, h] = integrate_array(
        &sys,
        proj.method,
        [TVal::T(g0.clone()), TVal::T(h0.clone())],
        ts.t,
        ts.dt,
    );
    let g = g.into_tensor_like(&g0);
    let h = h.into_tensor_like(&h0);
    let h = match jump {
        Some(s) => h + s,
        None => h,
    };
    let current = if proj.output == Output::None {
        None
    } else {
        let g_post = proj
            .comm
            .apply(CommInput::Values(g.clone()), core.params.get("g_max"));
        proj.output
            .current(&core.params, g_post, post_v, &core.name)?
    };
    core.states.set_f("g", g);
    core.states.set_f(rise, h);
    Ok(current)
}

macro_rules! two_state_synapse {
    ($(#[$doc:meta])* $T:ident, $Cfg:ident, $class:literal, rise = $rise:literal,
     keys = $keys:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $T {
            core: Core,
            proj: Projection,
            /// The release window `T_dur` (ms) of a transmitter-releasing synapse.
            window: Option<f64>,
        }

        impl $T {
            #[doc = concat!("A synapse from `pre` to `post` named `", $class, "<k>`.")]
            pub fn new(pre: &dyn NeuronGroup, post: &dyn NeuronGroup, cfg: $Cfg) -> Result<Self> {
                Self::named(pre, post, cfg, None)
            }

            /// With an explicit name (`None` for the default).
            pub fn named(
                pre: &dyn NeuronGroup,
                post: &dyn NeuronGroup,
                cfg: $Cfg,
                name: Option<&str>,
            ) -> Result<Self> {
                let window = cfg.window()?;
                let (core, proj) = build(
                    $class,
                    pre,
                    post,
                    cfg.spec(),
                    cfg.kinetic_params(),
                    $rise,
                    window,
                    name,
                )?;
                Ok($T { core, proj, window })
            }

            /// The kinetics with their parameters' keys.
            fn keys() -> TwoState<&'static str> {
                $keys
            }

            fn step(
                &mut self,
                ts: &StepTime,
                pre_spike: &Spikes,
                post_v: Option<Tensor<2>>,
            ) -> Result<Option<Tensor<2>>> {
                let params = &self.core.params;
                let sys = Self::keys().map(|k| params.tval(k));
                let window = self.window;
                step(&mut self.core, &self.proj, sys, $rise, window, ts, pre_spike, post_v)
            }

            /// The fused host kernel.
            fn host_kernel(&self) -> Option<Result<crate::fused::HostSynapseKernel>> {
                let (core, proj, window) = (&self.core, &self.proj, self.window);
                Some(crate::host_synapse_kernel!(core.ctx.precision, E => {
                    let n = proj.n_pre;
                    Self::keys()
                        .try_map(|k| crate::fused::HParam::<E>::of_core(core, k, n))
                        .and_then(|sys| {
                        proj.host::<E>(core).and_then(|p| {
                            crate::fused::synapses::TwoStateKernel::<E>::new(
                                core, p, sys, $rise, window,
                            )
                        })
                    })
                    .map(|k| Box::new(k) as Box<dyn crate::fused::HostSynapse<E>>)
                }))
            }
        }

        impl_synapse!($T, $class);
    };
}

two_state_synapse!(
    /// Dual-exponential synapse (BrainPy `bp.synapses.DualExponential`, 2.4.6): a conductance
    /// with separate rise and decay per **presynaptic** neuron ("align pre").
    ///
    /// **Equations**: `dh/dt = −h/τ_rise + Σ_k δ(t − t_k)`, `dg/dt = −g/τ_decay + h`;
    /// `g_post = comm(g_max·g)`; output `None` (default: BrainPy's `_NullSynOut`, nothing
    /// reaches the postsynaptic group), `CUBA`: `I = g_post`, `COBA`: `I = g_post·(E − V)`,
    /// or `MgBlock`.
    ///
    /// **Discrete update** (step k), with `s` the presynaptic spike through the delay:
    /// 1. `(g, h) ← method(g, h)` as one joint system (exp_auto: g steps with the old h);
    /// 2. `h ← h + s` — a spike of step k reaches `h` at step k + 1 and `g` at step k + 2;
    /// 3. the output current from `g_post = comm(g_max·g)`, V_post before the neuron update.
    ///
    /// **Gradients** (Training mode): through `g_max`, τ_decay, τ_rise, the output's
    /// parameters, V_post and the presynaptic (surrogate) spikes, unless
    /// `stop_spike_gradient`.
    ///
    /// | parameter | unit | default |
    /// |---|---|---|
    /// | `g_max` | (per synapse) | 1 |
    /// | `tau_decay` | ms | 10 |
    /// | `tau_rise` | ms | 1 |
    /// | output | — | none |
    /// | `comp_method` | — | dense |
    ///
    /// States (per presynaptic neuron): `g`, `h`, plus `delay_buffer` with a delay. BrainPy's
    /// short-term plasticity option is not offered (a file naming `stp` is refused).
    /// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/abstract_models.py::DualExponential`;
    /// Sterratt et al., *Principles of Computational Modelling in Neuroscience* (2011), ch. 7.
    DualExponential, DualExponentialConfig, "DualExponential", rise = "h",
    keys = TwoState::DualExp { tau_decay: "tau_decay", tau_rise: "tau_rise" }
);

two_state_synapse!(
    /// Alpha synapse (BrainPy `bp.synapses.Alpha`, 2.4.6): the [`DualExponential`] kinetics
    /// with τ_rise = τ_decay (`g` of one spike ∝ `t·e^{−t/τ}`). Everything in
    /// [`DualExponential`]'s documentation applies.
    ///
    /// | parameter | unit | default |
    /// |---|---|---|
    /// | `g_max` | (per synapse) | 1 |
    /// | `tau_decay` | ms | 10 |
    /// | output | — | none |
    /// | `comp_method` | — | dense |
    ///
    /// States (per presynaptic neuron): `g`, `h`.
    /// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/abstract_models.py::Alpha`.
    Alpha, AlphaConfig, "Alpha", rise = "h",
    keys = TwoState::DualExp { tau_decay: "tau_decay", tau_rise: "tau_decay" }
);

two_state_synapse!(
    /// NMDA synapse (BrainPy `bp.synapses.NMDA`, 2.4.6): a slow, saturating conductance per
    /// **presynaptic** neuron behind the magnesium block.
    ///
    /// **Equations**: `dg/dt = −g/τ_decay + a·x·(1 − g)`, `dx/dt = −x/τ_rise + Σ_k δ(t − t_k)`;
    /// `g_post = comm(g_max·g)`; output `MgBlock` (default):
    /// `I = g_post·(E − V)/(1 + cc_Mg/β·e^{−α·V})`, or any other [`Output`].
    ///
    /// **Discrete update** (step k): `(g, x) ← method(g, x)` as one joint system (exp_auto: g
    /// steps on ∂f/∂g = −1/τ_decay − a·x with the old x), then `x ← x + s`, then the output.
    ///
    /// **Gradients** (Training mode): through `g_max`, a, τ_decay, τ_rise, the output's
    /// parameters, V_post and the presynaptic spikes, unless `stop_spike_gradient`.
    ///
    /// | parameter | unit | default |
    /// |---|---|---|
    /// | `g_max` | (per synapse) | 0.15 |
    /// | `a` | 1/ms | 0.5 |
    /// | `tau_decay` | ms | 100 |
    /// | `tau_rise` | ms | 2 |
    /// | output | — | `MgBlock(E = 0, cc_Mg = 1.2, alpha = 0.062, beta = 3.57)` |
    /// | `comp_method` | — | dense |
    ///
    /// States (per presynaptic neuron): `g`, `x`, plus `delay_buffer` with a delay.
    /// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/biological_models.py::NMDA`;
    /// Brunel & Wang (2001), *J. Comput. Neurosci.* 11:63.
    Nmda, NmdaConfig, "NMDA", rise = "x",
    keys = TwoState::Nmda { a: "a", tau_decay: "tau_decay", tau_rise: "tau_rise" }
);

two_state_synapse!(
    /// Biophysical NMDA synapse (BrainPy `bp.synapses.BioNMDA`, 2.4.6): second-order
    /// transmitter kinetics per **presynaptic** neuron behind the magnesium block.
    ///
    /// **Equations**: `dg/dt = α₁·x·(1 − g) − β₁·g`, `dx/dt = α₂·T·(1 − x) − β₂·x`, with
    /// `T = T_0` during a release and 0 otherwise; `g_post = comm(g_max·g)`; output `MgBlock`
    /// (default) or any other [`Output`].
    ///
    /// **Discrete update** (step k, `t = k·dt`), with `s` the presynaptic spike through the
    /// delay:
    /// 1. where `s` arrived, `spike_arrival_time = t`;
    /// 2. `T = T_0` while `t − spike_arrival_time < T_dur`, computed in the run's float type with
    ///    BrainPy's `t` and `T_dur` rounded to it (the rule of AMPA's `window = "time"`);
    /// 3. `(g, x) ← method(g, x)` as one joint system (exp_auto: g steps with the old x);
    /// 4. the output current, V_post before the neuron update.
    ///
    /// **Gradients** (Training mode): through `g_max`, the rates, `T_0`, the output's parameters
    /// and V_post; whether a spike arrived is a comparison, so no gradient reaches the
    /// presynaptic spikes.
    ///
    /// | parameter | unit | default |
    /// |---|---|---|
    /// | `g_max` | (per synapse) | 0.15 |
    /// | `alpha1` | 1/ms | 2 |
    /// | `beta1` | 1/ms | 0.01 |
    /// | `alpha2` | 1/(mM·ms) | 1 |
    /// | `beta2` | 1/ms | 0.5 |
    /// | `T_0` | mM | 1 |
    /// | `T_dur` | ms | 0.5 |
    /// | output | — | `MgBlock(E = 0, cc_Mg = 1.2, alpha = 0.062, beta = 3.57)` |
    /// | `comp_method` | — | dense |
    ///
    /// States (per presynaptic neuron): `g`, `x`, `spike_arrival_time` (−1e7 at reset), plus
    /// `delay_buffer` with a delay.
    /// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/biological_models.py::BioNMDA`;
    /// Devaney et al. (2010); Destexhe, Mainen & Sejnowski (1994), *Neural Comput.* 6:14.
    BioNmda, BioNmdaConfig, "BioNMDA", rise = "x",
    keys = TwoState::BioNmda {
        alpha1: "alpha1",
        beta1: "beta1",
        alpha2: "alpha2",
        beta2: "beta2",
        t: "T_0",
    }
);
