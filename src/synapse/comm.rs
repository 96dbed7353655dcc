//! Communication: presynaptic values → postsynaptic values through the weighted connectivity
//! (BrainPy's `AllToAll`, `OneToOne`, `MaskedLinear`, `CSRLinear`, `EventCSRLinear`).
//!
//! `post_j = Σ_{(i, j) ∈ conn} w_ij · x_i`, computed by one of:
//!
//! * **all-to-all**, scalar weight: `w · (Σ_i x_i − x_j)` (`− x_j` only without self
//!   connections), O(N);
//! * **one-to-one**: `w_i · x_i`;
//! * **dense** (`comp_method = dense`): `x @ (W ⊙ M)`, `M` the 0/1 connectivity matrix;
//! * **sparse** (`comp_method = sparse`): CSR. For float input (a conductance, or spikes in
//!   Training mode, whose surrogate gradient must reach every presynaptic neuron) a full CSR
//!   mat-vec: `x[:, pre_k]·w_k` scattered-added into `post_k`. For spike input outside Training
//!   it is **event-driven**: only the rows of the presynaptic neurons that spiked are touched
//!   (`argwhere` on the spikes, a gather of their rows from a padded row table, one scatter-add;
//!   the count read back by `argwhere` is a device sync on GPUs).
//!
//! Weights are a scalar or one value per synapse (in CSR order, see [`super::conn`]), held as
//! the synapse's `g_max` [`NParam`] so that they can be trained. All paths are Burn tensor ops
//! (no host loop over synapses per step) and differentiable.

use burn::tensor::{Bool, DType, IndexingUpdateOp, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::conn::{Connectivity, Structure};
use crate::backend::Ctx;
use crate::error::Result;
use crate::math::TVal;
use crate::param::{NParam, ParamSpec, ParamValue};
use crate::spikes::float_dtype;

/// How the connectivity is computed (BrainPy's `comp_method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompMethod {
    /// Masked dense matrix product.
    #[default]
    Dense,
    /// Compressed sparse rows; event-driven on spikes.
    Sparse,
}

/// What a communication layer is applied to.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // short-lived, built once per step
pub(crate) enum CommInput {
    /// Float values `[rows, pre]` (conductances, Training-mode spikes, ...).
    Values(Tensor<2>),
    /// Boolean spikes `[rows, pre]`, each optionally scaled (STP release factors `[rows, pre]`).
    Events {
        mask: Tensor<2, Bool>,
        scale: Option<Tensor<2>>,
    },
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // one per synapse layer
enum Kind {
    /// No synapses at all.
    Empty,
    /// All-to-all with a scalar weight.
    All2All { include_self: bool },
    /// One-to-one.
    One2One,
    /// `x @ W`.
    Dense {
        /// 0/1 connectivity `[pre, post]` (scalar weights).
        mask: Tensor<2>,
        /// `i·post + j` of each synapse, CSR order (builds `W ⊙ M` from per-synapse weights;
        /// built every step from the parameter, so optimizer steps and loaded checkpoints apply).
        flat: Tensor<1, Int>,
    },
    /// CSR.
    Sparse {
        pre_idx: Tensor<1, Int>,
        post_idx: Tensor<1, Int>,
        /// `[pre, fan]`: the targets of each row, padded with the dummy column `post`.
        ell_post: Tensor<2, Int>,
        /// `[pre, fan]`: the synapse index of each entry (0 in the padding).
        ell_syn: Tensor<2, Int>,
        fan: usize,
    },
}

/// A built communication layer.
#[derive(Clone, Debug)]
pub struct Comm {
    n_pre: usize,
    n_post: usize,
    nnz: usize,
    per_synapse: bool,
    dtype: DType,
    /// Host copy of the connectivity (the device tensors are rebuilt from it on device moves).
    conn: Connectivity,
    method: CompMethod,
    kind: Kind,
}

fn int1(ctx: &Ctx, v: Vec<i64>) -> Tensor<1, Int> {
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), &ctx.device)
}

fn int2(ctx: &Ctx, v: Vec<i64>, shape: [usize; 2]) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(v, shape), &ctx.device)
}

/// The tensors of a layer on `ctx`'s device.
fn make_kind(conn: &Connectivity, method: CompMethod, per_synapse: bool, ctx: &Ctx) -> Kind {
    let (n_pre, n_post, nnz) = (conn.n_pre(), conn.n_post(), conn.nnz());
    match conn.structure() {
        _ if nnz == 0 => Kind::Empty,
        Structure::One2One => Kind::One2One,
        Structure::All2All { include_self }
            if !per_synapse && (include_self || n_pre == n_post) =>
        {
            Kind::All2All { include_self }
        }
        _ => match method {
            CompMethod::Dense => {
                let flat: Vec<usize> = conn
                    .pre_indices()
                    .iter()
                    .zip(conn.post_indices())
                    .map(|(&i, &j)| i as usize * n_post + j as usize)
                    .collect();
                let mut m = vec![0.0; n_pre * n_post];
                for &f in &flat {
                    m[f] = 1.0;
                }
                Kind::Dense {
                    mask: ctx.tensor(m, [n_pre, n_post]),
                    flat: int1(ctx, flat.iter().map(|&f| f as i64).collect()),
                }
            }
            CompMethod::Sparse => {
                let indptr = conn.indptr();
                let fan = conn.max_fan_out();
                let post = conn.post_indices();
                let mut ell_post = vec![n_post as i64; n_pre * fan];
                let mut ell_syn = vec![0i64; n_pre * fan];
                for i in 0..n_pre {
                    for (s, k) in (indptr[i]..indptr[i + 1]).enumerate() {
                        ell_post[i * fan + s] = post[k] as i64;
                        ell_syn[i * fan + s] = k as i64;
                    }
                }
                Kind::Sparse {
                    pre_idx: int1(ctx, conn.pre_indices().iter().map(|&i| i as i64).collect()),
                    post_idx: int1(ctx, post.iter().map(|&j| j as i64).collect()),
                    ell_post: int2(ctx, ell_post, [n_pre, fan]),
                    ell_syn: int2(ctx, ell_syn, [n_pre, fan]),
                    fan,
                }
            }
        },
    }
}

impl Comm {
    /// Builds the layer for `conn` and the weight parameter from `g_max` (a scalar, one value
    /// per synapse in the connector's synapse order, a full `pre × post` matrix, or an
    /// initializer drawn per synapse in CSR order). `key` names the weight in errors.
    pub fn build(
        conn: &Connectivity,
        method: CompMethod,
        g_max: &ParamSpec,
        key: &str,
        ctx: &Ctx,
    ) -> Result<(Comm, NParam)> {
        let nnz = conn.nnz();
        let (weight, per_synapse) = match &g_max.value {
            ParamValue::Scalar(_) => (NParam::build(g_max, key, &[1], ctx)?, false),
            ParamValue::PerNeuron(values) => {
                if let Some(x) = values.iter().find(|x| !x.is_finite()) {
                    return Err(crate::error::Error::arg(
                        key,
                        format!("values must be finite, got {x}"),
                    ));
                }
                let v = conn.per_synapse(values, key)?;
                (NParam::from_values(v, g_max.trainable, ctx), true)
            }
            ParamValue::Init(init) => {
                let v = init.generate(key, &[nnz], 1)?;
                (NParam::from_values(v, g_max.trainable, ctx), true)
            }
        };
        let kind = make_kind(conn, method, per_synapse, ctx);
        Ok((
            Comm {
                n_pre: conn.n_pre(),
                n_post: conn.n_post(),
                nnz,
                per_synapse,
                dtype: ctx.dtype(),
                conn: conn.clone(),
                method,
                kind,
            },
            weight,
        ))
    }

    /// Re-creates the layer's index and mask tensors on `ctx`'s device (after a device move or
    /// an autodiff transition; they are built from the host copy of the connectivity).
    pub(crate) fn rebuild_for(&mut self, ctx: &Ctx) {
        self.dtype = ctx.dtype();
        self.kind = make_kind(&self.conn, self.method, self.per_synapse, ctx);
    }

    /// Number of synapses.
    pub fn nnz(&self) -> usize {
        self.nnz
    }

    /// Whether the weights are one per synapse (else one scalar).
    pub fn per_synapse(&self) -> bool {
        self.per_synapse
    }

    /// Number of postsynaptic neurons.
    pub(crate) fn n_post(&self) -> usize {
        self.n_post
    }

    /// The connectivity on the host, for the fused CPU path ([`crate::fused::synapses`]).
    pub(crate) fn host_conn(&self) -> crate::fused::synapses::HostConn {
        use crate::fused::synapses::HostConn;
        match &self.kind {
            Kind::Empty => HostConn::Empty,
            Kind::All2All { include_self } => HostConn::All2All {
                include_self: *include_self,
            },
            Kind::One2One => HostConn::One2One,
            Kind::Dense { .. } | Kind::Sparse { .. } => HostConn::Csr {
                indptr: self.conn.indptr(),
                post: self.conn.post_indices().to_vec(),
            },
        }
    }

    /// Whether spike input is propagated event-driven (sparse CSR outside Training).
    pub fn is_event_driven(&self) -> bool {
        matches!(self.kind, Kind::Sparse { .. })
    }

    fn zeros(&self, rows: usize, device: &burn::tensor::Device) -> Tensor<2> {
        Tensor::zeros([rows, self.n_post], (device, self.dtype))
    }

    /// `[rows, post]` = the weighted sum of `input` over the connectivity, with weights `w`
    /// (the `g_max` parameter this layer was built with).
    pub(crate) fn apply(&self, input: CommInput, w: &NParam) -> Tensor<2> {
        let input = match (&self.kind, input) {
            (Kind::Sparse { .. }, i @ CommInput::Events { .. }) => i,
            (_, CommInput::Events { mask, scale }) => {
                let x = mask.cast(float_dtype(self.dtype));
                CommInput::Values(match scale {
                    Some(s) => x * s,
                    None => x,
                })
            }
            (_, v) => v,
        };
        let scalar_w = |t: Tensor<2>| -> Tensor<2> {
            match w.tval() {
                TVal::S(c) => t.mul_scalar(c),
                TVal::T(p) => t * p,
            }
        };
        let w_row = || -> Tensor<2> {
            match w {
                NParam::Tensor(p) => p.val(),
                NParam::Const(_) => panic!("per-synapse weights are always tensors"),
            }
        };
        match (&self.kind, input) {
            (Kind::Empty, CommInput::Values(x)) => self.zeros(x.dims()[0], &x.device()),
            (Kind::Empty, CommInput::Events { mask, .. }) => {
                self.zeros(mask.dims()[0], &mask.device())
            }
            (Kind::All2All { include_self }, CommInput::Values(x)) => {
                let [rows, _] = x.dims();
                let total = x.clone().sum_dim(1);
                let out = if *include_self {
                    total.expand([rows, self.n_post])
                } else {
                    x.neg() + total
                };
                scalar_w(out)
            }
            (Kind::One2One, CommInput::Values(x)) => (TVal::T(x.clone()) * w.tval())
                .tensor()
                .expect("a tensor times anything is a tensor"),
            (Kind::Dense { mask, flat }, CommInput::Values(x)) => {
                if !self.per_synapse {
                    scalar_w(x.matmul(mask.clone()))
                } else {
                    let wv = w_row().reshape([self.nnz]);
                    let dense =
                        Tensor::<1>::zeros([self.n_pre * self.n_post], (&x.device(), self.dtype))
                            .select_assign(0, flat.clone(), wv, IndexingUpdateOp::Add)
                            .reshape([self.n_pre, self.n_post]);
                    x.matmul(dense)
                }
            }
            (
                Kind::Sparse {
                    pre_idx, post_idx, ..
                },
                CommInput::Values(x),
            ) => {
                let [rows, _] = x.dims();
                let device = x.device();
                let xs = x.select(1, pre_idx.clone());
                let xs = if self.per_synapse { xs * w_row() } else { xs };
                let out = self.zeros(rows, &device).select_assign(
                    1,
                    post_idx.clone(),
                    xs,
                    IndexingUpdateOp::Add,
                );
                if self.per_synapse { out } else { scalar_w(out) }
            }
            (
                Kind::Sparse {
                    ell_post,
                    ell_syn,
                    fan,
                    ..
                },
                CommInput::Events { mask, scale },
            ) => {
                let [rows, pre] = mask.dims();
                let device = mask.device();
                let idx = mask.argwhere();
                let k = idx.dims()[0];
                if k == 0 || *fan == 0 {
                    return self.zeros(rows, &device);
                }
                let fan = *fan;
                let r = idx.clone().slice([0..k, 0..1]).reshape([k]);
                let c = idx.slice([0..k, 1..2]).reshape([k]);
                let width = self.n_post + 1;
                let target = ell_post.clone().select(0, c.clone())
                    + r.clone().reshape([k, 1]).mul_scalar(width as i64);
                let mut vals: Tensor<2> = match scale {
                    Some(s) => {
                        let f = r.mul_scalar(pre as i64) + c.clone();
                        s.reshape([rows * pre])
                            .select(0, f)
                            .reshape([k, 1])
                            .repeat_dim(1, fan)
                    }
                    None => Tensor::ones([k, fan], (&device, self.dtype)),
                };
                if self.per_synapse {
                    let ids = ell_syn.clone().select(0, c).reshape([k * fan]);
                    let ws = w_row().reshape([self.nnz]).select(0, ids).reshape([k, fan]);
                    vals = vals * ws;
                }
                let out = Tensor::<1>::zeros([rows * width], (&device, self.dtype))
                    .select_assign(
                        0,
                        target.reshape([k * fan]),
                        vals.reshape([k * fan]),
                        IndexingUpdateOp::Add,
                    )
                    .reshape([rows, width])
                    .slice([0..rows, 0..self.n_post]);
                if self.per_synapse { out } else { scalar_w(out) }
            }
            (_, CommInput::Events { .. }) => unreachable!("events are converted above"),
        }
    }
}
