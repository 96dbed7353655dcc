//! Delay couplings between membrane potentials (BrainPy's `bp.synapses.DiffusiveCoupling` and
//! `bp.synapses.AdditiveCoupling`): a connection matrix, optionally with a delay per pair, from
//! the V of one group into the `input` of another (or the same) group.

use std::collections::BTreeSet;

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::{Synapse, VCurrents};
use crate::dynamics::{Core, Dynamics, StepTime};
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::neuron::NeuronGroup;
use crate::spikes::Spikes;
use crate::state::StateInit;

/// The delay of a coupling in steps: one for every pair or a `pre × post` matrix.
///
/// In files: `delay_steps = 5` or `delay_steps = [[0, 2], [3, 0]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CouplingDelay {
    /// The same delay for every pair (steps).
    Steps(i64),
    /// One delay per (pre, post) pair (steps), rows = presynaptic neurons.
    Matrix(Vec<Vec<i64>>),
}

/// Which coupling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CouplingKind {
    /// `input_j += Σ_i C_ij·(V_pre,i(t − d_ij) − V_post,j)`.
    Diffusive,
    /// `input_j += Σ_i C_ij·V_pre,i(t − d_ij)`.
    Additive,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CouplingRepr {
    conn_mat: Vec<Vec<f64>>,
    delay_steps: Option<CouplingDelay>,
    initial_delay_data: Option<Initializer>,
}

/// Configuration of a [`Coupling`] (both kinds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "CouplingRepr")]
pub struct CouplingConfig {
    /// The connection matrix `C`, `pre.num` rows × `post.num` columns (required).
    pub conn_mat: Vec<Vec<f64>>,
    /// Delays in steps (none: the V of this step, before the neurons update).
    pub delay_steps: Option<CouplingDelay>,
    /// What the delayed V reads before the start (BrainPy's `initial_delay_data`; default
    /// zeros), drawn with the buffer's `[delay, pre]` shape.
    pub initial_delay_data: Initializer,
}

impl CouplingConfig {
    /// No delay, zero initial delay data.
    pub fn new(conn_mat: Vec<Vec<f64>>) -> Self {
        CouplingConfig {
            conn_mat,
            delay_steps: None,
            initial_delay_data: Initializer::Zero,
        }
    }
}

impl From<CouplingRepr> for CouplingConfig {
    fn from(r: CouplingRepr) -> Self {
        CouplingConfig {
            conn_mat: r.conn_mat,
            delay_steps: r.delay_steps,
            initial_delay_data: r.initial_delay_data.unwrap_or(Initializer::Zero),
        }
    }
}

/// A delay coupling (BrainPy 2.4.6 `DiffusiveCoupling` / `AdditiveCoupling`, in
/// `brainpy/_src/dyn/synapses/delay_couplings.py`).
///
/// **Equations** (`C` the connection matrix, `d_ij` the delays in steps):
/// * diffusive: `input_j += Σ_i C_ij·(V_pre,i(k − d_ij) − V_post,j)`;
/// * additive: `input_j += Σ_i C_ij·V_pre,i(k − d_ij)`;
///
/// where `V(k − d)` is the V before step `k − d` (the one a neuron update of step `k − d`
/// started from) and, before the start, the initial delay data.
///
/// **Discrete update** (step k; BrainPy's order — couplings update with the synapses, before
/// the neurons): the currents from the buffered V, then this step's V_pre (before its update)
/// is pushed into the buffer (BrainPy's delay is an after-update of the coupling). The sum runs
/// as one product per distinct delay: `Σ_d V(k − d)·C_d − V_post·Σ_i C_ij` with `C_d` the part of
/// `C` of delay d.
///
/// **Gradients** (Training mode): through both V (the matrix is a constant, as in BrainPy).
///
/// | setting | unit | default |
/// |---|---|---|
/// | `conn_mat` | — | required, `pre × post` |
/// | `delay_steps` | steps | none |
/// | `initial_delay_data` | mV | zeros |
///
/// States: `delay_data` (`[max delay, pre]`, newest first) when there is a delay.
///
/// Not copied from BrainPy: (1) BrainPy sizes its ring as `ceil(max_delay / dt)` slots (it
/// passes the step count where a time is expected) and a connected pair of delay 0 in a delay
/// matrix then reads the V of that many steps back (zeros before); here delay 0 is the V of
/// this step, as without a delay, and `delay_steps = 0` is no delay (BrainPy fails on it).
/// (2) BrainPy couples any variable into any variable; here it is the groups' V into the
/// postsynaptic `input`. (3) `AdditiveCoupling` in BrainPy requires a square matrix (one group);
/// here it may join two groups of different sizes.
#[derive(Clone, Debug)]
pub struct Coupling {
    core: Core,
    kind: CouplingKind,
    pre: String,
    post: String,
    n_pre: usize,
    n_post: usize,
    /// Row-major `pre × post`.
    conn: Vec<f64>,
    /// Row-major `pre × post` delays (steps), or none.
    delays: Option<Vec<usize>>,
    /// The buffer length (the largest delay; 0 without a buffer).
    len: usize,
    /// (delay, `C_d`) for every delay of a connected pair, and `Σ_i C_ij` as `[1, post]`.
    parts: Vec<(usize, Tensor<2>)>,
    col_sum: Tensor<2>,
}

fn conn_matrix(m: &[Vec<f64>], n_pre: usize, n_post: usize, name: &str) -> Result<Vec<f64>> {
    let key = format!("{name}.conn_mat");
    if m.len() != n_pre || m.iter().any(|r| r.len() != n_post) {
        return Err(Error::ShapeMismatch {
            what: key,
            expected: vec![n_pre, n_post],
            got: vec![m.len(), m.first().map_or(0, Vec::len)],
        });
    }
    let flat: Vec<f64> = m.iter().flatten().copied().collect();
    if let Some(x) = flat.iter().find(|x| !x.is_finite()) {
        return Err(Error::arg(key, format!("values must be finite, got {x}")));
    }
    Ok(flat)
}

fn delay_matrix(
    d: &CouplingDelay,
    n_pre: usize,
    n_post: usize,
    name: &str,
) -> Result<Option<Vec<usize>>> {
    let key = format!("{name}.delay_steps");
    let check = |x: i64| {
        usize::try_from(x).map_err(|_| {
            Error::arg(
                &key,
                format!("a delay must be a number of steps >= 0, got {x}"),
            )
        })
    };
    let flat = match d {
        CouplingDelay::Steps(x) => vec![check(*x)?; n_pre * n_post],
        CouplingDelay::Matrix(m) => {
            if m.len() != n_pre || m.iter().any(|r| r.len() != n_post) {
                return Err(Error::ShapeMismatch {
                    what: key,
                    expected: vec![n_pre, n_post],
                    got: vec![m.len(), m.first().map_or(0, Vec::len)],
                });
            }
            m.iter()
                .flatten()
                .map(|&x| check(x))
                .collect::<Result<_>>()?
        }
    };
    Ok(flat.iter().any(|&x| x > 0).then_some(flat))
}

impl Coupling {
    /// BrainPy's `DiffusiveCoupling(pre.V, post.V, post.input, conn_mat, delay_steps)`.
    pub fn diffusive(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: CouplingConfig,
        name: Option<&str>,
    ) -> Result<Self> {
        Self::build(CouplingKind::Diffusive, pre, post, cfg, name)
    }

    /// BrainPy's `AdditiveCoupling(pre.V, post.input, conn_mat, delay_steps)`.
    pub fn additive(
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: CouplingConfig,
        name: Option<&str>,
    ) -> Result<Self> {
        Self::build(CouplingKind::Additive, pre, post, cfg, name)
    }

    fn build(
        kind: CouplingKind,
        pre: &dyn NeuronGroup,
        post: &dyn NeuronGroup,
        cfg: CouplingConfig,
        name: Option<&str>,
    ) -> Result<Self> {
        let class = class_of(kind);
        let mut core = Core::new(class, name, pre.ctx(), pre.mode())?;
        if pre.v().is_none() {
            return Err(Error::arg(
                &core.name,
                format!(
                    "the presynaptic group `{}` has no membrane potential V",
                    pre.name()
                ),
            ));
        }
        if (kind == CouplingKind::Diffusive && post.v().is_none()) || !post.has_input() {
            return Err(Error::arg(
                &core.name,
                format!(
                    "the postsynaptic group `{}` needs {}an input",
                    post.name(),
                    if kind == CouplingKind::Diffusive {
                        "a membrane potential V and "
                    } else {
                        ""
                    }
                ),
            ));
        }
        let (n_pre, n_post) = (pre.num(), post.num());
        let conn = conn_matrix(&cfg.conn_mat, n_pre, n_post, &core.name)?;
        let delays = match &cfg.delay_steps {
            None => None,
            Some(d) => delay_matrix(d, n_pre, n_post, &core.name)?,
        };
        let len = delays
            .as_ref()
            .map_or(0, |d| d.iter().copied().max().unwrap_or(0));
        if len > 0 {
            cfg.initial_delay_data
                .validate(&format!("{}.initial_delay_data", core.name))?;
            core.states.declare(
                "delay_data",
                StateInit::Float(cfg.initial_delay_data.clone()),
                vec![len, n_pre],
            );
        }
        let ctx = core.ctx.clone();
        core.states.reset(&ctx, core.mode)?;
        let (parts, col_sum) = Self::tensors(&conn, delays.as_deref(), n_pre, n_post, &core);
        Ok(Coupling {
            core,
            kind,
            pre: pre.name().to_string(),
            post: post.name().to_string(),
            n_pre,
            n_post,
            conn,
            delays,
            len,
            parts,
            col_sum,
        })
    }

    /// Which coupling this is.
    pub fn kind(&self) -> CouplingKind {
        self.kind
    }

    fn tensors(
        conn: &[f64],
        delays: Option<&[usize]>,
        n_pre: usize,
        n_post: usize,
        core: &Core,
    ) -> (Vec<(usize, Tensor<2>)>, Tensor<2>) {
        let ctx = &core.ctx;
        let of = |k: usize| delays.map_or(0, |d| d[k]);
        let used: BTreeSet<usize> = (0..conn.len())
            .filter(|&k| conn[k] != 0.0)
            .map(of)
            .collect();
        let parts = used
            .into_iter()
            .map(|d| {
                let part: Vec<f64> = (0..conn.len())
                    .map(|k| if of(k) == d { conn[k] } else { 0.0 })
                    .collect();
                (d, ctx.tensor(part, [n_pre, n_post]))
            })
            .collect();
        let col_sum: Vec<f64> = (0..n_post)
            .map(|j| (0..n_pre).map(|i| conn[i * n_post + j]).sum())
            .collect();
        (parts, ctx.tensor(col_sum, [1, n_post]))
    }
}

fn class_of(kind: CouplingKind) -> &'static str {
    match kind {
        CouplingKind::Diffusive => "DiffusiveCoupling",
        CouplingKind::Additive => "AdditiveCoupling",
    }
}

impl Dynamics for Coupling {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn class_name(&self) -> &'static str {
        class_of(self.kind)
    }
    fn on_ctx_change(&mut self) {
        (self.parts, self.col_sum) = Self::tensors(
            &self.conn,
            self.delays.as_deref(),
            self.n_pre,
            self.n_post,
            &self.core,
        );
    }
}

impl Synapse for Coupling {
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
        let [rows, n_pre] = pre_v.dims();
        let buffer = (self.len > 0).then(|| self.core.states.f("delay_data"));
        // Slot m of the buffer holds the V pushed m + 1 steps ago.
        let delayed = |d: usize| -> Tensor<2> {
            match (&buffer, d) {
                (Some(b), d) if d > 0 => b.clone().slice([0..rows, (d - 1) * n_pre..d * n_pre]),
                _ => pre_v.clone(),
            }
        };
        let mut out: Option<Tensor<2>> = None;
        for (d, part) in &self.parts {
            let x = delayed(*d).matmul(part.clone());
            out = Some(match out {
                None => x,
                Some(o) => o + x,
            });
        }
        let mut out = out.unwrap_or_else(|| post_v.zeros_like());
        if self.kind == CouplingKind::Diffusive {
            out = out - post_v * self.col_sum.clone();
        }
        if let Some(b) = buffer {
            let kept = b.slice([0..rows, 0..(self.len - 1) * n_pre]);
            self.core
                .states
                .set_f("delay_data", Tensor::cat(vec![pre_v, kept], 1));
        }
        Ok(VCurrents {
            into_pre: None,
            into_post: Some(out),
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
    use crate::neuron::{Fhn, FhnConfig};

    fn setup() -> (Ctx, Fhn) {
        let c = Ctx::new(BackendKind::Flex, Precision::F64).unwrap();
        let f = Fhn::new(2, FhnConfig::default(), &c, Mode::NonBatching).unwrap();
        (c, f)
    }

    /// A 2-step delay reads the initial data, then the V pushed two steps before.
    #[test]
    fn the_delay_reads_the_v_of_d_steps_before() {
        let (c, f) = setup();
        let cfg = CouplingConfig {
            delay_steps: Some(CouplingDelay::Steps(2)),
            initial_delay_data: Initializer::constant(7.0),
            ..CouplingConfig::new(vec![vec![0.0, 1.0], vec![0.0, 0.0]])
        };
        let mut a = Coupling::additive(&f, &f, cfg, None).unwrap();
        let host = |t: Tensor<2>| crate::tensor_io::to_f64_vec(t).unwrap();
        let mut got = Vec::new();
        for k in 0..5u64 {
            let v = c.tensor(vec![k as f64, 0.0], [1, 2]);
            let out = a.update_v(&StepTime::new(k, 0.1), v.clone(), v).unwrap();
            got.push(host(out.into_post.unwrap())[1]);
        }
        assert_eq!(got, vec![7.0, 7.0, 0.0, 1.0, 2.0]);
        assert_eq!(a.states().unbatched_shape("delay_data"), &[2, 2]);
    }

    #[test]
    fn bad_matrices_are_errors_naming_the_key() {
        let (_, f) = setup();
        let err = Coupling::diffusive(&f, &f, CouplingConfig::new(vec![vec![0.0; 3]; 2]), None)
            .unwrap_err();
        assert!(err.to_string().contains("conn_mat"), "{err}");
        let cfg = CouplingConfig {
            delay_steps: Some(CouplingDelay::Steps(-1)),
            ..CouplingConfig::new(vec![vec![0.0; 2]; 2])
        };
        let err = Coupling::diffusive(&f, &f, cfg, None).unwrap_err();
        assert!(err.to_string().contains("delay_steps"), "{err}");
        let cfg = CouplingConfig::new(vec![vec![f64::NAN, 0.0], vec![0.0, 0.0]]);
        let err = Coupling::additive(&f, &f, cfg, None).unwrap_err();
        assert!(err.to_string().contains("finite"), "{err}");
    }
}
