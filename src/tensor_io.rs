//! Moving tensor values between the device and the host, whatever the precision.

use burn::tensor::{Bool, Tensor, TensorData};

use crate::error::{Error, Result};

/// The tensor's values as f64 (reads back from the device).
pub fn to_f64_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f64>> {
    t.try_into_vec_as::<f64>()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}

/// The tensor's values as f32 (reads back from the device).
pub fn to_f32_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.try_into_vec_as::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}

/// A boolean tensor's values.
pub fn to_bool_vec<const D: usize>(t: Tensor<D, Bool>) -> Result<Vec<bool>> {
    let data: TensorData = t
        .try_into_data()
        .map_err(|e| Error::Backend(format!("{e:?}")))?;
    data.convert::<bool>()
        .try_to_vec::<bool>()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}
