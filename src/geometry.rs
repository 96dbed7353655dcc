//! Group geometry: BrainPy's `size`, `keep_size`, `num` and `varshape`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mode::Mode;

/// The size of a neuron group: an int or a geometry like `(10, 10)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geometry {
    size: Vec<usize>,
    keep_size: bool,
}

impl Geometry {
    /// A geometry from its dimensions; each must be at least 1.
    pub fn new(size: impl Into<Vec<usize>>, keep_size: bool) -> Result<Self> {
        let size = size.into();
        if size.is_empty() {
            return Err(Error::arg("size", "must have at least one dimension"));
        }
        if size.contains(&0) {
            return Err(Error::arg(
                "size",
                format!("dimensions must be positive, got {size:?}"),
            ));
        }
        Ok(Geometry { size, keep_size })
    }

    /// A one-dimensional group of `n` neurons.
    pub fn flat(n: usize) -> Result<Self> {
        Self::new(vec![n], false)
    }

    /// The dimensions as given.
    pub fn size(&self) -> &[usize] {
        &self.size
    }

    /// Whether states keep the multi-dimensional shape.
    pub fn keep_size(&self) -> bool {
        self.keep_size
    }

    /// Number of neurons (product of `size`).
    pub fn num(&self) -> usize {
        self.size.iter().product()
    }

    /// The shape of one state without batch axis: `size` if `keep_size`, else `[num]`.
    pub fn varshape(&self) -> Vec<usize> {
        if self.keep_size {
            self.size.clone()
        } else {
            vec![self.num()]
        }
    }

    /// The user-visible shape of a state in `mode`: `varshape` or `[batch, ...varshape]`.
    pub fn state_shape(&self, mode: Mode) -> Vec<usize> {
        let mut shape = Vec::new();
        if let Some(b) = mode.batch_size() {
            shape.push(b);
        }
        shape.extend(self.varshape());
        shape
    }
}

/// Anything that converts into a geometry: `100`, `[10, 10]`, `vec![4, 5]`.
pub trait IntoGeometry {
    /// The geometry (with `keep_size = false`).
    fn into_geometry(self) -> Result<Geometry>;
}

impl IntoGeometry for usize {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::flat(self)
    }
}

impl<const N: usize> IntoGeometry for [usize; N] {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(self.to_vec(), false)
    }
}

impl IntoGeometry for Vec<usize> {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(self, false)
    }
}

impl IntoGeometry for Geometry {
    fn into_geometry(self) -> Result<Geometry> {
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varshape_follows_keep_size() {
        let g = Geometry::new(vec![10, 10], false).unwrap();
        assert_eq!(g.num(), 100);
        assert_eq!(g.varshape(), vec![100]);
        let k = Geometry::new(vec![10, 10], true).unwrap();
        assert_eq!(k.varshape(), vec![10, 10]);
        assert_eq!(
            k.state_shape(Mode::Batching { batch_size: 3 }),
            vec![3, 10, 10]
        );
        assert!(Geometry::new(vec![], false).is_err());
        assert!(Geometry::new(vec![3, 0], false).is_err());
    }
}
