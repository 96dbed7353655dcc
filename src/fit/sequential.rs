//! `Sequential`: nodes applied one after another, BrainPy's `bp.Sequential` for the usual
//! reservoir pipelines (`Reservoir → Dense`, `NVAR → Dense`).

use burn::tensor::Tensor;

use crate::error::{Error, Result};
use crate::fit::{Dense, FitModel, Node};

/// Nodes in a chain; its readouts are its [`Dense`] nodes.
#[derive(Debug, Default)]
pub struct Sequential {
    nodes: Vec<Box<dyn Node>>,
}

impl Sequential {
    /// An empty chain.
    pub fn new() -> Self {
        Sequential::default()
    }

    /// The chain with `node` appended.
    pub fn push(mut self, node: impl Node + 'static) -> Self {
        self.nodes.push(Box::new(node));
        self
    }

    /// The nodes.
    pub fn nodes(&self) -> &[Box<dyn Node>] {
        &self.nodes
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> Result<&dyn Node> {
        self.nodes
            .iter()
            .find(|n| n.name() == name)
            .map(|n| n.as_ref())
            .ok_or_else(|| {
                let names: Vec<&str> = self.nodes.iter().map(|n| n.name()).collect();
                Error::unknown_key(name, format!("nodes: {names:?}"))
            })
    }
}

impl FitModel for Sequential {
    fn reset_state(&mut self, batch: usize) -> Result<()> {
        self.nodes.iter_mut().try_for_each(|n| n.reset_state(batch))
    }

    fn update(&mut self, x: Tensor<2>) -> Result<Tensor<2>> {
        if self.nodes.is_empty() {
            return Err(Error::arg("model", "the Sequential has no nodes"));
        }
        self.nodes.iter_mut().try_fold(x, |x, n| n.update(x))
    }

    fn readouts_mut(&mut self) -> Vec<&mut Dense> {
        self.nodes
            .iter_mut()
            .filter_map(|n| n.as_readout())
            .collect()
    }
}
