//! `Reservoir`: a pool of leaky-integrator rate units with random recurrent connections, the
//! echo-state network's reservoir (Lukoševičius 2012). BrainPy 2.4.6:
//! `brainpy/_src/dyn/rates/reservoir.py`.
//!
//! For input `u: [batch, in]` and state `r: [batch, N]`, with `a` the leaky rate and `f` the
//! activation, one step is (`internal`, the default)
//!
//! ```text
//! h = f(u·W_in + r·W_rec) − noise_rec,   r ← (1 − a)·r + a·h
//! ```
//!
//! and with `external` activation `h = u·W_in + r·W_rec − noise_rec`, `r ← f((1 − a)·r + a·h)`.
//! The input first gets `noise_in·U(−1, 1)` when `noise_in > 0`.
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `num_in`, `num_out` | — | input features, reservoir units `N` |
//! | `leaky_rate` | 0.3 | `a` in [0, 1] |
//! | `activation` | `tanh` | `tanh`, `sigmoid`, `relu` or `identity` |
//! | `activation_type` | `internal` | where `f` applies (above) |
//! | `win`, `wrec` | `Normal(0, 0.1)` | initialisers of `W_in: [in, N]` and `W_rec: [N, N]` |
//! | `in_connectivity`, `rec_connectivity` | 0.1 | share of connections kept: a weight is zeroed where a uniform draw exceeds it (none when it is 1) |
//! | `spectral_radius` | none | if set, `W_rec` is scaled to this largest eigenvalue modulus (after the mask) |
//! | `noise_in`, `noise_rec` | 0 | noise gains (below) |
//! | `seed` | 0 | the masks' and `noise_in`'s draws |
//!
//! As BrainPy's code (not its docstring) does: the bias it initialises is never added in the
//! update, so there is none here; and its `noise_rec` term draws `uniform(-1, -1)`, i.e.
//! subtracts exactly `noise_rec` every step, which is what this reservoir does. BrainPy's
//! `comp_type` (`dense`/`sparse`) changes only how the product is computed; this reservoir
//! multiplies dense matrices on the context's device.

use burn::tensor::Tensor;
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::algorithms::linalg::{Mat, from_rows, spectral_radius, to_tensor};
use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::fit::{Dense, Node};
use crate::init::Initializer;

/// A reservoir unit's activation (BrainPy's `brainpy.math` function of that name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `tanh`.
    Tanh,
    /// `1 / (1 + e^{-x})`.
    Sigmoid,
    /// `max(x, 0)`.
    Relu,
    /// `x`.
    Identity,
}

impl Activation {
    /// The activation of a BrainPy name (`"tanh"`, `"sigmoid"`, `"relu"`, `"identity"`).
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "relu" => Activation::Relu,
            "identity" => Activation::Identity,
            _ => {
                return Err(Error::arg(
                    "activation",
                    format!("unknown activation `{name}` (tanh, sigmoid, relu, identity)"),
                ));
            }
        })
    }

    /// `f(x)` elementwise.
    pub fn apply(self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => burn::tensor::activation::sigmoid(x),
            Activation::Relu => burn::tensor::activation::relu(x),
            Activation::Identity => x,
        }
    }
}

/// Where the activation applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationType {
    /// Leaky integration of activated inputs (BrainPy's default).
    Internal,
    /// Activation of the leakily integrated state.
    External,
}

/// A reservoir's parameters (see the module doc; `Default` is BrainPy's, for 1 input and
/// 100 units).
#[derive(Clone, Debug, PartialEq)]
pub struct ReservoirConfig {
    /// Input features.
    pub num_in: usize,
    /// Reservoir units.
    pub num_out: usize,
    /// Leaky rate in [0, 1].
    pub leaky_rate: f64,
    /// The units' activation.
    pub activation: Activation,
    /// Where it applies.
    pub activation_type: ActivationType,
    /// `W_in`'s initialiser.
    pub win: Initializer,
    /// `W_rec`'s initialiser.
    pub wrec: Initializer,
    /// Share of input connections kept.
    pub in_connectivity: f64,
    /// Share of recurrent connections kept.
    pub rec_connectivity: f64,
    /// `W_rec`'s spectral radius after scaling, if set.
    pub spectral_radius: Option<f64>,
    /// Input noise gain.
    pub noise_in: f64,
    /// Recurrent noise gain (subtracted, see the module doc).
    pub noise_rec: f64,
    /// Seed of the connectivity masks and the input noise.
    pub seed: u64,
}

impl Default for ReservoirConfig {
    fn default() -> Self {
        ReservoirConfig {
            num_in: 1,
            num_out: 100,
            leaky_rate: 0.3,
            activation: Activation::Tanh,
            activation_type: ActivationType::Internal,
            win: Initializer::normal(0.0, 0.1, 1),
            wrec: Initializer::normal(0.0, 0.1, 2),
            in_connectivity: 0.1,
            rec_connectivity: 0.1,
            spectral_radius: None,
            noise_in: 0.0,
            noise_rec: 0.0,
            seed: 0,
        }
    }
}

impl ReservoirConfig {
    fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f64| -> Result<()> {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::arg(
                    format!("Reservoir.{name}"),
                    format!("must be in [0, 1], got {v}"),
                ));
            }
            Ok(())
        };
        if self.num_in == 0 || self.num_out == 0 {
            return Err(Error::arg(
                "Reservoir.num_out",
                format!(
                    "num_in and num_out must be positive, got {} and {}",
                    self.num_in, self.num_out
                ),
            ));
        }
        unit("leaky_rate", self.leaky_rate)?;
        unit("in_connectivity", self.in_connectivity)?;
        unit("rec_connectivity", self.rec_connectivity)?;
        if let Some(sr) = self.spectral_radius
            && !(sr.is_finite() && sr > 0.0)
        {
            return Err(Error::arg(
                "Reservoir.spectral_radius",
                format!("must be finite and > 0, got {sr}"),
            ));
        }
        for (name, v) in [("noise_in", self.noise_in), ("noise_rec", self.noise_rec)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::arg(
                    format!("Reservoir.{name}"),
                    format!("must be finite and >= 0, got {v}"),
                ));
            }
        }
        Ok(())
    }
}

/// An echo-state reservoir (see the module doc).
#[derive(Clone, Debug)]
pub struct Reservoir {
    name: String,
    cfg: ReservoirConfig,
    ctx: Ctx,
    win: Tensor<2>,
    wrec: Tensor<2>,
    state: Tensor<2>,
    rng: StdRng,
}

impl Reservoir {
    /// A reservoir with weights drawn from the configuration's initialisers, masked and
    /// scaled as BrainPy does.
    pub fn new(cfg: ReservoirConfig, ctx: &Ctx) -> Result<Self> {
        cfg.validate()?;
        let (i, n) = (cfg.num_in, cfg.num_out);
        let win = from_rows(i, n, &cfg.win.generate("Reservoir.win", &[i, n], 1)?);
        let wrec = from_rows(n, n, &cfg.wrec.generate("Reservoir.wrec", &[n, n], 1)?);
        Self::from_weights(cfg, win, wrec, ctx)
    }

    /// A reservoir with these weights (`W_in: [in, N]`, `W_rec: [N, N]`): masked where a
    /// connectivity is below 1 and scaled to the spectral radius if one is set, as BrainPy
    /// treats array initialisers.
    pub fn from_weights(cfg: ReservoirConfig, win: Mat, wrec: Mat, ctx: &Ctx) -> Result<Self> {
        cfg.validate()?;
        let (i, n) = (cfg.num_in, cfg.num_out);
        for (what, m, shape) in [
            ("Reservoir.win", &win, [i, n]),
            ("Reservoir.wrec", &wrec, [n, n]),
        ] {
            if m.shape() != (shape[0], shape[1]) {
                return Err(Error::ShapeMismatch {
                    what: what.into(),
                    expected: shape.to_vec(),
                    got: vec![m.nrows(), m.ncols()],
                });
            }
            crate::algorithms::linalg::check_finite(what, m)?;
        }
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let mut mask = |m: Mat, keep: f64| -> Mat {
            if keep >= 1.0 {
                return m;
            }
            // BrainPy: `random(shape) > connectivity` is cut, in row-major order.
            let mut m = m;
            for r in 0..m.nrows() {
                for c in 0..m.ncols() {
                    if rng.random::<f64>() > keep {
                        m[(r, c)] = 0.0;
                    }
                }
            }
            m
        };
        let win = mask(win, cfg.in_connectivity);
        let mut wrec = mask(wrec, cfg.rec_connectivity);
        if let Some(sr) = cfg.spectral_radius {
            let current = spectral_radius(&wrec);
            if !(current.is_finite() && current > 0.0) {
                return Err(Error::arg(
                    "Reservoir.spectral_radius",
                    format!("cannot scale W_rec: its spectral radius is {current}"),
                ));
            }
            wrec *= sr / current;
        }
        Ok(Reservoir {
            name: "reservoir".into(),
            win: to_tensor(&win, ctx),
            wrec: to_tensor(&wrec, ctx),
            state: ctx.zeros([1, n]),
            ctx: ctx.clone(),
            cfg,
            rng,
        })
    }

    /// The same reservoir under another name.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The parameters.
    pub fn config(&self) -> &ReservoirConfig {
        &self.cfg
    }

    /// `W_in: [in, N]` (after the mask).
    pub fn win(&self) -> Result<Mat> {
        crate::algorithms::linalg::from_tensor(self.win.clone())
    }

    /// `W_rec: [N, N]` (after the mask and the spectral-radius scaling).
    pub fn wrec(&self) -> Result<Mat> {
        crate::algorithms::linalg::from_tensor(self.wrec.clone())
    }

    /// The state `r: [batch, N]`.
    pub fn state(&self) -> Tensor<2> {
        self.state.clone()
    }

    /// Sets the state `r: [batch, N]` (a start other than zero; the batch follows it).
    pub fn set_state(&mut self, state: Tensor<2>) -> Result<()> {
        let [b, n] = state.dims();
        if n != self.cfg.num_out || b == 0 {
            return Err(Error::ShapeMismatch {
                what: format!("{}.state", self.name),
                expected: vec![b.max(1), self.cfg.num_out],
                got: vec![b, n],
            });
        }
        self.state = state.cast(self.ctx.dtype());
        Ok(())
    }
}

impl Node for Reservoir {
    fn name(&self) -> &str {
        &self.name
    }

    fn num_out(&self) -> usize {
        self.cfg.num_out
    }

    fn reset_state(&mut self, batch: usize) -> Result<()> {
        self.state = self.ctx.zeros([batch, self.cfg.num_out]);
        Ok(())
    }

    fn update(&mut self, x: Tensor<2>) -> Result<Tensor<2>> {
        let [b, i] = x.dims();
        let [sb, n] = self.state.dims();
        if i != self.cfg.num_in || b != sb {
            return Err(Error::ShapeMismatch {
                what: format!("{}: input (reset_state sets the batch)", self.name),
                expected: vec![sb, self.cfg.num_in],
                got: vec![b, i],
            });
        }
        let mut x = x.cast(self.ctx.dtype());
        if self.cfg.noise_in > 0.0 {
            let g = self.cfg.noise_in;
            let noise: Vec<f64> = (0..b * i)
                .map(|_| g * self.rng.random_range(-1.0..1.0))
                .collect();
            x = x + self.ctx.tensor(noise, [b, i]);
        }
        let mut hidden = x.matmul(self.win.clone()) + self.state.clone().matmul(self.wrec.clone());
        if self.cfg.activation_type == ActivationType::Internal {
            hidden = self.cfg.activation.apply(hidden);
        }
        if self.cfg.noise_rec > 0.0 {
            hidden = hidden.sub_scalar(self.cfg.noise_rec);
        }
        let a = self.cfg.leaky_rate;
        let mut state = self.state.clone().mul_scalar(1.0 - a) + hidden.mul_scalar(a);
        if self.cfg.activation_type == ActivationType::External {
            state = self.cfg.activation.apply(state);
        }
        debug_assert_eq!(state.dims(), [b, n]);
        self.state = state.clone();
        Ok(state)
    }

    fn as_readout(&mut self) -> Option<&mut Dense> {
        None
    }
}
