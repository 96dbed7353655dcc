//! [`NeuGroup<M>`]: a neuron group built from a [`NeuronModel`], on every execution.

use burn::tensor::Tensor;

use super::{Fields, NeuronModel, Spike, StateStart, StepCx};
use crate::backend::Ctx;
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::geometry::{Geometry, IntoGeometry};
use crate::init::Initializer;
use crate::math::{Num, TVal};
use crate::mode::Mode;
use crate::neuron::NeuronGroup;
use crate::param::{Domain, NParam, ParamSpec};
use crate::state::{StateInit, StateTensor};
use crate::surrogate::{SpikeFunction, TwoInputSurrogate};

/// A population of neurons of model `M` (BrainPy's `NeuGroup` subclass for that model).
///
/// Parameters live in the core under the model's keys (plus `noise` when the model has noise),
/// states under the state keys plus `input` and (spiking models) `spike`, so `state_dict`,
/// device moves, optimizers and monitors see them. [`NeuronGroup::update`] runs the model's
/// step on tensors; [`NeuronGroup::fused_kernel`] hands the fused host engine the same step on
/// lanes ([`crate::fused::model_host::ModelHost`]).
#[derive(Clone, Debug)]
pub struct NeuGroup<M: NeuronModel> {
    core: Core,
    geometry: Geometry,
    model: M,
    noise_seed: u64,
}

impl<M: NeuronModel> NeuGroup<M> {
    /// A group of `size` neurons named `<CLASS><k>`.
    pub fn new(size: impl IntoGeometry, cfg: M::Config, ctx: &Ctx, mode: Mode) -> Result<Self> {
        Self::named(size, cfg, None, ctx, mode)
    }

    /// A group with an explicit name (`None` for the default).
    pub fn named(
        size: impl IntoGeometry,
        cfg: M::Config,
        name: Option<&str>,
        ctx: &Ctx,
        mode: Mode,
    ) -> Result<Self> {
        let parts = M::build(&cfg)?;
        let geometry = size.into_geometry()?;
        let vs = geometry.varshape();
        let mut core = Core::new(M::CLASS, name, ctx, mode)?;
        let mut specs: Vec<ParamSpec> = Vec::new();
        parts.params.each(|_, s| specs.push(s));
        for (k, spec) in specs.iter().enumerate() {
            let key = <M::Params<ParamSpec> as Fields<ParamSpec>>::KEYS[k];
            let domain = <M::Params<ParamSpec> as Fields<ParamSpec>>::DOMAINS[k];
            core.params.build_in(key, spec, domain, &vs, ctx)?;
        }
        if let Some(n) = &parts.noise {
            core.params
                .build_in("noise", n, Domain::NonNegative, &vs, ctx)?;
        }
        let mut starts: Vec<StateStart> = Vec::new();
        parts.states.each(|_, s| starts.push(s));
        for (k, start) in starts.into_iter().enumerate() {
            let key = <M::State<StateStart> as Fields<StateStart>>::KEYS[k];
            let init = match start {
                StateStart::Init(init) => {
                    init.validate_for(&format!("{key}_initializer"), &vs)?;
                    init
                }
                StateStart::Derived => Initializer::Zero,
            };
            core.states.declare(key, StateInit::Float(init), vs.clone());
        }
        if M::INPUT {
            core.states
                .declare("input", StateInit::Float(Initializer::Zero), vs.clone());
        }
        if M::SPIKES {
            core.states.declare("spike", StateInit::Spike, vs.clone());
        }
        core.states.reset(ctx, core.mode)?;
        let mut g = NeuGroup {
            core,
            geometry,
            model: parts.model,
            noise_seed: parts.noise_seed,
        };
        g.init_derived();
        Ok(g)
    }

    /// The model (its options).
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The seed of the group's noise stream.
    pub fn noise_seed(&self) -> u64 {
        self.noise_seed
    }

    /// The parameters for the composed path.
    fn tensor_params(&self) -> M::Params<TVal> {
        let p = &self.core.params;
        M::Params::<TVal>::from_fn(|k| p.tval(<M::Params<TVal> as Fields<TVal>>::KEYS[k]))
    }

    /// The model's states as tensors.
    fn tensor_states(&self) -> M::State<TVal> {
        let s = &self.core.states;
        M::State::<TVal>::from_fn(|k| TVal::T(s.f(<M::State<TVal> as Fields<TVal>>::KEYS[k])))
    }

    /// Writes the model's states back (constants broadcast to the state's shape).
    fn set_states(&mut self, new: M::State<TVal>) {
        let s = &mut self.core.states;
        new.each(|k, x| {
            let key = <M::State<TVal> as Fields<TVal>>::KEYS[k];
            let old = s.f(key);
            s.set_f(key, x.into_tensor_like(&old));
        });
    }

    /// Sets the derived states from the initialized ones (after every reset).
    fn init_derived(&mut self) {
        (M::group_fns().init_derived)(self)
    }

    fn init_derived_impl(&mut self) {
        let p = self.tensor_params();
        let mut s = self.tensor_states();
        self.model.init_derived(&p, &mut s);
        self.set_states(s);
    }
}

impl<M: NeuronModel> Dynamics for NeuGroup<M> {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        M::CLASS
    }
    fn reset_state(&mut self, batch: Option<usize>) -> Result<()> {
        self.core.reset(batch)?;
        self.init_derived();
        Ok(())
    }
}

impl<M: NeuronModel> NeuronGroup for NeuGroup<M> {
    fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    fn clone_box(&self) -> Box<dyn NeuronGroup> {
        Box::new(self.clone())
    }

    fn fused_kernel(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        (M::group_fns().fused_kernel)(self)
    }

    fn update(&mut self, ts: &StepTime) -> Result<()> {
        (M::group_fns().update)(self, ts)
    }
}

/// The executions of [`NeuGroup<M>`] as function pointers (see [`NeuronModel::group_fns`]):
/// the trait methods of `NeuGroup<M>` only call through them, so a crate that uses a library
/// model links the library's compiled copy.
#[doc(hidden)]
pub struct GroupFns<M: NeuronModel> {
    update: fn(&mut NeuGroup<M>, &StepTime) -> Result<()>,
    fused_kernel: fn(&NeuGroup<M>) -> Option<Result<crate::fused::HostGroupKernel>>,
    init_derived: fn(&mut NeuGroup<M>),
}

impl<M: NeuronModel> GroupFns<M> {
    /// The functions instantiated for `M`.
    pub const GENERIC: Self = GroupFns {
        update: NeuGroup::<M>::update_impl,
        fused_kernel: NeuGroup::<M>::fused_kernel_impl,
        init_derived: NeuGroup::<M>::init_derived_impl,
    };
}

impl<M: NeuronModel> NeuGroup<M> {
    fn fused_kernel_impl(&self) -> Option<Result<crate::fused::HostGroupKernel>> {
        let (core, model, seed) = (&self.core, &self.model, self.noise_seed);
        Some(crate::host_group_kernel!(core.ctx.precision, E => {
            crate::fused::model_host::ModelHost::<M, E>::new(core, model.clone(), seed)
                .map(|k| Box::new(k) as Box<dyn crate::fused::HostGroup<E>>)
        }))
    }

    fn update_impl(&mut self, ts: &StepTime) -> Result<()> {
        let p = self.tensor_params();
        let mut s = self.tensor_states();
        const {
            assert!(
                M::INPUT || !<M::State<TVal> as Fields<TVal>>::KEYS.is_empty(),
                "a NeuronModel without input (INPUT = false) needs a state to step"
            )
        };
        // A model without input steps with the constant 0; its first state gives the shape.
        let (input, like) = if M::INPUT {
            let input = self.core.states.f("input");
            (TVal::T(input.clone()), input)
        } else {
            let key = <M::State<TVal> as Fields<TVal>>::KEYS[0];
            (TVal::S(0.0), self.core.states.f(key))
        };
        let mut cx = TensorCx {
            ts,
            training: self.core.mode.is_training(),
            sigma: self.core.params.try_get("noise").map(NParam::tval),
            seed: self.noise_seed,
            ctx: &self.core.ctx,
            like: like.clone(),
            error: None,
        };
        let spike = self.model.step(&p, &mut s, input, &mut cx);
        if let Some(e) = cx.error {
            return Err(e);
        }
        self.set_states(s);
        let states = &mut self.core.states;
        match spike {
            Spike::None => {}
            Spike::Mask(m) => {
                let m = m.into_tensor_like(&like);
                let value = match states.get("spike") {
                    StateTensor::Float(_) => {
                        StateTensor::Float(m.float().cast(crate::spikes::float_dtype(like.dtype())))
                    }
                    StateTensor::Bool(_) => StateTensor::Bool(m),
                };
                states.set("spike", value);
            }
            Spike::Float(f) => {
                let f = f.into_tensor_like(&like);
                let value = match states.get("spike") {
                    StateTensor::Float(_) => StateTensor::Float(f),
                    StateTensor::Bool(_) => StateTensor::Bool(f.greater_elem(0.0)),
                };
                states.set("spike", value);
            }
        }
        Ok(())
    }
}

/// The composed path's step context: whole `[rows, num]` tensors.
struct TensorCx<'a> {
    ts: &'a StepTime,
    training: bool,
    sigma: Option<TVal>,
    seed: u64,
    ctx: &'a Ctx,
    like: Tensor<2>,
    error: Option<Error>,
}

impl StepCx<TVal> for TensorCx<'_> {
    fn t(&self) -> f64 {
        self.ts.t
    }
    fn dt(&self) -> f64 {
        self.ts.dt
    }
    fn training(&self) -> bool {
        self.training
    }
    fn noise(&mut self) -> Option<TVal> {
        let sigma = self.sigma.as_ref()?;
        Some(crate::neuron::noise_increment(
            sigma,
            self.seed,
            self.ts,
            self.like.dims(),
            self.ctx,
        ))
    }
    fn spike(&mut self, x: TVal, f: &SpikeFunction) -> TVal {
        let x = x.into_tensor_like(&self.like);
        match f.apply(x.clone()) {
            Ok(s) => TVal::T(s),
            Err(e) => {
                self.error.get_or_insert(e);
                TVal::T(x.zeros_like())
            }
        }
    }
    fn crossing_spike(&mut self, x_new: TVal, x_old: TVal, f: &TwoInputSurrogate) -> TVal {
        TVal::T(f.apply(
            x_new.into_tensor_like(&self.like),
            x_old.into_tensor_like(&self.like),
        ))
    }
}

/// Heaviside of `x` as 0/1 (what a step context without gradients returns for a spike).
#[inline(always)]
pub(crate) fn heaviside<R: Num>(x: R) -> R {
    R::from_mask(&x.ge(&R::cst(0.0)))
}

/// The crossing `x_old < 0 ≤ x_new` as 0/1.
#[inline(always)]
pub(crate) fn crossing<R: Num>(x_new: R, x_old: R) -> R {
    let zero = R::cst(0.0);
    R::from_mask(&R::mask_and(
        &x_new.ge(&zero),
        &R::mask_not(&x_old.ge(&zero)),
    ))
}

/// The spike of a threshold crossing `V_old < V_th ≤ V_new` on the composed path as a state:
/// bool outside Training, a float with the two-input crossing surrogate in Training (for
/// groups written directly on tensors, e.g. [`crate::neuron::CondNeuGroup`]).
pub(crate) fn tensor_crossing(
    v_old: &Tensor<2>,
    v_new: &Tensor<2>,
    v_th: &TVal,
    mode: Mode,
    surrogate: &TwoInputSurrogate,
) -> StateTensor {
    let x_new = (TVal::T(v_new.clone()) - v_th.clone()).into_tensor_like(v_new);
    let x_old = (TVal::T(v_old.clone()) - v_th.clone()).into_tensor_like(v_old);
    if mode.is_training() {
        StateTensor::Float(surrogate.apply(x_new, x_old))
    } else {
        let m = crossing_mask(&TVal::T(x_new), &TVal::T(x_old));
        StateTensor::Bool(m.into_tensor_like(v_new))
    }
}

/// `x_old < 0 ≤ x_new`.
fn crossing_mask(x_new: &TVal, x_old: &TVal) -> crate::math::TMask {
    let zero = TVal::S(0.0);
    TVal::mask_and(&x_new.ge(&zero), &TVal::mask_not(&x_old.ge(&zero)))
}
