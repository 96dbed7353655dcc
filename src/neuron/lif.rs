//! Leaky integrate-and-fire neuron (BrainPy's legacy `bp.neurons.LIF`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{NeuronGroup, add_noise, ge, le, where_val};
use crate::backend::Ctx;
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::Result;
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::integrate::{Method, OdeSystem, integrate};
use crate::math::{Real, TVal};
use crate::mode::Mode;
use crate::param::{NParam, ParamSpec};
use crate::state::StateInit;
use crate::surrogate::{SpikeFunction, Surrogate, SurrogateFunction};

/// How the membrane is reset after a spike in Training mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeReset {
    /// `V ← V − (V_th − V_reset)·spike` (BrainPy's default in Training mode).
    #[default]
    Soft,
    /// `V ← V + (V_reset − V)·spike`.
    Hard,
}

/// Configuration of a [`Lif`] group; `Default` gives BrainPy's defaults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifConfig {
    /// Resting potential `V_rest` (mV). Default 0.
    #[serde(alias = "V_rest")]
    pub v_rest: ParamSpec,
    /// Reset potential `V_reset` (mV). Default −5.
    #[serde(alias = "V_reset")]
    pub v_reset: ParamSpec,
    /// Threshold `V_th` (mV). Default 20.
    #[serde(alias = "V_th")]
    pub v_th: ParamSpec,
    /// Membrane resistance `R`. Default 1.
    #[serde(alias = "R")]
    pub r: ParamSpec,
    /// Membrane time constant `tau` (ms). Default 10.
    pub tau: ParamSpec,
    /// Refractory period `tau_ref` (ms). Default 0.
    pub tau_ref: ParamSpec,
    /// Initial membrane potential. Default 0.
    #[serde(alias = "V_initializer")]
    pub v_initializer: Initializer,
    /// Noise σ on V (Euler–Maruyama), none by default.
    pub noise: Option<ParamSpec>,
    /// Seed of the noise stream.
    pub noise_seed: u64,
    /// Integration method. Default `exp_auto`.
    pub method: Method,
    /// Surrogate of the spike in Training mode. Default `InvSquareGrad(alpha=100)`.
    pub surrogate: Surrogate,
    /// Smooth forward spike in Training mode (BrainPy's `forward_use_surrogate`).
    pub forward_use_surrogate: bool,
    /// Reset rule in Training mode. Default soft.
    pub spk_reset: SpikeReset,
    /// Detach the spike in the reset (BrainPy's `detach_spk`). Default false.
    pub detach_spk: bool,
    /// A user surrogate replacing `surrogate` (not serialisable).
    #[serde(skip)]
    pub custom_surrogate: Option<Arc<dyn SurrogateFunction>>,
}

impl Default for LifConfig {
    fn default() -> Self {
        LifConfig {
            v_rest: 0.0.into(),
            v_reset: (-5.0).into(),
            v_th: 20.0.into(),
            r: 1.0.into(),
            tau: 10.0.into(),
            tau_ref: 0.0.into(),
            v_initializer: Initializer::Zero,
            noise: None,
            noise_seed: 0,
            method: Method::ExpAuto,
            surrogate: Surrogate::inv_square_grad(),
            forward_use_surrogate: false,
            spk_reset: SpikeReset::Soft,
            detach_spk: false,
            custom_surrogate: None,
        }
    }
}

/// `τ dV/dt = −(V − V_rest) + R·I`, written once for every number type.
pub(crate) fn lif_dv<T: Real>(v: T, v_rest: T, r: T, i: T, tau: T) -> T {
    (-v + v_rest + r * i) / tau
}

struct LifOde {
    v_rest: TVal,
    r: TVal,
    tau: TVal,
    i: TVal,
}

impl OdeSystem<TVal> for LifOde {
    fn n_vars(&self) -> usize {
        1
    }
    fn derivative<T: Real + From<TVal>>(&self, _i: usize, x: &[T], _t: f64) -> T {
        lif_dv(
            x[0].clone(),
            T::from(self.v_rest.clone()),
            T::from(self.r.clone()),
            T::from(self.i.clone()),
            T::from(self.tau.clone()),
        )
    }
}

/// Leaky integrate-and-fire neuron with refractoriness (BrainPy `bp.neurons.LIF`, 2.4.6).
///
/// **Equation**: `τ dV/dt = −(V − V_rest) + R·I`, `I` the accumulated `input`.
///
/// **Discrete update** (step k, `t = k·dt`): `V* = method(V, I)` (exp_auto: exactly
/// `V + (1 − e^{−dt/τ})(V_rest + R·I − V)`), plus `σ√dt·ξ` with noise; refractory neurons
/// (`t − t_last_spike ≤ tau_ref`) keep their old V.
/// * NonBatching/Batching: `spike = V* ≥ V_th` (bool); `V = V_reset` where it spiked;
///   `t_last_spike = t` there.
/// * Training: `spike = surrogate(V* − V_th)` (float, Heaviside forward); soft reset
///   `V = V* − (V_th − V_reset)·spike` (default) or hard `V = V* + (V_reset − V*)·spike`, with
///   the gradient through the reset unless `detach_spk`.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `V_rest` | mV | 0 |
/// | `V_reset` | mV | −5 |
/// | `V_th` | mV | 20 |
/// | `R` | — | 1 |
/// | `tau` | ms | 10 |
/// | `tau_ref` | ms | 0 |
/// | `V_initializer` | mV | 0 |
///
/// States: `V`, `input`, `spike`, `t_last_spike` (−1e7 at reset).
/// Reference: BrainPy 2.4.6 `brainpy/_src/dynold/neurons/reduced_models.py::LIF`;
/// `oracle/data/g_training_lif_bptt.json` pins its Training-mode BPTT.
#[derive(Clone, Debug)]
pub struct Lif {
    core: Core,
    geometry: Geometry,
    method: Method,
    spk_reset: SpikeReset,
    detach_spk: bool,
    spike_fn: SpikeFunction,
    noise_seed: u64,
}

impl Lif {
    /// A group of `size` neurons named `LIF<k>`.
    pub fn new(size: impl IntoGeometry, cfg: LifConfig, ctx: &Ctx, mode: Mode) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// A group with an explicit name (`None` for the default).
    pub fn named(
        size: impl IntoGeometry,
        cfg: LifConfig,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let geometry = size.into_geometry()?;
        let vs = geometry.varshape();
        let mut core = Core::new("LIF", name, ctx, mode)?;
        let p = &mut core.params;
        p.build("V_rest", &cfg.v_rest, &vs, ctx)?;
        p.build("V_reset", &cfg.v_reset, &vs, ctx)?;
        p.build("V_th", &cfg.v_th, &vs, ctx)?;
        p.build("R", &cfg.r, &vs, ctx)?;
        p.build("tau", &cfg.tau, &vs, ctx)?;
        p.build("tau_ref", &cfg.tau_ref, &vs, ctx)?;
        // In `params` (under `noise`) so that device moves, optimizers and state dicts see it.
        if let Some(n) = &cfg.noise {
            core.params.build("noise", n, &vs, ctx)?;
        }
        cfg.v_initializer.validate("V_initializer")?;
        let s = &mut core.states;
        s.declare("V", StateInit::Float(cfg.v_initializer.clone()), vs.clone());
        s.declare("input", StateInit::Float(Initializer::Zero), vs.clone());
        s.declare("spike", StateInit::Spike, vs.clone());
        s.declare(
            "t_last_spike",
            StateInit::Float(Initializer::constant(-1e7)),
            vs.clone(),
        );
        core.states.reset(ctx, core.mode)?;
        let spike_fn = match &cfg.custom_surrogate {
            Some(c) => SpikeFunction::from_arc(c.clone()),
            None => SpikeFunction::new(cfg.surrogate.clone()),
        }
        .forward_use_surrogate(cfg.forward_use_surrogate);
        Ok(Lif {
            core,
            geometry,
            method: cfg.method,
            spk_reset: cfg.spk_reset,
            detach_spk: cfg.detach_spk,
            spike_fn,
            noise_seed: cfg.noise_seed,
        })
    }
}

impl Dynamics for Lif {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "LIF"
    }
}

impl NeuronGroup for Lif {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        let (core, method, seed) = (&self.core, self.method, self.noise_seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            // `noise` is a parameter of the core.
            crate::fused::neurons::lif::LifKernel::<E>::new(core, method, None, seed)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        let core = &self.core;
        let p = &core.params;
        let v = core.states.f("V");
        let t_last = core.states.f("t_last_spike");
        let sys = LifOde {
            v_rest: p.tval("V_rest"),
            r: p.tval("R"),
            tau: p.tval("tau"),
            i: TVal::T(core.states.f("input")),
        };
        let v_new = integrate(&sys, self.method, &[TVal::T(v.clone())], ts.t, ts.dt)
            .remove(0)
            .into_tensor_like(&v);
        let noise = core.params.try_get("noise").map(NParam::tval);
        let v_new = add_noise(v_new, noise.as_ref(), self.noise_seed, ts, &core.ctx);
        let refractory = le(t_last.clone().neg().add_scalar(ts.t), &p.tval("tau_ref"));
        let v_new = v_new.mask_where(refractory, v);
        let v_th = p.tval("V_th");
        let v_reset = p.tval("V_reset");

        let (v_out, spike_state, fired) = if core.mode.is_training() {
            let x = (TVal::T(v_new.clone()) - v_th.clone()).into_tensor_like(&v_new);
            let spike = self.spike_fn.apply(x)?;
            let s = if self.detach_spk {
                spike.clone().detach()
            } else {
                spike.clone()
            };
            let v_out = match self.spk_reset {
                SpikeReset::Soft => {
                    let jump = (v_th - v_reset).into_tensor_like(&v_new);
                    v_new - jump * s.clone()
                }
                SpikeReset::Hard => {
                    let gap = (v_reset - TVal::T(v_new.clone())).into_tensor_like(&v_new);
                    v_new + gap * s.clone()
                }
            };
            let fired = s.detach().greater_elem(0.0);
            (v_out, crate::state::StateTensor::Float(spike), fired)
        } else {
            let fired = ge(v_new.clone(), &v_th);
            let v_out = where_val(v_new, fired.clone(), &v_reset);
            (v_out, crate::state::StateTensor::Bool(fired.clone()), fired)
        };
        let t_last = t_last.mask_fill(fired, ts.t).detach();
        let s = &mut self.core.states;
        s.set_f("V", v_out);
        s.set("spike", spike_state);
        s.set_f("t_last_spike", t_last);
        Ok(())
    }
}
