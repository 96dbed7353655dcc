//! The refractory threshold-and-reset rule shared by BrainPy 2.4.6's integrate-and-fire family
//! (`ExpIFRef`, `AdExIFRef`, `QuaIFRef`, `AdQuaIFRef`, `dyn/neurons/lif.py`): one function so
//! that every model of the family fires, resets and counts refractoriness the same way.

use std::sync::Arc;

use crate::math::Num;
use crate::model::StepCx;
use crate::surrogate::{SpikeFunction, Surrogate, SurrogateFunction};

use super::SpikeReset;

/// The Training-mode spike options of an IF model (BrainPy's `spk_fun`, `spk_reset`,
/// `detach_spk`).
#[derive(Clone, Debug)]
pub(crate) struct IfSpiking {
    pub spike_fn: SpikeFunction,
    pub spk_reset: SpikeReset,
    pub detach_spk: bool,
}

impl IfSpiking {
    /// The options from a config's fields (a custom surrogate replaces `surrogate`).
    pub fn new(
        surrogate: &Surrogate,
        custom: &Option<Arc<dyn SurrogateFunction>>,
        forward_use_surrogate: bool,
        spk_reset: SpikeReset,
        detach_spk: bool,
    ) -> Self {
        let spike_fn = match custom {
            Some(c) => SpikeFunction::from_arc(c.clone()),
            None => SpikeFunction::new(surrogate.clone()),
        }
        .forward_use_surrogate(forward_use_surrogate);
        IfSpiking {
            spike_fn,
            spk_reset,
            detach_spk,
        }
    }
}

/// Where a step fired, in the form the jumps of the other states need: a mask outside Training
/// (`x ← where(fired, x + b, x)`), the float spike in Training (`x ← x + b·spike`, detached when
/// `detach_spk`).
pub(crate) enum Fired<R: Num> {
    Mask(R::Mask),
    Float(R),
}

impl<R: Num> Clone for Fired<R> {
    fn clone(&self) -> Self {
        match self {
            Fired::Mask(m) => Fired::Mask(m.clone()),
            Fired::Float(s) => Fired::Float(s.clone()),
        }
    }
}

impl<R: Num> Fired<R> {
    /// `x + jump` where the neuron fired (BrainPy: `where(spike, x + jump, x)`, or
    /// `x + jump·spike` in Training).
    #[inline(always)]
    pub fn add(&self, x: R, jump: R) -> R {
        match self {
            Fired::Mask(m) => R::select(m, x.clone() + jump, x),
            Fired::Float(s) => x + jump * s.clone(),
        }
    }

    /// `to` where the neuron fired, else `x` (Training: `x + (to − x)·spike`).
    #[inline(always)]
    pub fn set(&self, x: R, to: R) -> R {
        match self {
            Fired::Mask(m) => R::select(m, to, x),
            Fired::Float(s) => x.clone() + (to - x) * s.clone(),
        }
    }
}

impl<R: Num> IfFire<R> {
    /// The firing with the spike *as emitted* (in Training its gradient is kept even when
    /// `detach_spk`), for the jumps BrainPy takes with the raw spike (GIF's currents).
    pub fn fired_raw(&self) -> Fired<R> {
        match &self.spike {
            crate::model::Spike::Float(s) => Fired::Float(s.clone()),
            _ => self.fired.clone(),
        }
    }
}

/// The outcome of [`fire`]: the membrane after refractoriness and reset, the new
/// `t_last_spike`, the spike output and the firing for the other states' jumps.
pub(crate) struct IfFire<R: Num> {
    pub v: R,
    pub t_last_spike: R,
    pub spike: crate::model::Spike<R>,
    pub fired: Fired<R>,
}

/// BrainPy's refractory IF rule, after the membrane was integrated to `v_new` from `v_old`:
/// neurons with `t − t_last_spike ≤ tau_ref` (the old `t_last_spike`) keep `v_old`; then
/// * outside Training: `spike = V ≥ V_th`, `V ← V_reset` and `t_last_spike ← t` where it spiked;
/// * Training: `spike = spk_fun(V − V_th)`, soft reset `V −= (V_th − V_reset)·s` or hard
///   `V += (V_reset − V)·s` with `s` the spike (detached when `detach_spk`), and
///   `t_last_spike ← t` where `s > 0` (no gradient).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fire<R: Num, C: StepCx<R>>(
    opts: &IfSpiking,
    v_old: R,
    v_new: R,
    t_last_spike: R,
    v_th: &R,
    v_reset: &R,
    tau_ref: &R,
    cx: &mut C,
) -> IfFire<R> {
    let refractory = (-t_last_spike.clone() + cx.t()).le(tau_ref);
    let v = R::select(&refractory, v_old, v_new);
    if cx.training() {
        let spike = cx.spike(v.clone() - v_th.clone(), &opts.spike_fn);
        let s = if opts.detach_spk {
            spike.clone().detach()
        } else {
            spike.clone()
        };
        let v = match opts.spk_reset {
            SpikeReset::Soft => v - (v_th.clone() - v_reset.clone()) * s.clone(),
            SpikeReset::Hard => v.clone() + (v_reset.clone() - v) * s.clone(),
        };
        let went = s.clone().detach().gt(&R::cst(0.0));
        IfFire {
            v,
            t_last_spike: R::select(&went, cx.time(), t_last_spike).detach(),
            spike: crate::model::Spike::Float(spike),
            fired: Fired::Float(s),
        }
    } else {
        let went = v.ge(v_th);
        IfFire {
            v: R::select(&went, v_reset.clone(), v),
            t_last_spike: R::select(&went, cx.time(), t_last_spike),
            spike: crate::model::Spike::Mask(went.clone()),
            fired: Fired::Mask(went),
        }
    }
}
