//! Neuron groups (SPEC §1, §3): the group contract and the models.

mod adex_if;
mod adqua_if;
mod alif_bellec;
mod cond_neu_group;
mod exp_if;
mod fhn;
mod gif;
pub mod hh;
mod hindmarsh_rose;
mod if_fire;
mod input_groups;
mod izhikevich;
mod leaky;
mod lif;
mod morris_lecar;
mod ou_process;
mod qua_if;
pub mod wang_buzsaki;

pub use adex_if::{AdExIf, AdExIfConfig, AdExIfModel, AdExIfParams, AdExIfState};
pub use adqua_if::{AdQuaIf, AdQuaIfConfig, AdQuaIfModel, AdQuaIfParams, AdQuaIfState};
pub use alif_bellec::{
    AlifBellec2020, AlifBellecAlif, AlifBellecConfig, AlifBellecLifSfa, AlifBellecModel,
    AlifBellecParams, AlifBellecState, LifSfaBellec2020,
};
pub use cond_neu_group::{CondNeuGroup, CondNeuGroupConfig, CondParams};
pub use exp_if::{ExpIf, ExpIfConfig, ExpIfModel, ExpIfParams, ExpIfState};
pub use fhn::{Fhn, FhnConfig, FhnModel, FhnParams, FhnState};
pub use gif::{Gif, GifConfig, GifModel, GifParams, GifState};
pub use hh::{Hh, HhConfig, HhModel, HhParams, HhState};
pub use hindmarsh_rose::{
    HindmarshRose, HindmarshRoseConfig, HindmarshRoseModel, HindmarshRoseParams, HindmarshRoseState,
};
pub use input_groups::{PoissonGroup, PoissonGroupConfig, SpikeTimeGroup, SpikeTimeGroupConfig};
pub use izhikevich::{
    Izhikevich, IzhikevichConfig, IzhikevichModel, IzhikevichParams, IzhikevichState,
};
pub use leaky::{
    LeakyIntegrator, LeakyIntegratorConfig, LeakyIntegratorModel, LeakyIntegratorParams,
    LeakyIntegratorState,
};
pub use lif::{Lif, LifConfig, LifModel, LifParams, LifState, SpikeReset};
pub use morris_lecar::{
    MorrisLecar, MorrisLecarConfig, MorrisLecarModel, MorrisLecarParams, MorrisLecarState,
};
pub use ou_process::{OuProcess, OuProcessConfig, OuProcessModel, OuProcessParams, OuProcessState};
pub use qua_if::{QuaIf, QuaIfConfig, QuaIfModel, QuaIfParams, QuaIfState};
pub use wang_buzsaki::{WangBuzsakiConfig, WangBuzsakiModel, WbModel, WbParams, WbState};

use burn::tensor::Tensor;

use crate::dynamics::{Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::geometry::Geometry;
use crate::math::TVal;
use crate::spikes::Spikes;

/// A population of neurons (BrainPy's `NeuGroup`).
///
/// Input accumulates: [`NeuronGroup::add_input`] adds into the `input` state (synapse outputs
/// do too); [`NeuronGroup::update`] integrates one step with it; the network clears it at the
/// end of the step ([`NeuronGroup::clear_input`]).
pub trait NeuronGroup: Dynamics {
    /// The geometry (`size`, `keep_size`, `num`, `varshape`).
    fn geometry(&self) -> &Geometry;

    /// Advances one step using the accumulated `input`.
    fn update(&mut self, ts: &StepTime) -> Result<()>;

    /// A copy behind a box (networks clone their groups).
    fn clone_box(&self) -> Box<dyn NeuronGroup>;

    /// The group's step on host arrays for the fused CPU path ([`crate::fused`]), built from
    /// its current parameters and states; `None` (the default) when the model has none, and
    /// then networks holding it run on the composed-op path. Only used outside Training mode.
    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        None
    }

    /// Number of neurons.
    fn num(&self) -> usize {
        self.geometry().num()
    }

    /// The spikes of the last step (`None` for models without spikes, e.g. LeakyIntegrator).
    fn spike(&self) -> Option<Spikes> {
        let s = self.states();
        s.contains("spike").then(|| s.spikes("spike"))
    }

    /// The membrane potential `[rows, num]`, if the model has one.
    fn v(&self) -> Option<Tensor<2>> {
        let s = self.states();
        s.contains("V").then(|| s.f("V"))
    }

    /// Whether the group accepts input.
    fn has_input(&self) -> bool {
        self.states().contains("input")
    }

    /// `input += x`; `x` is `[rows, num]` or broadcastable to it (`[1, num]`, `[rows, 1]`).
    fn add_input(&mut self, x: Tensor<2>) -> Result<()> {
        add_into(self.core_mut(), "input", "this group takes no input", x)
    }

    /// `V += x` (a synapse with BrainPy's `CUBA(target_var='V')` output); `x` as for
    /// [`NeuronGroup::add_input`].
    fn add_to_v(&mut self, x: Tensor<2>) -> Result<()> {
        add_into(
            self.core_mut(),
            "V",
            "this group has no membrane potential V",
            x,
        )
    }

    /// `input = 0`.
    fn clear_input(&mut self) {
        if self.has_input() {
            let core = self.core_mut();
            let z = core.states.f("input").zeros_like();
            core.states.set_f("input", z);
        }
    }

    /// BrainPy's `update(x)` for a standalone group: adds `x` (if any) into `input`, advances
    /// one step and clears `input` again (what a runner does around every step).
    fn step_with(&mut self, ts: &StepTime, x: Option<Tensor<2>>) -> Result<()> {
        if let Some(x) = x {
            self.add_input(x)?;
        }
        self.update(ts)?;
        self.clear_input();
        Ok(())
    }
}

/// The Euler–Maruyama increment `σ·√dt·ξ` of step `ts` for a `[rows, cols]` state, with the
/// seeded draws every execution uses ([`crate::integrate::noise::step_normals`]).
/// `state += x` for a float state of `core`, `x` broadcastable to its `[rows, num]`.
fn add_into(
    core: &mut crate::dynamics::Core,
    key: &str,
    missing: &str,
    x: Tensor<2>,
) -> Result<()> {
    let what = format!("{}.{key}", core.name);
    if !core.states.contains(key) {
        return Err(Error::arg(what, missing));
    }
    let cur = core.states.f(key);
    let [r, c] = cur.dims();
    let [xr, xc] = x.dims();
    if !((xr == r || xr == 1) && (xc == c || xc == 1)) {
        return Err(Error::ShapeMismatch {
            what,
            expected: vec![r, c],
            got: vec![xr, xc],
        });
    }
    let dtype = crate::spikes::float_dtype(core.ctx.dtype());
    core.states.set_f(key, cur + x.cast(dtype));
    Ok(())
}

pub(crate) fn noise_increment(
    sigma: &TVal,
    seed: u64,
    ts: &StepTime,
    [r, c]: [usize; 2],
    ctx: &crate::backend::Ctx,
) -> TVal {
    let xi = crate::integrate::noise::step_normals(seed, ts.i, r * c);
    TVal::T(ctx.tensor(xi, [r, c])) * sigma.clone() * ts.dt.sqrt()
}

/// Adds Euler–Maruyama noise `σ·√dt·ξ` to `v` when the group has `noise`.
pub(crate) fn add_noise(
    v: Tensor<2>,
    noise: Option<&TVal>,
    seed: u64,
    ts: &StepTime,
    ctx: &crate::backend::Ctx,
) -> Tensor<2> {
    match noise {
        None => v,
        Some(sigma) => {
            let dv = noise_increment(sigma, seed, ts, v.dims(), ctx);
            (TVal::T(v.clone()) + dv).into_tensor_like(&v)
        }
    }
}
