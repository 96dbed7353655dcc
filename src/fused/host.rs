//! The host side of the fused path: element types, parameters as host values, the kernel
//! traits of groups and synapses, and moving states between tensors and host arrays.

use std::borrow::Cow;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use burn::tensor::{Element, TensorData};

use super::channel_host::{HostChannel, HostChannelKernel};
use super::lanes::{F32x8, F64x4, Lanes};
use super::simd::{LaneKernel, NumKernel};
use crate::backend::Precision;
use crate::dynamics::{Core, StepTime};
use crate::error::{Error, Result};
use crate::param::NParam;
use crate::state::StateTensor;

/// An element type of the fused loops (`f32`, `f64`) and its lane type.
pub trait HostFloat:
    Element
    + Copy
    + Default
    + PartialOrd
    + Send
    + Sync
    + Debug
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
{
    /// The lanes the kernels compute in.
    type L: Lanes<E = Self>;
    /// The precision this element type is.
    const PRECISION: Precision;
    /// From an f64 (rounded to nearest for f32).
    fn of(x: f64) -> Self;
    /// As f64 (exact).
    fn to_f64(self) -> f64;
    /// `eˣ` in this type.
    fn exp(self) -> Self;
    /// The group kernel for this element type, if `k` holds one.
    fn group_kernel(k: HostGroupKernel) -> Option<Box<dyn HostGroup<Self>>>;
    /// The synapse kernel for this element type, if `k` holds one.
    fn synapse_kernel(k: HostSynapseKernel) -> Option<Box<dyn HostSynapse<Self>>>;
    /// The channel kernel for this element type, if `k` holds one.
    fn channel_kernel(k: HostChannelKernel) -> Option<Box<dyn HostChannel<Self>>>;
    /// Runs a lane kernel with the best lanes for this element type on this CPU.
    fn run_lanes<A, K: LaneKernel<Self, A>>(k: &mut K, args: A);
    /// Runs a [`NumKernel`] (a model's generic step) with the best lanes for this element type
    /// on this CPU.
    fn run_num_lanes<A, K: NumKernel<Self, A>>(k: &mut K, args: A);
}

impl HostFloat for f32 {
    type L = F32x8;
    const PRECISION: Precision = Precision::F32;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn group_kernel(k: HostGroupKernel) -> Option<Box<dyn HostGroup<Self>>> {
        match k {
            HostGroupKernel::F32(g) => Some(g),
            HostGroupKernel::F64(_) => None,
        }
    }
    fn synapse_kernel(k: HostSynapseKernel) -> Option<Box<dyn HostSynapse<Self>>> {
        match k {
            HostSynapseKernel::F32(g) => Some(g),
            HostSynapseKernel::F64(_) => None,
        }
    }
    fn channel_kernel(k: HostChannelKernel) -> Option<Box<dyn HostChannel<Self>>> {
        match k {
            HostChannelKernel::F32(c) => Some(c),
            HostChannelKernel::F64(_) => None,
        }
    }
    #[inline(always)]
    fn run_lanes<A, K: LaneKernel<Self, A>>(k: &mut K, args: A) {
        #[cfg(target_arch = "x86_64")]
        if super::simd::has_avx512() {
            // SAFETY: the CPU has AVX2, AVX-512F and AVX-512VL.
            unsafe { super::simd::run_avx512(k, args) };
            return;
        } else if super::simd::has_avx2() {
            // SAFETY: the CPU has AVX2.
            unsafe { super::simd::run_avx2(k, args) };
            return;
        }
        k.run::<F32x8>(args)
    }
    #[inline(always)]
    fn run_num_lanes<A, K: NumKernel<Self, A>>(k: &mut K, args: A) {
        #[cfg(target_arch = "x86_64")]
        if super::simd::has_avx512() {
            // SAFETY: the CPU has AVX2, AVX-512F and AVX-512VL.
            unsafe { super::simd::run_num_avx512(k, args) };
            return;
        } else if super::simd::has_avx2() {
            // SAFETY: the CPU has AVX2.
            unsafe { super::simd::run_num_avx2(k, args) };
            return;
        }
        k.run::<F32x8>(args)
    }
}

impl HostFloat for f64 {
    type L = F64x4;
    const PRECISION: Precision = Precision::F64;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn group_kernel(k: HostGroupKernel) -> Option<Box<dyn HostGroup<Self>>> {
        match k {
            HostGroupKernel::F64(g) => Some(g),
            HostGroupKernel::F32(_) => None,
        }
    }
    fn synapse_kernel(k: HostSynapseKernel) -> Option<Box<dyn HostSynapse<Self>>> {
        match k {
            HostSynapseKernel::F64(g) => Some(g),
            HostSynapseKernel::F32(_) => None,
        }
    }
    fn channel_kernel(k: HostChannelKernel) -> Option<Box<dyn HostChannel<Self>>> {
        match k {
            HostChannelKernel::F64(c) => Some(c),
            HostChannelKernel::F32(_) => None,
        }
    }
    #[inline(always)]
    fn run_lanes<A, K: LaneKernel<Self, A>>(k: &mut K, args: A) {
        k.run::<F64x4>(args)
    }
    #[inline(always)]
    fn run_num_lanes<A, K: NumKernel<Self, A>>(k: &mut K, args: A) {
        k.run::<F64x4>(args)
    }
}

/// A parameter on the host: one value for every neuron, or one per neuron (broadcast over the
/// batch rows, as the `[1, num]` tensor parameters are).
#[derive(Clone, Debug, PartialEq)]
pub enum HParam<E> {
    /// One value.
    Scalar(E),
    /// One value per element (`num` of them).
    PerNeuron(Vec<E>),
}

impl<E: HostFloat> HParam<E> {
    /// The host form of a built parameter of a group of `num` elements (`key` names it in
    /// errors).
    pub fn from_param(p: &NParam, num: usize, key: &str) -> Result<Self> {
        match p {
            NParam::Const(c) => Ok(HParam::Scalar(E::of(*c))),
            NParam::Tensor(_) => {
                let v = p.host_values()?;
                if v.len() == 1 {
                    Ok(HParam::Scalar(E::of(v[0])))
                } else if v.len() == num {
                    Ok(HParam::PerNeuron(v.into_iter().map(E::of).collect()))
                } else {
                    Err(Error::ShapeMismatch {
                        what: key.to_string(),
                        expected: vec![num],
                        got: vec![v.len()],
                    })
                }
            }
        }
    }

    /// The parameter `key` of `core` (which must declare it; a programmer bug otherwise).
    pub fn of_core(core: &Core, key: &str, num: usize) -> Result<Self> {
        Self::from_param(core.params.get(key), num, &format!("{}.{key}", core.name))
    }

    /// The optional parameter `key` of `core`.
    pub fn try_of_core(core: &Core, key: &str, num: usize) -> Result<Option<Self>> {
        match core.params.try_get(key) {
            None => Ok(None),
            Some(p) => Self::from_param(p, num, &format!("{}.{key}", core.name)).map(Some),
        }
    }

    /// The lanes of columns `j..j + N` (padding past the end with 1).
    #[inline(always)]
    pub fn lanes<L: Lanes<E = E>>(&self, j: usize) -> L {
        match self {
            HParam::Scalar(c) => L::splat(*c),
            HParam::PerNeuron(v) => L::load(v, j, E::of(1.0)),
        }
    }

    /// The value of column `j`.
    #[inline(always)]
    pub fn at(&self, j: usize) -> E {
        match self {
            HParam::Scalar(c) => *c,
            HParam::PerNeuron(v) => v[j],
        }
    }

    /// The scalar, if the parameter is one.
    pub fn scalar(&self) -> Option<E> {
        match self {
            HParam::Scalar(c) => Some(*c),
            HParam::PerNeuron(_) => None,
        }
    }
}

/// A view of one host state for monitors and write-back (borrowed, or built on request, e.g.
/// a delay ring in slot order).
#[derive(Clone, Debug)]
pub enum HostSlice<'a, E: Clone> {
    /// A float state.
    Float(Cow<'a, [E]>),
    /// A boolean state (spikes outside Training).
    Bool(Cow<'a, [bool]>),
}

impl<'a, E: Clone> HostSlice<'a, E> {
    /// A borrowed float state.
    pub fn f(v: &'a [E]) -> Self {
        HostSlice::Float(Cow::Borrowed(v))
    }

    /// A borrowed boolean state.
    pub fn b(v: &'a [bool]) -> Self {
        HostSlice::Bool(Cow::Borrowed(v))
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            HostSlice::Float(v) => v.len(),
            HostSlice::Bool(v) => v.len(),
        }
    }

    /// Whether the view is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A neuron group's step on host arrays.
///
/// The engine owns the group's accumulated `input` (a synapse may read a group's `V` while
/// adding into its `input`), so it is passed to [`HostGroup::update`] and is not one of the
/// kernel's states. Every other state of the group must be available through
/// [`HostGroup::var`] under its key: the engine writes them all back after the run.
pub trait HostGroup<E: HostFloat>: Send {
    /// One step with the accumulated input (`rows × num`, row-major; empty for groups without
    /// input).
    fn update(&mut self, ts: &StepTime, input: &[E]);
    /// The spikes of the last step, `rows × num` (`None` without spikes).
    fn spike(&self) -> Option<&[bool]>;
    /// The membrane potential, `rows × num` (`None` without one).
    fn v(&self) -> Option<&[E]>;
    /// The membrane potential, writable (a synapse with `CUBA(target_var='V')` adds into it
    /// before the group's update); `None` exactly when [`HostGroup::v`] is `None`.
    fn v_mut(&mut self) -> Option<&mut [E]>;
    /// The state `key` (every state but `input`).
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>>;
}

/// A synapse's step on host arrays (see [`HostGroup`] for the write-back contract; a delay
/// buffer is a state like any other, under the key its synapse saves it with).
pub trait HostSynapse<E: HostFloat>: Send {
    /// One step: `pre_spike` is the presynaptic group's current spikes (`rows × n_pre`),
    /// `post_v` the postsynaptic V before its update; adds the current into `post_input`.
    fn update(
        &mut self,
        ts: &StepTime,
        pre_spike: &[bool],
        post_v: Option<&[E]>,
        post_input: &mut [E],
    );
    /// Pushes the presynaptic spikes of the step that just ended into the delay line.
    fn push(&mut self, pre_spike: &[bool]);
    /// The postsynaptic state [`HostSynapse::update`]'s `post_input` must be: the group's
    /// accumulated `input`, or its `V` (`CUBA(target_var='V')`).
    fn target(&self) -> crate::synapse::OutputTarget;
    /// The state `key`.
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>>;
}

/// A group kernel in the group's precision.
pub enum HostGroupKernel {
    /// float32.
    F32(Box<dyn HostGroup<f32>>),
    /// float64.
    F64(Box<dyn HostGroup<f64>>),
}

/// A synapse kernel in the synapse's precision.
pub enum HostSynapseKernel {
    /// float32.
    F32(Box<dyn HostSynapse<f32>>),
    /// float64.
    F64(Box<dyn HostSynapse<f64>>),
}

/// Builds a group kernel in `precision`: `$E` names the element type inside `$body`, which
/// evaluates to `Result<Box<dyn HostGroup<$E>>>`.
#[macro_export]
#[doc(hidden)]
macro_rules! host_group_kernel {
    ($precision:expr, $E:ident => $body:expr) => {
        match $precision {
            $crate::backend::Precision::F32 => {
                type $E = f32;
                ($body).map($crate::fused::HostGroupKernel::F32)
            }
            $crate::backend::Precision::F64 => {
                type $E = f64;
                ($body).map($crate::fused::HostGroupKernel::F64)
            }
        }
    };
}

/// Builds a synapse kernel in `precision`: `$E` names the element type inside `$body`, which
/// evaluates to `Result<Box<dyn HostSynapse<$E>>>`.
#[macro_export]
#[doc(hidden)]
macro_rules! host_synapse_kernel {
    ($precision:expr, $E:ident => $body:expr) => {
        match $precision {
            $crate::backend::Precision::F32 => {
                type $E = f32;
                ($body).map($crate::fused::HostSynapseKernel::F32)
            }
            $crate::backend::Precision::F64 => {
                type $E = f64;
                ($body).map($crate::fused::HostSynapseKernel::F64)
            }
        }
    };
}

/// The float state `key` of `core` on the host (`rows × cols`, row-major).
pub fn read_float<E: HostFloat>(core: &Core, key: &str) -> Result<Vec<E>> {
    match core.states.get(key) {
        StateTensor::Float(t) => t
            .clone()
            .try_into_data()
            .map_err(|e| Error::Backend(format!("{e:?}")))?
            .convert::<E>()
            .try_into_vec::<E>()
            .map_err(|e| Error::Backend(format!("{}.{key}: {e:?}", core.name))),
        StateTensor::Bool(_) => Err(Error::arg(
            format!("{}.{key}", core.name),
            "is a boolean state, not a float one",
        )),
    }
}

/// The spike (or other boolean) state `key` of `core` on the host (float spikes: `x > 0`).
pub fn read_spikes(core: &Core, key: &str) -> Result<Vec<bool>> {
    match core.states.get(key) {
        StateTensor::Bool(t) => crate::tensor_io::to_bool_vec(t.clone()),
        StateTensor::Float(t) => Ok(crate::tensor_io::to_f64_vec(t.clone())?
            .into_iter()
            .map(|x| x > 0.0)
            .collect()),
    }
}

/// Host values as tensor data of `shape` (the element type decides the dtype).
pub fn write_float<E: HostFloat>(values: &[E], shape: Vec<usize>) -> TensorData {
    TensorData::new(values.to_vec(), shape)
}

/// Host booleans as tensor data of `shape`.
pub fn write_spikes(values: &[bool], shape: Vec<usize>) -> TensorData {
    TensorData::new(values.to_vec(), shape)
}

/// The lanes of columns `j..` of every parameter (a [`Source`](crate::integrate::Source) for a
/// model's declared parameters in the SIMD loops).
pub(crate) struct ParamLanes<'a, E> {
    pub params: &'a [HParam<E>],
    pub j: usize,
}

impl<E: HostFloat, L: Lanes<E = E>> crate::integrate::Source<L> for ParamLanes<'_, E> {
    #[inline(always)]
    fn get(&mut self, k: usize) -> L {
        self.params[k].lanes(self.j)
    }
}

/// The lanes at `o + j..` of every state array (row offset `o`, `num` columns; a partial last
/// vector padded with the row's first element).
pub(crate) struct StateLanes<'a, E> {
    pub states: &'a [Vec<E>],
    pub o: usize,
    pub num: usize,
    pub j: usize,
}

impl<E: HostFloat, L: Lanes<E = E>> crate::integrate::Source<L> for StateLanes<'_, E> {
    #[inline(always)]
    fn get(&mut self, k: usize) -> L {
        let r = &self.states[k][self.o..self.o + self.num];
        L::load(r, self.j, r[0])
    }
}

/// Stores lanes at `o + j..` of every state array (the inverse of [`StateLanes`]).
pub(crate) struct StoreLanes<'a, E> {
    pub states: &'a mut [Vec<E>],
    pub o: usize,
    pub num: usize,
    pub j: usize,
}

impl<E: HostFloat, L: Lanes<E = E>> crate::model::Sink<L> for StoreLanes<'_, E> {
    #[inline(always)]
    fn put(&mut self, k: usize, x: L) {
        x.store(&mut self.states[k][self.o..self.o + self.num], self.j)
    }
}
