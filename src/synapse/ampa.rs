//! AMPA and GABAa: transmitter-gated conductances aligned with the presynaptic group
//! (BrainPy's legacy `bp.synapses.AMPA` / `GABAa`).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::comm::{CommInput, CompMethod};
use super::conn::Connector;
use super::delay::DelayStep;
use super::kinetics::{Gating, TransmitterWindow};
use super::output::Output;
use super::proj::{Projection, ProjectionSpec, impl_synapse};
use super::stp::ShortTermPlasticity;
use crate::dynamics::{Core, StepTime};
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::integrate::{Method, integrate};
use crate::math::TVal;
use crate::neuron::NeuronGroup;
use crate::param::{Domain, ParamSpec};
use crate::spikes::{Spikes, float_dtype};
use crate::state::StateInit;

/// The accepted spelling of an AMPA/GABAa configuration in files: `conn` is required, every
/// other field falls back to the synapse's defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KineticRepr {
    conn: Connector,
    comp_method: Option<CompMethod>,
    g_max: Option<ParamSpec>,
    alpha: Option<ParamSpec>,
    beta: Option<ParamSpec>,
    #[serde(alias = "T")]
    t: Option<ParamSpec>,
    #[serde(alias = "T_duration")]
    t_duration: Option<f64>,
    window: Option<TransmitterWindow>,
    output: Option<Output>,
    delay_step: Option<DelayStep>,
    stp: Option<ShortTermPlasticity>,
    stop_spike_gradient: Option<bool>,
    method: Option<Method>,
}

macro_rules! kinetic_config {
    ($(#[$doc:meta])* $Name:ident, $class:literal,
     g_max = $g:expr, alpha = $a:expr, beta = $b:expr, t = $t:expr, t_duration = $td:expr,
     e = $e:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(from = "KineticRepr")]
        pub struct $Name {
            /// Connectivity (required in files).
            pub conn: Connector,
            /// `dense` (default) or `sparse`.
            pub comp_method: CompMethod,
            /// Maximal conductance: a scalar, one value per synapse, or an initializer;
            /// trainable on request (parameter key `g_max`).
            pub g_max: ParamSpec,
            /// Binding rate α (1/(mM·ms)); scalar or per presynaptic neuron.
            pub alpha: ParamSpec,
            /// Unbinding rate β (1/ms); scalar or per presynaptic neuron.
            pub beta: ParamSpec,
            /// Transmitter concentration `T` during a release (mM).
            pub t: ParamSpec,
            /// Release duration `T_duration` (ms).
            pub t_duration: f64,
            /// How `T_duration` is turned into steps: BrainPy's float test (default) or
            /// whole steps.
            pub window: TransmitterWindow,
            /// Output into the postsynaptic `input`.
            pub output: Output,
            /// Delay in steps (none: the spikes of the previous step).
            pub delay_step: Option<DelayStep>,
            /// Short-term plasticity scaling each release.
            pub stp: Option<ShortTermPlasticity>,
            /// Detach the presynaptic spikes (no gradient reaches the presynaptic group).
            pub stop_spike_gradient: bool,
            /// Integration method of `g` (and of STP). Default `exp_auto`.
            pub method: Method,
        }

        impl $Name {
            /// The defaults (BrainPy's) with connectivity `conn`.
            pub fn new(conn: Connector) -> Self {
                $Name {
                    conn,
                    comp_method: CompMethod::Dense,
                    g_max: ($g).into(),
                    alpha: ($a).into(),
                    beta: ($b).into(),
                    t: ($t).into(),
                    t_duration: $td,
                    window: TransmitterWindow::Time,
                    output: Output::coba($e),
                    delay_step: None,
                    stp: None,
                    stop_spike_gradient: false,
                    method: Method::ExpAuto,
                }
            }

            fn spec(&self) -> ProjectionSpec<'_> {
                ProjectionSpec {
                    conn: &self.conn,
                    comp_method: self.comp_method,
                    g_max: &self.g_max,
                    output: &self.output,
                    delay_step: self.delay_step.as_ref(),
                    stp: self.stp.as_ref(),
                    stop_spike_gradient: self.stop_spike_gradient,
                    method: self.method,
                }
            }

            fn kinetics(&self) -> KineticParams<'_> {
                KineticParams {
                    alpha: &self.alpha,
                    beta: &self.beta,
                    t: &self.t,
                    t_duration: self.t_duration,
                    window: self.window,
                }
            }
        }

        impl Default for $Name {
            /// BrainPy's defaults, all-to-all (files must name `conn`).
            fn default() -> Self {
                Self::new(Connector::all2all(true))
            }
        }

        impl From<KineticRepr> for $Name {
            fn from(r: KineticRepr) -> Self {
                let d = $Name::new(r.conn);
                $Name {
                    comp_method: r.comp_method.unwrap_or(d.comp_method),
                    g_max: r.g_max.unwrap_or(d.g_max),
                    alpha: r.alpha.unwrap_or(d.alpha),
                    beta: r.beta.unwrap_or(d.beta),
                    t: r.t.unwrap_or(d.t),
                    t_duration: r.t_duration.unwrap_or(d.t_duration),
                    window: r.window.unwrap_or(d.window),
                    output: r.output.unwrap_or(d.output),
                    delay_step: r.delay_step,
                    stp: r.stp,
                    stop_spike_gradient: r.stop_spike_gradient.unwrap_or(false),
                    method: r.method.unwrap_or(d.method),
                    conn: d.conn,
                }
            }
        }
    };
}

kinetic_config!(
    /// Configuration of an [`Ampa`] synapse; [`AmpaConfig::new`] gives BrainPy's defaults:
    /// `g_max` 0.42, α 0.98, β 0.18, T 0.5 mM, T_duration 0.5 ms, `COBA(E = 0)`, dense.
    AmpaConfig, "AMPA", g_max = 0.42, alpha = 0.98, beta = 0.18, t = 0.5, t_duration = 0.5, e = 0.0
);

kinetic_config!(
    /// Configuration of a [`Gabaa`] synapse; [`GabaaConfig::new`] gives BrainPy's defaults:
    /// `g_max` 0.04, α 0.53, β 0.18, T 1 mM, T_duration 1 ms, `COBA(E = −80)`, dense.
    GabaaConfig, "GABAa", g_max = 0.04, alpha = 0.53, beta = 0.18, t = 1.0, t_duration = 1.0,
    e = -80.0
);

struct KineticParams<'a> {
    alpha: &'a ParamSpec,
    beta: &'a ParamSpec,
    t: &'a ParamSpec,
    t_duration: f64,
    window: TransmitterWindow,
}

/// The transmitter rule of one AMPA/GABAa synapse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window {
    /// Release duration (ms).
    pub t_duration: f64,
    /// The rule.
    pub rule: TransmitterWindow,
}

/// Builds the shared parts and the kinetic parameters and states.
fn build(
    class: &str,
    pre: &dyn NeuronGroup,
    post: &dyn NeuronGroup,
    spec: ProjectionSpec<'_>,
    k: KineticParams<'_>,
    name: Option<&str>,
) -> Result<(Core, Projection, Window)> {
    if !(k.t_duration.is_finite() && k.t_duration > 0.0) {
        return Err(Error::arg(
            "T_duration",
            format!("must be a positive number of ms, got {}", k.t_duration),
        ));
    }
    let mut core = Core::new(class, name, pre.ctx(), pre.mode())?;
    let proj = Projection::new(&mut core, pre, post, spec)?;
    let ctx = core.ctx.clone();
    let vs = proj.pre_varshape.clone();
    // Rate constants and the transmitter concentration are physical magnitudes: a negative
    // one drives g outside [0, 1] (BrainPy does not check; a file or a typo should not run).
    core.params
        .build_in("alpha", k.alpha, Domain::NonNegative, &vs, &ctx)?;
    core.params
        .build_in("beta", k.beta, Domain::NonNegative, &vs, &ctx)?;
    core.params
        .build_in("T", k.t, Domain::NonNegative, &vs, &ctx)?;
    let s = &mut core.states;
    s.declare("g", StateInit::Float(Initializer::Zero), vs.clone());
    s.declare(
        "spike_arrival_time",
        StateInit::Float(Initializer::constant(-1e7)),
        vs.clone(),
    );
    if k.window == TransmitterWindow::Steps {
        s.declare(
            "transmitter_steps",
            StateInit::Float(Initializer::Zero),
            vs.clone(),
        );
    }
    s.declare("release", StateInit::Float(Initializer::Zero), vs);
    core.states.reset(&ctx, core.mode)?;
    let mut proj = proj;
    proj.reset(&core);
    let window = Window {
        t_duration: k.t_duration,
        rule: k.window,
    };
    Ok((core, proj, window))
}

/// `x` rounded to the float type of `precision` (returned as `f64`).
pub(crate) fn round_to(x: f64, precision: crate::backend::Precision) -> f64 {
    match precision {
        crate::backend::Precision::F32 => x as f32 as f64,
        crate::backend::Precision::F64 => x,
    }
}

/// One AMPA/GABAa step (shared by both types).
fn kinetic_step(
    core: &mut Core,
    proj: &Projection,
    window: Window,
    ts: &StepTime,
    pre_spike: &Spikes,
    post_v: Option<Tensor<2>>,
) -> Result<Option<Tensor<2>>> {
    let s = proj.presynaptic(core, pre_spike)?;
    let dtype = core.ctx.dtype();
    let s_f = s.to_float(dtype);
    let arrived = s.to_bool();
    let amplitude = match &proj.stp {
        Some(stp) => {
            let scale = stp.step(&core.params, &mut core.states, s_f.clone(), proj.method, ts);
            s_f * scale
        }
        None => s_f,
    };
    let p = &core.params;
    let st = &core.states;
    // BrainPy's `t` in the run's float type (exact in it, so the fill and the subtraction
    // below round as BrainPy's do).
    let t = ts.t_in(core.ctx.precision);
    let arrival = st.f("spike_arrival_time").mask_fill(arrived.clone(), t);
    let release = st.f("release").mask_where(arrived.clone(), amplitude);
    let (open, steps) = match window.rule {
        TransmitterWindow::Time => {
            // t − t_arrival < T_duration, with T_duration rounded to the run's type.
            let td = round_to(window.t_duration, core.ctx.precision);
            let elapsed = arrival.clone().neg().add_scalar(t);
            (elapsed.lower_elem(td), None)
        }
        TransmitterWindow::Steps => {
            let n = (window.t_duration / ts.dt).round().max(1.0);
            let steps = st.f("transmitter_steps").mask_fill(arrived, n);
            (steps.clone().greater_elem(0.0), Some(steps))
        }
    };
    let open = open.cast(float_dtype(dtype));
    let g_old = st.f("g");
    let sys = Gating {
        alpha: p.tval("alpha"),
        beta: p.tval("beta"),
        tt: p.tval("T") * TVal::T(release.clone() * open),
    };
    let g = integrate(&sys, proj.method, &[TVal::T(g_old.clone())], ts.t, ts.dt)
        .remove(0)
        .into_tensor_like(&g_old);
    // g_post = comm(g_max · g): the weights of the communication layer are g_max.
    let g_post = proj
        .comm
        .apply(CommInput::Values(g.clone()), p.get("g_max"));
    let current = proj.output.current(p, g_post, post_v, &core.name)?;
    let st = &mut core.states;
    st.set_f("g", g);
    st.set_f("spike_arrival_time", arrival);
    if let Some(steps) = steps {
        st.set_f("transmitter_steps", steps.sub_scalar(1.0).clamp_min(0.0));
    }
    st.set_f("release", release);
    Ok(current)
}

macro_rules! kinetic_synapse {
    ($(#[$doc:meta])* $T:ident, $Cfg:ident, $class:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $T {
            core: Core,
            proj: Projection,
            window: Window,
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
                let (core, proj, window) =
                    build($class, pre, post, cfg.spec(), cfg.kinetics(), name)?;
                Ok($T { core, proj, window })
            }

            fn step(
                &mut self,
                ts: &StepTime,
                pre_spike: &Spikes,
                post_v: Option<Tensor<2>>,
            ) -> Result<Option<Tensor<2>>> {
                kinetic_step(&mut self.core, &self.proj, self.window, ts, pre_spike, post_v)
            }

            /// The fused host kernel.
            fn host_kernel(&self) -> Option<Result<crate::fused::HostSynapseKernel>> {
                let (core, proj, w) = (&self.core, &self.proj, self.window);
                Some(crate::host_synapse_kernel!(core.ctx.precision, E => {
                    proj.host::<E>(core)
                        .and_then(|p| crate::fused::synapses::GatingKernel::<E>::new(core, p, w.t_duration, w.rule))
                        .map(|k| Box::new(k) as Box<dyn crate::fused::HostSynapse<E>>)
                }))
            }
        }

        impl_synapse!($T, $class);
    };
}

kinetic_synapse!(
    /// AMPA synapse (BrainPy `bp.synapses.AMPA`, 2.4.6): a transmitter-gated conductance per
    /// **presynaptic** neuron ("align pre"), projected onto the postsynaptic group.
    ///
    /// **Equations**: `dg/dt = α·TT·(1 − g) − β·g`; `g_post = comm(g_max·g)` (see
    /// [`super::comm`]); output `COBA`: `I = g_post·(E − V_post)` or `CUBA`: `I = g_post`,
    /// added into the postsynaptic `input`.
    ///
    /// **Discrete update** (step k, `t = k·dt`), with `s` the presynaptic spike through the
    /// delay (SPEC §4 latency rule, see [`super::delay`]):
    /// 1. `stop_spike_gradient`: `s` is detached; STP advances and gives the release scale `a`
    ///    (`a = 1` without STP).
    /// 2. Where `s` arrived: `spike_arrival_time = t`, `release = s·a`.
    /// 3. `TT = T·release` while the transmitter is on, else 0. `window = "time"` (default,
    ///    BrainPy's rule): on while `t − spike_arrival_time < T_duration`, computed in the
    ///    run's float type with BrainPy's `t` (float32: `fl32(f32(k)·f32(dt))`, see
    ///    [`StepTime::t_in`]) and `T_duration` rounded to that type — `round(T_duration/dt)`
    ///    steps including the arrival step, or one more or less where the rounding says so.
    ///    `window = "steps"`: on for `max(1, round(T_duration/dt))` whole steps, counted down by
    ///    the state `transmitter_steps` (set at an arrival).
    /// 4. `g ← method(g)` with TT constant (exp_auto: the exact exponential step
    ///    `g∞ + (g − g∞)e^{−(αTT+β)dt}`); with `window = "steps"`,
    ///    `transmitter_steps ← max(transmitter_steps − 1, 0)`.
    /// 5. `g_post = comm(g_max·g)` and the output current, with V_post from before this step's
    ///    neuron update.
    ///
    /// **Gradients** (Training mode): through `g_max`, α, β, T, E, the postsynaptic V, and the
    /// presynaptic spikes via the release amplitude: `release = s·a` is the float spike at its
    /// arrival step, so ∂TT/∂s = T·a during the window. Whether a spike *arrived* is decided by
    /// `s > 0` (a Heaviside spike); with a smooth forward (`forward_use_surrogate`) every
    /// nonzero value counts as an arrival — use [`super::Exponential`] for smooth spikes.
    ///
    /// | parameter | unit | AMPA default | GABAa default |
    /// |---|---|---|---|
    /// | `g_max` | mS/cm² (per synapse) | 0.42 | 0.04 |
    /// | `alpha` | 1/(mM·ms) | 0.98 | 0.53 |
    /// | `beta` | 1/ms | 0.18 | 0.18 |
    /// | `T` | mM | 0.5 | 1 |
    /// | `T_duration` | ms | 0.5 | 1 |
    /// | `window` | — | `time` | `time` |
    /// | output | — | `COBA(E = 0)` | `COBA(E = −80)` |
    /// | `comp_method` | — | dense | dense |
    ///
    /// States (per presynaptic neuron): `g`, `spike_arrival_time` (−1e7 at reset), `release`,
    /// `transmitter_steps` with `window = "steps"`, plus `u`/`x` with STP and `delay_buffer`
    /// with a delay.
    /// Unlike BrainPy, Training mode is supported.
    /// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/biological_models.py::AMPA`;
    /// Destexhe, Mainen & Sejnowski (1994), *Neural Comput.* 6:14.
    Ampa, AmpaConfig, "AMPA"
);

kinetic_synapse!(
    /// GABAa synapse (BrainPy `bp.synapses.GABAa`, 2.4.6): the [`Ampa`] kinetics with GABAa's
    /// defaults (`g_max` 0.04, α 0.53, β 0.18, T 1 mM, T_duration 1 ms, `COBA(E = −80)`).
    /// Everything in [`Ampa`]'s documentation applies. `oracle` case d pins it.
    /// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/synapses/biological_models.py::GABAa`.
    Gabaa, GabaaConfig, "GABAa"
);
