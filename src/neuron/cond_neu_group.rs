//! Conductance-based neuron group with pluggable ion channels (BrainPy's `bp.CondNeuGroup`).

use burn::tensor::Tensor;

use super::{NeuronGroup, add_noise};
use crate::backend::Ctx;
use crate::channel::Channel;
use crate::dynamics::{Core, Dynamics, StepTime, check_name};
use crate::error::{Error, Result};
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::integrate::{Method, OdeRhs, integrate};
use crate::math::{Dual, TVal};
use crate::mode::Mode;
use crate::model::Fields;
use crate::model::group::tensor_crossing;
use crate::param::{Domain, NParam, ParamSpec};
use crate::state::StateInit;
use crate::surrogate::TwoInputSurrogate;

crate::model_config! {
    /// Configuration of a [`CondNeuGroup`] (the membrane; the channels are passed separately);
    /// `Default` gives BrainPy's defaults.
    pub struct CondNeuGroupConfig;
    /// The membrane parameters of a [`CondNeuGroup`].
    pub struct CondParams {
        /// Membrane capacitance `C` (µF/cm²). Default 1.
        c: "C" = 1.0, Positive;
        /// Membrane area `A` (cm²): the external input is multiplied by `1e-3/A` (nA → µA/cm²).
        /// Default 1e-3 (factor 1).
        a: "A" = 1e-3, Positive;
        /// Spike threshold `V_th` (mV). Default 0.
        v_th: "V_th" = 0.0, Any;
    }
    options {
        /// Initial V (mV). Default `Uniform(−70, −60)` (BrainPy's; seeded, seed 0).
        #[serde(alias = "V_initializer")]
        v_initializer: Initializer = Initializer::uniform(-70.0, -60.0, 0);
        /// Noise σ on V (Euler–Maruyama), none by default.
        noise: Option<ParamSpec> = None;
        /// Seed of the noise stream.
        noise_seed: u64 = 0;
        /// Integration method of V. Default `exp_auto` (each channel has its own for its gates).
        method: Method = Method::ExpAuto;
        /// The crossing surrogate of the spike in Training mode. Default `InvSquareGrad2(α=100)`.
        surrogate: TwoInputSurrogate = TwoInputSurrogate::default();
    }
}

/// A channel of a group with its name and the keys of its parameters and gates.
#[derive(Clone, Debug)]
struct Slot {
    name: String,
    channel: Box<dyn Channel>,
    params: Vec<String>,
    gates: Vec<String>,
}

/// dV/dt = (I + Σ channel currents(V, old gates)) / C, on dual numbers for exp_auto.
struct MembraneOde<'a> {
    slots: &'a [Slot],
    params: &'a [Vec<TVal>],
    gates: &'a [Vec<TVal>],
    i: TVal,
    c: TVal,
}

impl MembraneOde<'_> {
    fn dv(&self, v: Dual<TVal>) -> Dual<TVal> {
        let mut sum = Dual::cst(self.i.clone());
        for ((slot, p), g) in self.slots.iter().zip(self.params).zip(self.gates) {
            sum = sum + slot.channel.current_tensors(v.clone(), g, p);
        }
        sum / Dual::cst(self.c.clone())
    }
}

impl OdeRhs<TVal> for MembraneOde<'_> {
    fn n_equations(&self) -> usize {
        1
    }
    fn rhs(&self, _i: usize, x: &[TVal], _t: f64) -> TVal {
        self.dv(Dual::cst(x[0].clone())).v
    }
    fn rhs_dual(&self, _i: usize, x: &[Dual<TVal>], _t: f64) -> Dual<TVal> {
        self.dv(x[0].clone())
    }
}

/// A conductance-based neuron group whose membrane current is the sum of its ion channels'
/// (BrainPy `bp.CondNeuGroup` / `bp.dyn.CondNeuGroupLTC`, 2.4.6).
///
/// **Equation**: `C dV/dt = I·(1e−3/A) + Σ_ch I_ch(V, gates_ch)`, `I` the accumulated `input`
/// (nA when `A` is an area in cm²; with the default `A = 1e−3` the factor is 1 and `I` is in
/// µA/cm²); each channel's gates follow their own kinetics (see [`Channel`]).
///
/// **Discrete update** (step k, `t = k·dt`), BrainPy's LTC order:
/// 1. `V⁺` = one step of the group's method on the V equation with every gate held at its old
///    value (exp_auto: `V⁺ = V + dt·φ(dt·∂f/∂V)·f`, the partial exact through dual numbers);
///    with noise, `V⁺ += σ√dt·ξ`.
/// 2. Every channel integrates its gates with its own method, V held at the **old** V.
/// 3. Spike: `V_old < V_th ≤ V⁺` — bool in NonBatching/Batching; in Training a float with the
///    two-input crossing surrogate (`inv_square_grad2`, α = 100) on `(V⁺ − V_th, V_old − V_th)`.
///    No reset.
///
/// Everything accumulated in `input` — external current and synaptic outputs alike — is
/// scaled by `1e−3/A`, as in BrainPy's `CondNeuGroup` (its `CondNeuGroupLTC` variant would add
/// projection currents unscaled inside the derivative; with the default `A` both agree).
///
/// The gates start at their steady state at the initial V, at construction and on every
/// `reset_state` (BrainPy leaves them at 0 for channels added after construction; here
/// channels are only given at construction).
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `C` | µF/cm² | 1 |
/// | `A` | cm² | 1e−3 |
/// | `V_th` | mV | 0 |
/// | `V_initializer` | mV | Uniform(−70, −60), seeded |
///
/// Channel parameters live under `<channel>.<param>` (`INa.g_max`), gates under
/// `<channel>.<gate>` (`INa.p`, `INa.q`, `IK.p`). States: `V`, `input`, `spike` and the gates.
///
/// Reference: BrainPy 2.4.6 `brainpy/_src/dyn/neurons/hh.py::CondNeuGroupLTC`; `oracle`
/// case c pins it with the HH channels.
#[derive(Clone, Debug)]
pub struct CondNeuGroup {
    core: Core,
    geometry: Geometry,
    slots: Vec<Slot>,
    method: Method,
    surrogate: TwoInputSurrogate,
    noise_seed: u64,
}

impl CondNeuGroup {
    /// A group of `size` neurons with `channels` (name, channel) named `CondNeuGroup<k>`.
    pub fn new<S: Into<String>>(
        size: impl IntoGeometry,
        cfg: CondNeuGroupConfig,
        channels: impl IntoIterator<Item = (S, Box<dyn Channel>)>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        Self::named(size, cfg, channels, None, ctx, mode)
    }

    /// A group with an explicit name (`None` for the default).
    pub fn named<S: Into<String>>(
        size: impl IntoGeometry,
        cfg: CondNeuGroupConfig,
        channels: impl IntoIterator<Item = (S, Box<dyn Channel>)>,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        let vs = geometry.varshape();
        let mut core = Core::new("CondNeuGroup", name, ctx, mode)?;
        let membrane = cfg.params();
        for (key, spec, domain) in [
            ("C", &membrane.c, Domain::Positive),
            ("A", &membrane.a, Domain::Positive),
            ("V_th", &membrane.v_th, Domain::Any),
        ] {
            core.params.build_in(key, spec, domain, &vs, ctx)?;
        }
        if let Some(n) = &cfg.noise {
            core.params
                .build_in("noise", n, Domain::NonNegative, &vs, ctx)?;
        }
        cfg.v_initializer.validate_for("V_initializer", &vs)?;
        let s = &mut core.states;
        s.declare("V", StateInit::Float(cfg.v_initializer.clone()), vs.clone());
        s.declare("input", StateInit::Float(Initializer::Zero), vs.clone());
        s.declare("spike", StateInit::Spike, vs.clone());

        let mut slots: Vec<Slot> = Vec::new();
        for (ch_name, channel) in channels {
            let ch_name: String = ch_name.into();
            check_name(&ch_name).map_err(|_| {
                Error::arg(
                    "channels",
                    format!("channel name `{ch_name}` must be an identifier"),
                )
            })?;
            if slots.iter().any(|s| s.name == ch_name) {
                return Err(Error::DuplicateName(format!("channel `{ch_name}`")));
            }
            let mut keys = Vec::new();
            for ((local, spec), domain) in channel
                .param_keys()
                .iter()
                .zip(channel.param_values())
                .zip(channel.param_domains())
            {
                let key = format!("{ch_name}.{local}");
                core.params.build_in(&key, &spec, *domain, &vs, ctx)?;
                keys.push(key);
            }
            let mut gates = Vec::new();
            for gate in channel.gate_keys() {
                let key = format!("{ch_name}.{gate}");
                core.states
                    .declare(&key, StateInit::Float(Initializer::Zero), vs.clone());
                gates.push(key);
            }
            slots.push(Slot {
                name: ch_name,
                channel,
                params: keys,
                gates,
            });
        }
        core.states.reset(ctx, core.mode)?;
        let mut group = CondNeuGroup {
            core,
            geometry,
            slots,
            method: cfg.method,
            surrogate: cfg.surrogate,
            noise_seed: cfg.noise_seed,
        };
        group.init_gates();
        Ok(group)
    }

    /// The channels with their names.
    pub fn channels(&self) -> impl Iterator<Item = (&str, &dyn Channel)> {
        self.slots
            .iter()
            .map(|s| (s.name.as_str(), s.channel.as_ref()))
    }

    fn channel_params(&self) -> Vec<Vec<TVal>> {
        self.slots
            .iter()
            .map(|s| s.params.iter().map(|k| self.core.params.tval(k)).collect())
            .collect()
    }

    fn init_gates(&mut self) {
        let v = TVal::T(self.core.states.f("V"));
        let params = self.channel_params();
        for (slot, p) in self.slots.iter().zip(&params) {
            let steady = slot.channel.steady_tensors(&v, p);
            for (key, g) in slot.gates.iter().zip(steady) {
                let like = self.core.states.f(key);
                self.core.states.set_f(key, g.into_tensor_like(&like));
            }
        }
    }
}

impl Dynamics for CondNeuGroup {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "CondNeuGroup"
    }

    fn reset_state(&mut self, batch: Option<usize>) -> Result<()> {
        self.core.reset(batch)?;
        self.init_gates();
        Ok(())
    }
}

impl NeuronGroup for CondNeuGroup {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        use crate::fused::cond_host::{CondChannel, CondHost};
        let (core, method, seed) = (&self.core, self.method, self.noise_seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            self.slots
                .iter()
                .map(|s| {
                    let k = s.channel.host_kernel(core, &s.name)?;
                    let kernel = <E as crate::fused::HostFloat>::channel_kernel(k)
                        .ok_or_else(|| Error::Backend("channel kernel of another precision".into()))?;
                    Ok(CondChannel { name: s.name.clone(), kernel })
                })
                .collect::<Result<Vec<_>>>()
                .and_then(|chs| CondHost::<E>::new(core, chs, method, seed))
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let core = &self.core;
        let v: Tensor<2> = core.states.f("V");
        let params = self.channel_params();
        let gates: Vec<Vec<TVal>> = self
            .slots
            .iter()
            .map(|s| s.gates.iter().map(|k| TVal::T(core.states.f(k))).collect())
            .collect();
        // The membrane parameters, typed (their keys come from the declaration).
        let cp = CondParams::<TVal>::from_fn(|k| {
            core.params
                .tval(<CondParams<TVal> as Fields<TVal>>::KEYS[k])
        });
        // I·(1e−3/A); the factor is exactly 1 for the default A = 1e−3 (then skipped).
        let i = match TVal::S(1e-3) / cp.a.clone() {
            TVal::S(1.0) => TVal::T(core.states.f("input")),
            scale => TVal::T(core.states.f("input")) * scale,
        };
        let membrane = MembraneOde {
            slots: &self.slots,
            params: &params,
            gates: &gates,
            i,
            c: cp.c.clone(),
        };
        let v_new = integrate(&membrane, self.method, &[TVal::T(v.clone())], ts.t, ts.dt)
            .remove(0)
            .into_tensor_like(&v);
        let noise = self.core.params.try_get("noise").map(NParam::tval);
        let v_new = add_noise(v_new, noise.as_ref(), self.noise_seed, ts, &core.ctx);

        let v_old = TVal::T(v.clone());
        let mut new_gates: Vec<(String, Tensor<2>)> = Vec::new();
        for ((slot, p), g) in self.slots.iter().zip(&params).zip(&gates) {
            if slot.gates.is_empty() {
                continue;
            }
            let out = slot.channel.step_tensors(&v_old, g, p, ts);
            for (key, x) in slot.gates.iter().zip(out) {
                new_gates.push((key.clone(), x.into_tensor_like(&v)));
            }
        }
        let spike = tensor_crossing(&v, &v_new, &cp.v_th, core.mode, &self.surrogate);
        let s = &mut self.core.states;
        s.set_f("V", v_new);
        for (key, g) in new_gates {
            s.set_f(&key, g);
        }
        s.set("spike", spike);
        Ok(())
    }
}
