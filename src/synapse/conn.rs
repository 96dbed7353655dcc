//! Connectivity (SPEC §4): what users write ([`Connector`]) and the one canonical
//! presynaptic → postsynaptic form every communication method is built from ([`Connectivity`]).
//!
//! Every connector is validated on the host and turned into a list of (pre, post) pairs in
//! **CSR order** (sorted by presynaptic index; within one presynaptic neuron the order the
//! connector produced). Dense and sparse communication are both built from this list, so the
//! same connector gives the same network whatever `comp_method` is (BrainPy's `FixedProb`
//! does not: its dense matrix and its CSR arrays are drawn differently).
//!
//! Per-synapse weights are given in the connector's own **synapse order** and stored in CSR
//! order:
//!
//! | connector | synapse order |
//! |---|---|
//! | `All2All` | row-major (i, j), the diagonal left out when `include_self = false` |
//! | `One2One` | i |
//! | `FixedProb` | row-major (i, j) of the kept pairs |
//! | `Ij` | the order of the `pre`/`post` lists |
//! | `Matrix` | row-major (i, j) of the `true` entries |
//! | `Csr` | CSR order |
//!
//! For every connector except `Ij` the synapse order already is CSR order. A weight list may
//! also be a full `pre × post` matrix (row-major); entries outside the connectivity are ignored.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

fn yes() -> bool {
    true
}

/// How the presynaptic neurons connect to the postsynaptic ones (BrainPy's `bp.conn.*`).
///
/// In files it is a table with a `kind`: `{ kind = "all2all", include_self = false }`,
/// `{ kind = "one2one" }`, `{ kind = "fixed_prob", prob = 0.02, seed = 1 }`,
/// `{ kind = "ij", pre = [0, 0, 1], post = [0, 1, 1] }`, `{ kind = "matrix", mask = [[true,
/// false], [false, true]] }`, `{ kind = "csr", indices = [0, 1, 1], indptr = [0, 2, 3] }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum Connector {
    /// Every presynaptic neuron to every postsynaptic one; `include_self = false` leaves out
    /// the pairs i → i (BrainPy `All2All`, default `include_self = true`).
    #[serde(rename = "all2all")]
    All2All {
        /// Keep the pairs i → i.
        #[serde(default = "yes")]
        include_self: bool,
    },
    /// Neuron i to neuron i; the groups must have the same size (BrainPy `One2One`).
    #[serde(rename = "one2one")]
    One2One,
    /// Each pair (i, j) independently with probability `prob`, seeded (BrainPy `FixedProb`
    /// with one rule for dense and sparse; see [`fixed_prob_pairs`]).
    #[serde(rename = "fixed_prob")]
    FixedProb {
        /// Connection probability in [0, 1].
        prob: f64,
        /// Keep the pairs i → i.
        #[serde(default = "yes")]
        include_self: bool,
        /// Seed of the draw.
        #[serde(default)]
        seed: u64,
    },
    /// Explicit pairs `(pre[k], post[k])` (BrainPy `IJConn`).
    #[serde(rename = "ij")]
    Ij {
        /// Presynaptic index of each synapse.
        pre: Vec<usize>,
        /// Postsynaptic index of each synapse.
        post: Vec<usize>,
    },
    /// A boolean `pre × post` matrix, one row per presynaptic neuron (BrainPy `MatConn`).
    #[serde(rename = "matrix")]
    Matrix {
        /// `mask[i][j]`: whether i connects to j.
        mask: Vec<Vec<bool>>,
    },
    /// Compressed sparse rows: the targets of presynaptic neuron i are
    /// `indices[indptr[i]..indptr[i + 1]]` (BrainPy `CSRConn`).
    #[serde(rename = "csr")]
    Csr {
        /// Postsynaptic indices, row by row.
        indices: Vec<usize>,
        /// Row pointers, `pre + 1` of them, starting at 0.
        indptr: Vec<usize>,
    },
}

impl Connector {
    /// `All2All { include_self }`.
    pub fn all2all(include_self: bool) -> Self {
        Connector::All2All { include_self }
    }

    /// `FixedProb { prob, include_self: true, seed }`.
    pub fn fixed_prob(prob: f64, seed: u64) -> Self {
        Connector::FixedProb {
            prob,
            include_self: true,
            seed,
        }
    }

    /// `Ij { pre, post }`.
    pub fn ij(pre: Vec<usize>, post: Vec<usize>) -> Self {
        Connector::Ij { pre, post }
    }
}

/// The structure a [`Connectivity`] keeps beyond its pairs (for the O(N) special cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Structure {
    /// All-to-all (with or without the pairs i → i).
    All2All {
        /// Whether the pairs i → i are included.
        include_self: bool,
    },
    /// One-to-one.
    One2One,
    /// Anything else.
    General,
}

/// A validated connectivity: the (pre, post) pairs in CSR order.
#[derive(Clone, Debug, PartialEq)]
pub struct Connectivity {
    n_pre: usize,
    n_post: usize,
    structure: Structure,
    pre: Vec<u32>,
    post: Vec<u32>,
    /// `order[k]` = canonical (CSR) position of the k-th synapse in the connector's order;
    /// `None` when the connector's order already is CSR order.
    order: Option<Vec<usize>>,
}

fn idx32(i: usize, what: &str) -> Result<u32> {
    u32::try_from(i).map_err(|_| Error::arg(what, format!("index {i} does not fit in 32 bits")))
}

/// The kept pairs of `FixedProb { prob, include_self, seed }` between `n_pre` and `n_post`
/// neurons, in row-major order.
///
/// The rule (one rule, used by dense and sparse communication alike): the pairs are visited
/// in row-major order of the linear index `ℓ = i·n_post + j`; the gaps between consecutive
/// kept pairs are independent Geometric(prob) numbers `⌊ln(v) / ln(1 − prob)⌋`, `v = 1 − u`
/// with `u` uniform in [0, 1) drawn from `StdRng::seed_from_u64(seed)` (rand 0.9), one draw per
/// kept pair plus the final draw that runs past the end. This is exactly an independent
/// Bernoulli(prob) choice per pair, at a cost proportional to the number of synapses. Pairs
/// i → i are then dropped when `include_self` is false. `prob = 0` keeps nothing and
/// `prob = 1` keeps every pair without drawing.
pub fn fixed_prob_pairs(
    n_pre: usize,
    n_post: usize,
    prob: f64,
    include_self: bool,
    seed: u64,
) -> Result<Vec<(usize, usize)>> {
    if !(prob.is_finite() && (0.0..=1.0).contains(&prob)) {
        return Err(Error::arg(
            "conn.prob",
            format!("a probability must be in [0, 1], got {prob}"),
        ));
    }
    let total = (n_pre as u128) * (n_post as u128);
    let mut pairs = Vec::new();
    if prob == 0.0 || total == 0 {
        return Ok(pairs);
    }
    let keep = |i: usize, j: usize| include_self || i != j;
    if prob == 1.0 {
        for i in 0..n_pre {
            for j in 0..n_post {
                if keep(i, j) {
                    pairs.push((i, j));
                }
            }
        }
        return Ok(pairs);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let log_q = (1.0 - prob).ln();
    let mut pos: u128 = 0;
    loop {
        let v = 1.0 - rng.random::<f64>();
        let gap = (v.ln() / log_q).floor();
        // A gap beyond the remaining pairs ends the draw (also guards against inf).
        if gap.is_nan() || gap >= (total - pos) as f64 {
            break;
        }
        pos += gap as u128;
        if pos >= total {
            break;
        }
        let (i, j) = (
            (pos / n_post as u128) as usize,
            (pos % n_post as u128) as usize,
        );
        if keep(i, j) {
            pairs.push((i, j));
        }
        pos += 1;
    }
    Ok(pairs)
}

impl Connectivity {
    /// Validates `conn` between groups of `n_pre` and `n_post` neurons. Errors name the
    /// offending argument (`conn`, `conn.prob`, `conn.pre`, ...).
    pub fn build(conn: &Connector, n_pre: usize, n_post: usize) -> Result<Self> {
        let mut structure = Structure::General;
        let pairs: Vec<(usize, usize)> = match conn {
            Connector::All2All { include_self } => {
                // Built straight in CSR order: no pairs to sort, none repeated.
                let (mut pre, mut post) = (Vec::new(), Vec::new());
                for i in 0..n_pre {
                    let i32_ = idx32(i, "conn")?;
                    for j in 0..n_post {
                        if *include_self || i != j {
                            pre.push(i32_);
                            post.push(idx32(j, "conn")?);
                        }
                    }
                }
                return Ok(Connectivity {
                    n_pre,
                    n_post,
                    structure: Structure::All2All {
                        include_self: *include_self,
                    },
                    pre,
                    post,
                    order: None,
                });
            }
            Connector::One2One => {
                if n_pre != n_post {
                    return Err(Error::arg(
                        "conn",
                        format!(
                            "One2One needs groups of equal size, got {n_pre} presynaptic and {n_post} postsynaptic neurons"
                        ),
                    ));
                }
                structure = Structure::One2One;
                (0..n_pre).map(|i| (i, i)).collect()
            }
            Connector::FixedProb {
                prob,
                include_self,
                seed,
            } => fixed_prob_pairs(n_pre, n_post, *prob, *include_self, *seed)?,
            Connector::Ij { pre, post } => {
                if pre.len() != post.len() {
                    return Err(Error::arg(
                        "conn.post",
                        format!(
                            "{} postsynaptic indices for {} presynaptic ones (one per synapse)",
                            post.len(),
                            pre.len()
                        ),
                    ));
                }
                if let Some(i) = pre.iter().find(|&&i| i >= n_pre) {
                    return Err(Error::arg(
                        "conn.pre",
                        format!("index {i} out of range for {n_pre} presynaptic neurons"),
                    ));
                }
                if let Some(j) = post.iter().find(|&&j| j >= n_post) {
                    return Err(Error::arg(
                        "conn.post",
                        format!("index {j} out of range for {n_post} postsynaptic neurons"),
                    ));
                }
                pre.iter().copied().zip(post.iter().copied()).collect()
            }
            Connector::Matrix { mask } => {
                if mask.len() != n_pre {
                    return Err(Error::ShapeMismatch {
                        what: "conn.mask".into(),
                        expected: vec![n_pre, n_post],
                        got: vec![mask.len()],
                    });
                }
                let mut v = Vec::new();
                for (i, row) in mask.iter().enumerate() {
                    if row.len() != n_post {
                        return Err(Error::ShapeMismatch {
                            what: format!("conn.mask[{i}]"),
                            expected: vec![n_post],
                            got: vec![row.len()],
                        });
                    }
                    v.extend(
                        row.iter()
                            .enumerate()
                            .filter(|(_, b)| **b)
                            .map(|(j, _)| (i, j)),
                    );
                }
                v
            }
            Connector::Csr { indices, indptr } => {
                if indptr.len() != n_pre + 1 {
                    return Err(Error::ShapeMismatch {
                        what: "conn.indptr".into(),
                        expected: vec![n_pre + 1],
                        got: vec![indptr.len()],
                    });
                }
                if indptr[0] != 0 || indptr.windows(2).any(|w| w[0] > w[1]) {
                    return Err(Error::arg(
                        "conn.indptr",
                        "must start at 0 and never decrease",
                    ));
                }
                if indptr[n_pre] != indices.len() {
                    return Err(Error::arg(
                        "conn.indptr",
                        format!(
                            "ends at {} but there are {} indices",
                            indptr[n_pre],
                            indices.len()
                        ),
                    ));
                }
                if let Some(j) = indices.iter().find(|&&j| j >= n_post) {
                    return Err(Error::arg(
                        "conn.indices",
                        format!("index {j} out of range for {n_post} postsynaptic neurons"),
                    ));
                }
                let mut v = Vec::with_capacity(indices.len());
                for i in 0..n_pre {
                    v.extend(indices[indptr[i]..indptr[i + 1]].iter().map(|&j| (i, j)));
                }
                v
            }
        };
        Self::from_pairs(pairs, n_pre, n_post, structure)
    }

    /// From pairs in the connector's synapse order: checks for duplicates and sorts into CSR
    /// order (stable, so each row keeps the connector's order).
    fn from_pairs(
        pairs: Vec<(usize, usize)>,
        n_pre: usize,
        n_post: usize,
        structure: Structure,
    ) -> Result<Self> {
        // Most connectors list their pairs in CSR order already; only then is no
        // permutation kept.
        let sorted = pairs.windows(2).all(|w| w[0].0 <= w[1].0);
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        let canonical = if sorted {
            None
        } else {
            order.sort_by_key(|&k| pairs[k].0);
            // `order` now lists connector positions in CSR order; invert it.
            let mut canonical = vec![0usize; pairs.len()];
            for (c, &k) in order.iter().enumerate() {
                canonical[k] = c;
            }
            Some(canonical)
        };
        let mut pre = Vec::with_capacity(pairs.len());
        let mut post = Vec::with_capacity(pairs.len());
        for &k in &order {
            pre.push(idx32(pairs[k].0, "conn")?);
            post.push(idx32(pairs[k].1, "conn")?);
        }
        // Duplicates: within each row, look for a repeated post index.
        let mut seen = vec![u32::MAX; n_post];
        for (&i, &j) in pre.iter().zip(&post) {
            if seen[j as usize] == i {
                return Err(Error::arg(
                    "conn",
                    format!(
                        "the pair ({i}, {j}) appears more than once (multiple synapses per pair are not supported)"
                    ),
                ));
            }
            seen[j as usize] = i;
        }
        Ok(Connectivity {
            n_pre,
            n_post,
            structure,
            pre,
            post,
            order: canonical,
        })
    }

    /// Number of presynaptic neurons.
    pub fn n_pre(&self) -> usize {
        self.n_pre
    }

    /// Number of postsynaptic neurons.
    pub fn n_post(&self) -> usize {
        self.n_post
    }

    /// Number of synapses.
    pub fn nnz(&self) -> usize {
        self.pre.len()
    }

    /// The special structure, if any.
    pub fn structure(&self) -> Structure {
        self.structure
    }

    /// Presynaptic index of each synapse, CSR order.
    pub fn pre_indices(&self) -> &[u32] {
        &self.pre
    }

    /// Postsynaptic index of each synapse, CSR order.
    pub fn post_indices(&self) -> &[u32] {
        &self.post
    }

    /// CSR row pointers (`n_pre + 1` entries).
    pub fn indptr(&self) -> Vec<usize> {
        let mut p = vec![0usize; self.n_pre + 1];
        for &i in &self.pre {
            p[i as usize + 1] += 1;
        }
        for i in 0..self.n_pre {
            p[i + 1] += p[i];
        }
        p
    }

    /// Largest number of targets of one presynaptic neuron.
    pub fn max_fan_out(&self) -> usize {
        let p = self.indptr();
        p.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }

    /// Per-synapse values given in the connector's synapse order (length `nnz`) or as a full
    /// `pre × post` row-major matrix, returned in CSR order. `what` names the argument.
    pub fn per_synapse(&self, values: &[f64], what: &str) -> Result<Vec<f64>> {
        let nnz = self.nnz();
        if values.len() == nnz {
            let mut out = vec![0.0; nnz];
            match &self.order {
                Some(order) => {
                    for (k, v) in values.iter().enumerate() {
                        out[order[k]] = *v;
                    }
                }
                None => out.copy_from_slice(values),
            }
            Ok(out)
        } else if values.len() == self.n_pre * self.n_post {
            Ok(self
                .pre
                .iter()
                .zip(&self.post)
                .map(|(&i, &j)| values[i as usize * self.n_post + j as usize])
                .collect())
        } else {
            Err(Error::arg(
                what,
                format!(
                    "{} values: expected one per synapse ({nnz}) or a full {}×{} matrix ({})",
                    values.len(),
                    self.n_pre,
                    self.n_post,
                    self.n_pre * self.n_post
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ij_is_sorted_into_csr_order_and_weights_follow() {
        let c = Connectivity::build(&Connector::ij(vec![1, 0, 0], vec![1, 1, 0]), 2, 2).unwrap();
        assert_eq!(c.pre_indices(), &[0, 0, 1]);
        assert_eq!(c.post_indices(), &[1, 0, 1]);
        assert_eq!(c.indptr(), vec![0, 2, 3]);
        assert_eq!(
            c.per_synapse(&[10.0, 20.0, 30.0], "g_max").unwrap(),
            vec![20.0, 30.0, 10.0]
        );
        // A full matrix is read at the pairs.
        assert_eq!(
            c.per_synapse(&[1.0, 2.0, 3.0, 4.0], "g_max").unwrap(),
            vec![2.0, 1.0, 4.0]
        );
        assert!(c.per_synapse(&[1.0, 2.0], "g_max").is_err());
    }

    #[test]
    fn connectors_agree_on_the_same_pairs() {
        let ij = Connectivity::build(&Connector::ij(vec![0, 0, 1], vec![0, 1, 1]), 2, 2).unwrap();
        let mat = Connectivity::build(
            &Connector::Matrix {
                mask: vec![vec![true, true], vec![false, true]],
            },
            2,
            2,
        )
        .unwrap();
        let csr = Connectivity::build(
            &Connector::Csr {
                indices: vec![0, 1, 1],
                indptr: vec![0, 2, 3],
            },
            2,
            2,
        )
        .unwrap();
        assert_eq!(ij.pre_indices(), mat.pre_indices());
        assert_eq!(ij.post_indices(), mat.post_indices());
        assert_eq!(ij.pre_indices(), csr.pre_indices());
        assert_eq!(ij.post_indices(), csr.post_indices());
        let a = Connectivity::build(&Connector::all2all(false), 3, 3).unwrap();
        assert_eq!(a.nnz(), 6);
        assert!(
            a.pre_indices()
                .iter()
                .zip(a.post_indices())
                .all(|(i, j)| i != j)
        );
    }

    #[test]
    fn bad_connectors_name_their_argument() {
        let msg = |c: &Connector, p, q| Connectivity::build(c, p, q).unwrap_err().to_string();
        assert!(msg(&Connector::One2One, 2, 3).contains("`conn`"));
        assert!(msg(&Connector::fixed_prob(1.5, 0), 2, 2).contains("conn.prob"));
        assert!(msg(&Connector::fixed_prob(-0.1, 0), 2, 2).contains("conn.prob"));
        assert!(msg(&Connector::ij(vec![0, 2], vec![0, 0]), 2, 2).contains("conn.pre"));
        assert!(msg(&Connector::ij(vec![0, 1], vec![0, 5]), 2, 2).contains("conn.post"));
        assert!(msg(&Connector::ij(vec![0, 0], vec![1, 1]), 2, 2).contains("more than once"));
        let bad_csr = Connector::Csr {
            indices: vec![0],
            indptr: vec![0, 2, 1],
        };
        assert!(msg(&bad_csr, 2, 2).contains("conn.indptr"));
    }

    #[test]
    fn fixed_prob_is_seeded_and_has_the_right_density() {
        let a = fixed_prob_pairs(200, 300, 0.1, true, 7).unwrap();
        let b = fixed_prob_pairs(200, 300, 0.1, true, 7).unwrap();
        assert_eq!(a, b);
        let c = fixed_prob_pairs(200, 300, 0.1, true, 8).unwrap();
        assert_ne!(a, c);
        // 60 000 Bernoulli(0.1) draws: mean 6000, sd ≈ 73; 5 sd either way.
        assert!((a.len() as f64 - 6000.0).abs() < 5.0 * 73.5, "{}", a.len());
        assert!(a.windows(2).all(|w| w[0] < w[1]), "row-major, no repeats");
        let no_self = fixed_prob_pairs(50, 50, 1.0, false, 0).unwrap();
        assert_eq!(no_self.len(), 50 * 49);
        assert!(fixed_prob_pairs(5, 5, 0.0, true, 0).unwrap().is_empty());
    }

    #[test]
    fn connectors_deserialize_from_tagged_tables() {
        let c: Connector = serde_json::from_str(r#"{"kind":"all2all"}"#).unwrap();
        assert_eq!(c, Connector::all2all(true));
        let c: Connector =
            serde_json::from_str(r#"{"kind":"fixed_prob","prob":0.02,"seed":3}"#).unwrap();
        assert_eq!(
            c,
            Connector::FixedProb {
                prob: 0.02,
                include_self: true,
                seed: 3
            }
        );
        assert!(
            serde_json::from_str::<Connector>(r#"{"kind":"fixed_prob","prob":0.1,"sed":1}"#)
                .is_err()
        );
    }
}
