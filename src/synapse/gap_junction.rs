//! The electrical synapse (BrainPy's legacy `bp.synapses.GapJunction`): a conductance between
//! the membrane potentials of two groups that drives both of them.

use burn::tensor::{IndexingUpdateOp, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::comm::{Comm, CompMethod};
use super::conn::{Connectivity, Connector};
use super::{Synapse, VCurrents};
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::neuron::NeuronGroup;
use crate::param::{NParam, ParamSpec};
use crate::spikes::Spikes;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GapJunctionRepr {
    conn: Connector,
    comp_method: Option<CompMethod>,
    g_max: Option<ParamSpec>,
}

/// Configuration of a [`GapJunction`]; [`GapJunctionConfig::new`] gives BrainPy's defaults:
/// `g_max` 1, dense. In files `conn` is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "GapJunctionRepr")]
pub struct GapJunctionConfig {
    /// Connectivity (required in files): the ordered pairs (pre, post) that are coupled.
    pub conn: Connector,
    /// BrainPy's `comp_method` (`dense`, the default, or `sparse`). Both give the same currents;
    /// the composed step sums them as products with the dense `pre × post` weight matrix.
    pub comp_method: CompMethod,
    /// The conductance of each pair: a scalar, one value per synapse, or an initializer;
    /// trainable on request (parameter key `g_max`, BrainPy's `weights`).
    pub g_max: ParamSpec,
}

impl GapJunctionConfig {
    /// BrainPy's defaults with connectivity `conn`.
    pub fn new(conn: Connector) -> Self {
        GapJunctionConfig {
            conn,
            comp_method: CompMethod::Dense,
            g_max: 1.0.into(),
        }
    }
}

impl Default for GapJunctionConfig {
    /// BrainPy's defaults, all-to-all without self-pairs (files must name `conn`).
    fn default() -> Self {
        Self::new(Connector::all2all(false))
    }
}

impl From<GapJunctionRepr> for GapJunctionConfig {
    fn from(r: GapJunctionRepr) -> Self {
        let d = GapJunctionConfig::new(r.conn);
        GapJunctionConfig {
            comp_method: r.comp_method.unwrap_or(d.comp_method),
            g_max: r.g_max.unwrap_or(d.g_max),
            conn: d.conn,
        }
    }
}

/// Gap junction (BrainPy `bp.synapses.GapJunction`, 2.4.6): every coupled pair (i, j) passes
/// the current `w_ij·(V_i − V_j)` from the presynaptic neuron i to the postsynaptic neuron j.
///
/// **Equations**: `I_post,j = Σ_i w_ij·(V_pre,i − V_post,j)` into the postsynaptic `input` and
/// `I_pre,i = −Σ_j w_ij·(V_pre,i − V_post,j)` into the presynaptic `input` (BrainPy adds the
/// postsynaptic current first). A group coupled to itself (pre = post) with both (i, j) and
/// (j, i) connected therefore feels `2·Σ_i w·(V_i − V_j)`, as in BrainPy.
///
/// **Discrete update** (step k, BrainPy's order — synapses before neurons): both currents from
/// the V of both groups before this step's neuron update, computed as
/// `V_pre·W − V_post·Σ_i W_ij` and `V_post·Wᵀ − V_pre·Σ_j W_ij` with the dense weight matrix W
/// (zero off the connectivity); no state, no delay.
///
/// **Gradients** (Training mode): through `g_max` and both V; there are no spikes to carry a
/// surrogate.
///
/// | parameter | unit | default |
/// |---|---|---|
/// | `g_max` | conductance (per synapse) | 1 |
/// | `comp_method` | — | dense |
///
/// Beyond BrainPy: a batch axis (BrainPy 2.4.6's dense step reshapes V to one column and
/// cannot batch) and trainable weights. Reference: BrainPy 2.4.6
/// `brainpy/_src/dynold/synapses/gap_junction.py`.
#[derive(Clone, Debug)]
pub struct GapJunction {
    core: Core,
    pre: String,
    post: String,
    n_pre: usize,
    n_post: usize,
    /// `pre·n_post + post` of every synapse, in the weights' (CSR) order.
    flat: Vec<i64>,
    per_synapse: bool,
    /// The dense 0/1 mask of the connectivity and the flat indices, on the core's device.
    mask: Tensor<2>,
    flat_t: Tensor<1, Int>,
}

fn needs(group: &dyn NeuronGroup, side: &str, name: &str) -> Result<()> {
    if group.v().is_none() || !group.has_input() {
        return Err(Error::arg(
            name,
            format!(
                "the {side} group `{}` needs a membrane potential V and an input",
                group.name()
            ),
        ));
    }
    Ok(())
}

impl GapJunction {
    /// A gap junction between `pre` and `post` (the same group allowed) named
    /// `GapJunction<k>`.
    pub fn new(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: GapJunctionConfig,
    ) -> Result<Self> {
        Self::named(pre, post, cfg, None)
    }

    /// With an explicit name (`None` for the default).
    pub fn named(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: GapJunctionConfig,
        name: Option<&str>,
    ) -> Result<Self> {
        let mut core = Core::new("GapJunction", name, pre.ctx(), pre.mode())?;
        needs(pre, "presynaptic", &core.name)?;
        needs(post, "postsynaptic", &core.name)?;
        let (n_pre, n_post) = (pre.num(), post.num());
        let conn = Connectivity::build(&cfg.conn, n_pre, n_post)?;
        let key = format!("{}.g_max", core.name);
        let (comm, w) = Comm::build(&conn, cfg.comp_method, &cfg.g_max, &key, &core.ctx)?;
        core.params.insert("g_max", w);
        let flat: Vec<i64> = conn
            .pre_indices()
            .iter()
            .zip(conn.post_indices())
            .map(|(&i, &j)| i as i64 * n_post as i64 + j as i64)
            .collect();
        let ctx = core.ctx.clone();
        core.states.reset(&ctx, core.mode)?;
        let (mask, flat_t) = Self::tensors(&flat, n_pre, n_post, &core);
        Ok(GapJunction {
            core,
            pre: pre.name().to_string(),
            post: post.name().to_string(),
            n_pre,
            n_post,
            flat,
            per_synapse: comm.per_synapse(),
            mask,
            flat_t,
        })
    }

    fn tensors(
        flat: &[i64],
        n_pre: usize,
        n_post: usize,
        core: &Core,
    ) -> (Tensor<2>, Tensor<1, Int>) {
        let mut m = vec![0.0; n_pre * n_post];
        for &f in flat {
            m[f as usize] = 1.0;
        }
        let flat_t = Tensor::from_data(
            TensorData::new(flat.to_vec(), [flat.len()]),
            &core.ctx.device,
        );
        (core.ctx.tensor(m, [n_pre, n_post]), flat_t)
    }

    /// The dense `pre × post` weight matrix (zero off the connectivity).
    fn weights(&self) -> Tensor<2> {
        match self.core.params.get("g_max") {
            NParam::Const(g) => self.mask.clone().mul_scalar(*g),
            NParam::Tensor(p) if !self.per_synapse => self.mask.clone() * p.val(),
            NParam::Tensor(p) => {
                let nnz = self.flat.len();
                let dtype = self.core.ctx.dtype();
                Tensor::<1>::zeros([self.n_pre * self.n_post], (&self.core.ctx.device, dtype))
                    .select_assign(
                        0,
                        self.flat_t.clone(),
                        p.val().reshape([nnz]),
                        IndexingUpdateOp::Add,
                    )
                    .reshape([self.n_pre, self.n_post])
            }
        }
    }
}

impl Dynamics for GapJunction {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        "GapJunction"
    }
    fn on_ctx_change(&mut self) {
        (self.mask, self.flat_t) = Self::tensors(&self.flat, self.n_pre, self.n_post, &self.core);
    }
}

impl Synapse for GapJunction {
    fn pre(&self) -> &str {
        &self.pre
    }
    fn post(&self) -> &str {
        &self.post
    }
    fn reads_v(&self) -> bool {
        true
    }
    fn update(
        &mut self,
        _ts: &StepTime,
        _pre_spike: &Spikes,
        _post_v: Option<Tensor<2>>,
    ) -> Result<Option<Tensor<2>>> {
        Err(super::reads_v_error(&self.core.name))
    }
    fn update_v(
        &mut self,
        _ts: &StepTime,
        pre_v: Tensor<2>,
        post_v: Tensor<2>,
    ) -> Result<VCurrents> {
        let w = self.weights();
        let into_post = pre_v.clone().matmul(w.clone()) - post_v.clone() * w.clone().sum_dim(0);
        let into_pre = post_v.matmul(w.clone().transpose()) - pre_v * w.sum_dim(1).transpose();
        Ok(VCurrents {
            into_pre: Some(into_pre),
            into_post: Some(into_post),
        })
    }
    fn push(&mut self, _pre_spike: &Spikes) -> Result<()> {
        Ok(())
    }
    fn clone_box(&self) -> Box<dyn Synapse> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{BackendKind, Ctx, Precision};
    use crate::mode::Mode;
    use crate::neuron::{Lif, LifConfig, SpikeTimeGroup, SpikeTimeGroupConfig};

    fn ctx() -> Ctx {
        Ctx::new(BackendKind::Flex, Precision::F64).unwrap()
    }

    /// Two neurons, one pair (0 → 1) of conductance 0.5: the currents are ±0.5·(V_0 − V_1),
    /// the pre side losing what the post side gains.
    #[test]
    fn one_pair_moves_current_both_ways() {
        let c = ctx();
        let a = Lif::new(1, LifConfig::default(), &c, Mode::NonBatching).unwrap();
        let b = Lif::new(1, LifConfig::default(), &c, Mode::NonBatching).unwrap();
        let cfg = GapJunctionConfig {
            g_max: 0.5.into(),
            ..GapJunctionConfig::new(Connector::ij(vec![0], vec![0]))
        };
        let mut gj = GapJunction::new(&a, &b, cfg).unwrap();
        let out = gj
            .update_v(
                &StepTime::new(0, 0.1),
                c.tensor(vec![-50.0], [1, 1]),
                c.tensor(vec![-60.0], [1, 1]),
            )
            .unwrap();
        let host = |t: Option<Tensor<2>>| crate::tensor_io::to_f64_vec(t.unwrap()).unwrap();
        assert_eq!(host(out.into_post), vec![5.0]);
        assert_eq!(host(out.into_pre), vec![-5.0]);
        let err = gj
            .update(&StepTime::new(0, 0.1), &a.spike().unwrap(), None)
            .unwrap_err();
        assert!(
            err.to_string().contains("reads the membrane potential"),
            "{err}"
        );
    }

    #[test]
    fn groups_without_v_or_input_are_refused() {
        let c = ctx();
        let lif = Lif::new(2, LifConfig::default(), &c, Mode::NonBatching).unwrap();
        let src = SpikeTimeGroup::new(
            2,
            SpikeTimeGroupConfig {
                indices: vec![0],
                times: vec![0.0],
            },
            &c,
            Mode::NonBatching,
        )
        .unwrap();
        let err = GapJunction::new(&src, &lif, GapJunctionConfig::default()).unwrap_err();
        assert!(err.to_string().contains("presynaptic group"), "{err}");
        let cfg: GapJunctionConfig = toml::from_str("conn = { kind = \"all2all\" }").unwrap();
        assert_eq!(cfg.comp_method, CompMethod::Dense);
        assert!(
            toml::from_str::<GapJunctionConfig>("conn = { kind = \"all2all\" }\ntau = 1.0")
                .is_err()
        );
    }
}
