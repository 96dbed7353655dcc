//! Conductance-based neuron group with pluggable ion channels (BrainPy's `bp.CondNeuGroup`).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::wang_buzsaki::{check_param, crossing_spike};
use super::{NeuronGroup, add_noise};
use crate::backend::Ctx;
use crate::channel::{Channel, ChannelParams, GateSystem};
use crate::dynamics::{Core, Dynamics, StepTime, check_name};
use crate::error::{Error, Result};
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::integrate::{Method, OdeRhs, integrate};
use crate::math::{Dual, TVal};
use crate::mode::Mode;
use crate::param::{NParam, ParamSpec};
use crate::state::StateInit;
use crate::surrogate::TwoInputSurrogate;

/// Configuration of a [`CondNeuGroup`] (the membrane; the channels are passed separately);
/// `Default` gives BrainPy's defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CondNeuGroupConfig {
    /// Membrane capacitance `C` (µF/cm²). Default 1.
    #[serde(alias = "C")]
    pub c: ParamSpec,
    /// Membrane area `A` (cm²): the external input is multiplied by `1e-3/A` (nA → µA/cm²).
    /// Default 1e-3 (factor 1).
    #[serde(alias = "A")]
    pub a: ParamSpec,
    /// Spike threshold `V_th` (mV). Default 0.
    #[serde(alias = "V_th")]
    pub v_th: ParamSpec,
    /// Initial V (mV). Default `Uniform(−70, −60)` (BrainPy's; seeded, seed 0).
    #[serde(alias = "V_initializer")]
    pub v_initializer: Initializer,
    /// Noise σ on V (Euler–Maruyama), none by default.
    pub noise: Option<ParamSpec>,
    /// Seed of the noise stream.
    pub noise_seed: u64,
    /// Integration method of V. Default `exp_auto` (each channel has its own for its gates).
    pub method: Method,
    /// The crossing surrogate of the spike in Training mode. Default `InvSquareGrad2(α=100)`.
    pub surrogate: TwoInputSurrogate,
}

impl Default for CondNeuGroupConfig {
    fn default() -> Self {
        CondNeuGroupConfig {
            c: 1.0.into(),
            a: 1e-3.into(),
            v_th: 0.0.into(),
            v_initializer: Initializer::uniform(-70.0, -60.0, 0),
            noise: None,
            noise_seed: 0,
            method: Method::ExpAuto,
            surrogate: TwoInputSurrogate::default(),
        }
    }
}

/// A channel of a group with its name and the keys of its parameters and gates.
#[derive(Clone, Debug)]
struct Slot {
    name: String,
    channel: Box<dyn Channel>,
    /// (local name, key in the group's parameters).
    params: Vec<(&'static str, String)>,
    /// Keys of the gates in the group's states.
    gates: Vec<String>,
}

/// dV/dt = (I + Σ channel currents(V, old gates)) / C, on dual numbers for exp_auto.
struct MembraneOde<'a> {
    slots: &'a [Slot],
    params: &'a [ChannelParams],
    gates: &'a [Vec<TVal>],
    i: TVal,
    c: TVal,
}

impl MembraneOde<'_> {
    fn dv(&self, v: Dual<TVal>) -> Dual<TVal> {
        let mut sum = Dual::cst(self.i.clone());
        for ((slot, p), g) in self.slots.iter().zip(self.params).zip(self.gates) {
            sum = sum + slot.channel.current(v.clone(), g, p);
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
    /// A group of `size` neurons named `CondNeuGroup<k>` with `channels` as
    /// `(name, channel)` pairs (BrainPy's keyword arguments `INa=..., IK=..., IL=...`).
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
        let p = &mut core.params;
        p.build("C", &cfg.c, &vs, ctx)?;
        p.build("A", &cfg.a, &vs, ctx)?;
        p.build("V_th", &cfg.v_th, &vs, ctx)?;
        check_param(p, "C", "C", |x| x > 0.0, "positive")?;
        check_param(p, "A", "A", |x| x > 0.0, "positive")?;
        // In `params` (under `noise`) so that device moves, optimizers and state dicts see it.
        if let Some(n) = &cfg.noise {
            core.params.build("noise", n, &vs, ctx)?;
        }
        cfg.v_initializer.validate("V_initializer")?;
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
            for (local, spec) in channel.param_specs() {
                let key = format!("{ch_name}.{local}");
                core.params.build(&key, &spec, &vs, ctx)?;
                keys.push((local, key));
            }
            for &local in channel.nonnegative_params() {
                let key = format!("{ch_name}.{local}");
                check_param(&core.params, &key, &key, |x| x >= 0.0, "non-negative")?;
            }
            let mut gates = Vec::new();
            for &gate in channel.gate_names() {
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

    /// The channels as `(name, channel)`, in the order given.
    pub fn channels(&self) -> impl Iterator<Item = (&str, &dyn Channel)> {
        self.slots
            .iter()
            .map(|s| (s.name.as_str(), s.channel.as_ref()))
    }

    fn channel_params(&self) -> Vec<ChannelParams> {
        self.slots
            .iter()
            .map(|s| {
                ChannelParams::new(
                    s.params
                        .iter()
                        .map(|(local, key)| (*local, self.core.params.tval(key)))
                        .collect(),
                )
            })
            .collect()
    }

    /// Sets every gate to its steady state at the current V.
    fn init_gates(&mut self) {
        let v = TVal::T(self.core.states.f("V"));
        let params = self.channel_params();
        for (slot, p) in self.slots.iter().zip(&params) {
            let steady = slot.channel.steady_state(&v, p);
            assert_eq!(
                steady.len(),
                slot.gates.len(),
                "channel `{}` ({}) returned {} steady-state values for {} gates",
                slot.name,
                slot.channel.class_name(),
                steady.len(),
                slot.gates.len()
            );
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

    /// Re-creates V, `input` and `spike` from their initializers, then puts every gate at its
    /// steady state at the new V (BrainPy's channel `reset_state(V)`).
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
        use crate::fused::neurons::cond::{ChannelSpec, CondKernel};
        let mut specs = Vec::new();
        for s in &self.slots {
            specs.push(ChannelSpec {
                kind: s.channel.host_kind()?,
                method: s.channel.method(),
                params: &s.params,
                gates: &s.gates,
            });
        }
        let (core, method, seed) = (&self.core, self.method, self.noise_seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            CondKernel::<E>::new(core, method, seed, &specs)
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
        // I·(1e−3/A); the factor is exactly 1 for the default A = 1e−3 (then skipped).
        let i = match TVal::S(1e-3) / core.params.tval("A") {
            TVal::S(1.0) => TVal::T(core.states.f("input")),
            scale => TVal::T(core.states.f("input")) * scale,
        };
        let membrane = MembraneOde {
            slots: &self.slots,
            params: &params,
            gates: &gates,
            i,
            c: core.params.tval("C"),
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
            let sys = GateSystem {
                channel: slot.channel.as_ref(),
                v: &v_old,
                params: p,
            };
            let out = integrate(&sys, slot.channel.method(), g, ts.t, ts.dt);
            for (key, x) in slot.gates.iter().zip(out) {
                new_gates.push((key.clone(), x.into_tensor_like(&v)));
            }
        }
        let spike = crossing_spike(
            &v,
            &v_new,
            &core.params.tval("V_th"),
            core.mode,
            &self.surrogate,
        );
        let s = &mut self.core.states;
        s.set_f("V", v_new);
        for (key, g) in new_gates {
            s.set_f(&key, g);
        }
        s.set("spike", spike);
        Ok(())
    }
}
