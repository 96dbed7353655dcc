//! Spike tensors: boolean outside Training, float (0/1 with a surrogate gradient) in Training.

use burn::tensor::{Bool, DType, Tensor};

/// A `[rows, num]` spike tensor.
#[derive(Clone, Debug)]
pub enum Spikes {
    /// NonBatching / Batching: plain booleans.
    Bool(Tensor<2, Bool>),
    /// Training: floats 0/1 whose gradient is the surrogate's.
    Float(Tensor<2>),
}

impl Spikes {
    /// As a float tensor of `dtype` (a float spike tensor keeps its graph and dtype).
    pub fn to_float(&self, dtype: DType) -> Tensor<2> {
        match self {
            Spikes::Bool(b) => b.clone().cast(float_dtype(dtype)),
            Spikes::Float(f) => f.clone(),
        }
    }

    /// As booleans (`x > 0` for float spikes).
    pub fn to_bool(&self) -> Tensor<2, Bool> {
        match self {
            Spikes::Bool(b) => b.clone(),
            Spikes::Float(f) => f.clone().greater_elem(0.0),
        }
    }

    /// Without gradient history (`stop_spike_gradient`, truncated BPTT).
    pub fn detach(&self) -> Spikes {
        match self {
            Spikes::Bool(b) => Spikes::Bool(b.clone()),
            Spikes::Float(f) => Spikes::Float(f.clone().detach()),
        }
    }

    /// `[rows, num]`.
    pub fn dims(&self) -> [usize; 2] {
        match self {
            Spikes::Bool(b) => b.dims(),
            Spikes::Float(f) => f.dims(),
        }
    }
}

/// The float dtype behind a `DType` (F32 for anything that is not F64).
pub fn float_dtype(dtype: DType) -> burn::tensor::FloatDType {
    match dtype {
        DType::F64 => burn::tensor::FloatDType::F64,
        _ => burn::tensor::FloatDType::F32,
    }
}
