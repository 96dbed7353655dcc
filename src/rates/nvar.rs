//! `NVAR`: the nonlinear vector auto-regression of next-generation reservoir computing
//! (Gauthier et al. 2021). BrainPy 2.4.6: `brainpy/_src/dyn/rates/nvar.py`.
//!
//! The node keeps the last `1 + (delay − 1)·stride` inputs. At each step it stores the input
//! `x(t)` and outputs
//!
//! ```text
//! [1]? ++ [x(t), x(t − s), …, x(t − (delay − 1)·s)] ++ monomials of that linear part
//! ```
//!
//! the constant `1` only with `constant`; the linear part has `delay·num_in` entries (time-major,
//! then feature); for each `order` `k` the monomials are the products of every
//! `combinations_with_replacement` of `k` linear entries, in that order. Inputs not seen yet are 0.
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `num_in` | — | input features |
//! | `delay` | — | number of (strided) past inputs in the linear part, ≥ 1 |
//! | `order` | none | monomial orders, each ≥ 2 |
//! | `stride` | 1 | steps between kept inputs, ≥ 1 |
//! | `constant` | false | a leading constant feature |

use burn::tensor::{Int, Tensor, TensorData};

use crate::algorithms::features::combinations_with_replacement;
use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::fit::{Dense, Node};

/// An NVAR node (see the module doc).
#[derive(Clone, Debug)]
pub struct Nvar {
    name: String,
    ctx: Ctx,
    num_in: usize,
    delay: usize,
    order: Vec<usize>,
    stride: usize,
    constant: bool,
    /// Per order, per factor position: the linear entries multiplied.
    comb_ids: Vec<Vec<Tensor<1, Int>>>,
    comb_len: Vec<usize>,
    store: Vec<Tensor<2>>,
    idx: usize,
}

impl Nvar {
    /// An NVAR node with BrainPy's parameters.
    pub fn new(
        num_in: usize,
        delay: usize,
        order: &[usize],
        stride: usize,
        constant: bool,
        ctx: &Ctx,
    ) -> Result<Self> {
        if num_in == 0 {
            return Err(Error::arg("NVAR.num_in", "must be >= 1"));
        }
        if delay == 0 {
            return Err(Error::arg("NVAR.delay", "must be >= 1"));
        }
        if stride == 0 {
            return Err(Error::arg("NVAR.stride", "must be >= 1"));
        }
        if let Some(o) = order.iter().find(|&&o| o < 2) {
            return Err(Error::arg(
                "NVAR.order",
                format!("every order must be >= 2, got {o}"),
            ));
        }
        let linear = delay * num_in;
        let mut comb_ids = Vec::new();
        let mut comb_len = Vec::new();
        for &o in order {
            let combs = combinations_with_replacement(linear, o);
            comb_len.push(combs.len());
            let cols = (0..o)
                .map(|j| {
                    let v: Vec<i64> = combs.iter().map(|c| c[j] as i64).collect();
                    Tensor::<1, Int>::from_data(TensorData::new(v, [combs.len()]), &ctx.device)
                })
                .collect();
            comb_ids.push(cols);
        }
        let num_delay = 1 + (delay - 1) * stride;
        Ok(Nvar {
            name: "nvar".into(),
            ctx: ctx.clone(),
            num_in,
            delay,
            order: order.to_vec(),
            stride,
            constant,
            comb_ids,
            comb_len,
            store: vec![ctx.zeros([1, num_in]); num_delay],
            idx: 0,
        })
    }

    /// The same node under another name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Entries of the linear part, `delay·num_in`.
    pub fn linear_dim(&self) -> usize {
        self.delay * self.num_in
    }

    /// Entries of the nonlinear part.
    pub fn nonlinear_dim(&self) -> usize {
        self.comb_len.iter().sum()
    }

    /// BrainPy's `get_feature_names()`: `x0(t)`, `x1(t-2)`, `x0(t)^2 x1(t)`, ...
    pub fn feature_names(&self) -> Vec<String> {
        let mut linear: Vec<String> = Vec::with_capacity(self.linear_dim());
        for d in 0..self.delay {
            for i in 0..self.num_in {
                linear.push(if d == 0 {
                    format!("x{i}(t)")
                } else {
                    format!("x{i}(t-{})", d * self.stride)
                });
            }
        }
        let mut names = Vec::new();
        if self.constant {
            names.push("1".to_string());
        }
        names.extend(linear.iter().cloned());
        for &o in &self.order {
            for comb in combinations_with_replacement(linear.len(), o) {
                let mut parts = Vec::new();
                let mut k = 0;
                while k < comb.len() {
                    let id = comb[k];
                    let count = comb[k..].iter().take_while(|&&c| c == id).count();
                    parts.push(if count == 1 {
                        linear[id].clone()
                    } else {
                        format!("{}^{count}", linear[id])
                    });
                    k += count;
                }
                names.push(parts.join(" "));
            }
        }
        names
    }
}

impl Node for Nvar {
    fn name(&self) -> &str {
        &self.name
    }

    fn num_out(&self) -> usize {
        self.linear_dim() + self.nonlinear_dim() + usize::from(self.constant)
    }

    fn reset_state(&mut self, batch: usize) -> Result<()> {
        let z = self.ctx.zeros([batch, self.num_in]);
        self.store.iter_mut().for_each(|s| *s = z.clone());
        self.idx = 0;
        Ok(())
    }

    fn update(&mut self, x: Tensor<2>) -> Result<Tensor<2>> {
        let [b, i] = x.dims();
        let [sb, _] = self.store[0].dims();
        if i != self.num_in || b != sb {
            return Err(Error::ShapeMismatch {
                what: format!("{}: input (reset_state sets the batch)", self.name),
                expected: vec![sb, self.num_in],
                got: vec![b, i],
            });
        }
        let n = self.store.len();
        self.store[self.idx] = x.cast(self.ctx.dtype());
        let linear = Tensor::cat(
            (0..self.delay)
                .map(|k| self.store[(self.idx + n - (k * self.stride) % n) % n].clone())
                .collect(),
            1,
        );
        let mut parts = Vec::with_capacity(2 + self.order.len());
        if self.constant {
            parts.push(self.ctx.full([b, 1], 1.0));
        }
        parts.push(linear.clone());
        for cols in &self.comb_ids {
            let mut prod = linear.clone().select(1, cols[0].clone());
            for c in &cols[1..] {
                prod = prod * linear.clone().select(1, c.clone());
            }
            parts.push(prod);
        }
        self.idx = (self.idx + 1) % n;
        Ok(Tensor::cat(parts, 1))
    }

    fn as_readout(&mut self) -> Option<&mut Dense> {
        None
    }
}
