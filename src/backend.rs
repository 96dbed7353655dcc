//! Backends and precision, chosen at run time.
//!
//! Burn 0.22 has no backend generic: a tensor's backend is the [`Device`] it lives on. brainburn
//! bundles the device with the float precision in a [`Ctx`]; every tensor the library creates
//! uses the context's dtype explicitly, so float32 and float64 models can live in one process
//! without touching a device's global defaults.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{DType, Device, FloatDType, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A tensor backend brainburn knows by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Burn's pure-Rust CPU backend (SIMD + rayon). The default.
    Flex,
    /// The ndarray CPU backend (deprecated in Burn 0.22, kept as a second CPU reference).
    NdArray,
    /// wgpu (Vulkan/Metal/DX12; Mesa lavapipe without a GPU).
    Wgpu,
    /// CUDA.
    Cuda,
}

impl BackendKind {
    /// All backend kinds, compiled in or not.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Flex,
        BackendKind::NdArray,
        BackendKind::Wgpu,
        BackendKind::Cuda,
    ];

    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::NdArray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Whether this backend was compiled into the current build.
    pub fn is_compiled(self) -> bool {
        match self {
            BackendKind::Flex => cfg!(feature = "flex"),
            BackendKind::NdArray => cfg!(feature = "ndarray"),
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// Whether this backend computes on the host CPU (fused host loops apply).
    pub fn is_cpu(self) -> bool {
        matches!(self, BackendKind::Flex | BackendKind::NdArray)
    }

    /// The backends compiled into this build.
    pub fn compiled() -> Vec<BackendKind> {
        Self::ALL.into_iter().filter(|b| b.is_compiled()).collect()
    }

    /// The device for this backend, or an error if it was not compiled in.
    #[allow(unreachable_code)]
    pub fn device(self) -> Result<Device> {
        match self {
            BackendKind::Flex => {
                #[cfg(feature = "flex")]
                return Ok(Device::flex());
            }
            BackendKind::NdArray => {
                #[cfg(feature = "ndarray")]
                #[allow(deprecated)]
                return Ok(Device::ndarray());
            }
            BackendKind::Wgpu => {
                #[cfg(feature = "wgpu")]
                return Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice));
            }
            BackendKind::Cuda => {
                #[cfg(feature = "cuda")]
                return Ok(Device::cuda(0));
            }
        }
        Err(Error::BackendNotCompiled(self.name().to_string()))
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flex" => Ok(BackendKind::Flex),
            "ndarray" => Ok(BackendKind::NdArray),
            "wgpu" => Ok(BackendKind::Wgpu),
            "cuda" => Ok(BackendKind::Cuda),
            _ => Err(Error::UnknownBackend(s.to_string())),
        }
    }
}

/// Float precision of every tensor a model creates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// float32, the default (as BrainPy's).
    #[default]
    F32,
    /// float64, for exact parity with BrainPy's x64 mode (CPU backends).
    F64,
}

impl Precision {
    /// Burn's float dtype for this precision.
    pub fn float_dtype(self) -> FloatDType {
        match self {
            Precision::F32 => FloatDType::F32,
            Precision::F64 => FloatDType::F64,
        }
    }

    /// Burn's dtype for this precision.
    pub fn dtype(self) -> DType {
        self.float_dtype().into()
    }

    /// The name used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(Precision::F32),
            "f64" | "float64" => Ok(Precision::F64),
            _ => Err(Error::arg(
                "precision",
                format!("`{s}` is not one of f32, f64"),
            )),
        }
    }
}

/// Where tensors live and in which float precision: the context every model is built in.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The Burn device (its backend, and whether autodiff is on).
    pub device: Device,
    /// The float precision of every tensor created through this context.
    pub precision: Precision,
    /// Which backend the device belongs to (decides whether fused host loops apply).
    pub backend: BackendKind,
}

impl Ctx {
    /// A context on a named backend, or an error if the backend was not compiled in or does
    /// not support the precision.
    ///
    /// The device's default float dtype is set to `precision` (Burn's autodiff creates its
    /// gradient seeds with the device default, so float64 gradients need an F64 device). A
    /// device's defaults are fixed once per process at its first tensor: asking for the other
    /// precision on the same backend later is [`Error::PrecisionLocked`].
    pub fn new(backend: BackendKind, precision: Precision) -> Result<Self> {
        let mut device = backend.device()?;
        if !device.supports_dtype(precision.dtype()) {
            return Err(Error::UnsupportedPrecision {
                backend: backend.name().into(),
                precision: precision.name().into(),
            });
        }
        if device.configure(precision.float_dtype()).is_err() {
            let locked = device.settings().float_dtype;
            if locked != precision.float_dtype() {
                return Err(Error::PrecisionLocked {
                    backend: backend.name().into(),
                    locked: format!("{locked:?}"),
                    requested: precision.name().into(),
                });
            }
        }
        Ok(Ctx {
            device,
            precision,
            backend,
        })
    }

    /// float32 on the default CPU backend (flex, else ndarray).
    pub fn cpu() -> Result<Self> {
        let backend = if BackendKind::Flex.is_compiled() {
            BackendKind::Flex
        } else {
            BackendKind::NdArray
        };
        Self::new(backend, Precision::F32)
    }

    /// The same context with autodiff enabled (needed for Training mode and BPTT).
    pub fn autodiff(&self) -> Self {
        Ctx {
            device: self.device.clone().autodiff(),
            ..self.clone()
        }
    }

    /// The same context without autodiff.
    pub fn without_autodiff(&self) -> Self {
        Ctx {
            device: self.device.clone().without_autodiff(),
            ..self.clone()
        }
    }

    /// Whether tensors created here can track gradients.
    pub fn is_autodiff(&self) -> bool {
        self.device.is_autodiff()
    }

    /// The float dtype of this context.
    pub fn dtype(&self) -> DType {
        self.precision.dtype()
    }

    /// A float tensor of `shape` from f64 values (cast to the context's precision).
    pub fn tensor<const D: usize>(&self, values: Vec<f64>, shape: [usize; D]) -> Tensor<D> {
        debug_assert_eq!(
            values.len(),
            shape.iter().product::<usize>(),
            "value count vs shape"
        );
        let data = TensorData::new(values, shape).convert_dtype(self.dtype());
        Tensor::from_data(data, (&self.device, self.dtype()))
    }

    /// A float tensor filled with `value`.
    pub fn full<const D: usize>(&self, shape: [usize; D], value: f64) -> Tensor<D> {
        Tensor::full(shape, value, (&self.device, self.dtype()))
    }

    /// A float tensor of zeros.
    pub fn zeros<const D: usize>(&self, shape: [usize; D]) -> Tensor<D> {
        Tensor::zeros(shape, (&self.device, self.dtype()))
    }
}
