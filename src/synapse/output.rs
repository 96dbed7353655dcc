//! Synaptic outputs (SPEC §4; BrainPy `bp.synouts.COBA`, `CUBA`): how the postsynaptic
//! conductance becomes a current added into the postsynaptic `input` (or, for
//! `CUBA(target_var='V')`, a jump of the postsynaptic V).

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::math::{Real, TVal};
use crate::param::{Domain, ParamSpec, Params};

/// How `g_post` enters the postsynaptic group.
///
/// In files: `output = { kind = "coba", E = -80 }`, `output = { kind = "cuba" }`,
/// `output = { kind = "cuba", target_var = "V" }`,
/// `output = { kind = "mg_block", E = 0, cc_Mg = 1.2, alpha = 0.062, beta = 3.57 }` or
/// `output = { kind = "none" }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "OutputRepr", into = "OutputRepr")]
pub enum Output {
    /// Conductance-based: `I = g_post · (E − V_post)`, V_post from before this step's neuron
    /// update. `E` (mV) is a scalar or one value per postsynaptic neuron (parameter key `E`).
    Coba {
        /// Reversal potential (mV).
        e: ParamSpec,
    },
    /// Current-based: `I = g_post`, added into the postsynaptic `input`.
    Cuba,
    /// BrainPy's `CUBA(target_var='V')` (the default of `Delta`): `g_post` is added straight
    /// into the postsynaptic **V** when the synapse updates, before the neurons integrate (a
    /// voltage jump, not a current).
    CubaV,
    /// BrainPy's `MgBlock` (the NMDA receptor's magnesium block):
    /// `I = g_post · (E − V_post) / (1 + cc_Mg/β · e^{−α·V_post})`. Each parameter is a scalar
    /// or one value per postsynaptic neuron (parameter keys `E`, `cc_Mg`, `Mg_alpha`,
    /// `Mg_beta`: α and β are prefixed so that they never meet a synapse's own rates).
    MgBlock {
        /// Reversal potential (mV). Default 0.
        e: ParamSpec,
        /// Extracellular Mg²⁺ concentration (mM), ≥ 0. Default 1.2.
        cc_mg: ParamSpec,
        /// Voltage sensitivity α (1/mV). Default 0.062.
        alpha: ParamSpec,
        /// β (mM), > 0. Default 3.57.
        beta: ParamSpec,
    },
    /// No output (BrainPy's `_NullSynOut`, the default of `DualExponential` and `Alpha`): the
    /// conductance evolves and nothing reaches the postsynaptic group.
    None,
}

/// The postsynaptic state an output writes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputTarget {
    /// The accumulated `input` (a current; every output but [`Output::CubaV`]).
    #[serde(rename = "input")]
    Input,
    /// The membrane potential `V` ([`Output::CubaV`]).
    V,
}

/// The file form of [`Output`] (BrainPy's spelling: `CUBA(target_var=...)`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum OutputRepr {
    Coba {
        #[serde(alias = "E")]
        e: ParamSpec,
    },
    Cuba {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_var: Option<OutputTarget>,
    },
    MgBlock {
        #[serde(alias = "E", default = "mg_defaults::e")]
        e: ParamSpec,
        #[serde(alias = "cc_Mg", default = "mg_defaults::cc_mg")]
        cc_mg: ParamSpec,
        #[serde(default = "mg_defaults::alpha")]
        alpha: ParamSpec,
        #[serde(default = "mg_defaults::beta")]
        beta: ParamSpec,
    },
    None,
}

impl From<OutputRepr> for Output {
    fn from(r: OutputRepr) -> Self {
        match r {
            OutputRepr::Coba { e } => Output::Coba { e },
            OutputRepr::Cuba {
                target_var: None | Some(OutputTarget::Input),
            } => Output::Cuba,
            OutputRepr::Cuba {
                target_var: Some(OutputTarget::V),
            } => Output::CubaV,
            OutputRepr::MgBlock {
                e,
                cc_mg,
                alpha,
                beta,
            } => Output::MgBlock {
                e,
                cc_mg,
                alpha,
                beta,
            },
            OutputRepr::None => Output::None,
        }
    }
}

impl From<Output> for OutputRepr {
    fn from(o: Output) -> Self {
        match o {
            Output::Coba { e } => OutputRepr::Coba { e },
            Output::Cuba => OutputRepr::Cuba { target_var: None },
            Output::CubaV => OutputRepr::Cuba {
                target_var: Some(OutputTarget::V),
            },
            Output::MgBlock {
                e,
                cc_mg,
                alpha,
                beta,
            } => OutputRepr::MgBlock {
                e,
                cc_mg,
                alpha,
                beta,
            },
            Output::None => OutputRepr::None,
        }
    }
}

/// BrainPy 2.4.6's `MgBlock` defaults.
mod mg_defaults {
    use crate::param::ParamSpec;
    pub fn e() -> ParamSpec {
        0.0.into()
    }
    pub fn cc_mg() -> ParamSpec {
        1.2.into()
    }
    pub fn alpha() -> ParamSpec {
        0.062.into()
    }
    pub fn beta() -> ParamSpec {
        3.57.into()
    }
}

impl Output {
    /// `COBA(E)`.
    pub fn coba(e: f64) -> Self {
        Output::Coba { e: e.into() }
    }

    /// `MgBlock(E, cc_Mg, alpha, beta)`.
    pub fn mg_block(e: f64, cc_mg: f64, alpha: f64, beta: f64) -> Self {
        Output::MgBlock {
            e: e.into(),
            cc_mg: cc_mg.into(),
            alpha: alpha.into(),
            beta: beta.into(),
        }
    }

    /// BrainPy's default `MgBlock()`: E = 0, cc_Mg = 1.2, α = 0.062, β = 3.57.
    pub fn mg_block_default() -> Self {
        Output::MgBlock {
            e: mg_defaults::e(),
            cc_mg: mg_defaults::cc_mg(),
            alpha: mg_defaults::alpha(),
            beta: mg_defaults::beta(),
        }
    }

    /// Whether `g_post` is a conductance driven by `E − V` (COBA, MgBlock).
    pub(crate) fn is_conductance(&self) -> bool {
        matches!(self, Output::Coba { .. } | Output::MgBlock { .. })
    }

    /// The postsynaptic state the output writes into.
    pub fn target(&self) -> OutputTarget {
        match self {
            Output::CubaV => OutputTarget::V,
            _ => OutputTarget::Input,
        }
    }

    /// Builds the output's parameters into `params` (over the postsynaptic `varshape`) and
    /// checks that the postsynaptic group has what the output needs.
    pub(crate) fn build(
        &self,
        params: &mut Params,
        post_varshape: &[usize],
        post_has_v: bool,
        post_name: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        if self.is_conductance() && !post_has_v {
            let kind = if matches!(self, Output::Coba { .. }) {
                "COBA"
            } else {
                "MgBlock"
            };
            return Err(Error::arg(
                "output",
                format!("{kind} needs the membrane potential V of `{post_name}`, which has none"),
            ));
        }
        let build = |params: &mut Params, key: &str, spec: &ParamSpec, domain: Domain| {
            params
                .build_in(key, spec, domain, post_varshape, ctx)
                .map_err(|err| err.within("output"))
        };
        match self {
            Output::Coba { e } => build(params, "E", e, Domain::Any)?,
            Output::MgBlock {
                e,
                cc_mg,
                alpha,
                beta,
            } => {
                build(params, "E", e, Domain::Any)?;
                build(params, "cc_Mg", cc_mg, Domain::NonNegative)?;
                build(params, "Mg_alpha", alpha, Domain::Any)?;
                build(params, "Mg_beta", beta, Domain::Positive)?;
            }
            Output::CubaV if !post_has_v => {
                return Err(Error::arg(
                    "output",
                    format!(
                        "CUBA(target_var = \"V\") adds into the membrane potential V of `{post_name}`, which has none"
                    ),
                ));
            }
            Output::Cuba | Output::CubaV | Output::None => {}
        }
        Ok(())
    }

    /// The current `[rows, post]` for `g_post` and the postsynaptic V (before its update);
    /// `None` for [`Output::None`]. For [`Output::CubaV`] it is the jump of V (`g_post`), which
    /// goes where [`Output::target`] says.
    pub(crate) fn current(
        &self,
        params: &Params,
        g_post: Tensor<2>,
        v_post: Option<Tensor<2>>,
        name: &str,
    ) -> Result<Option<Tensor<2>>> {
        let v = |v_post: Option<Tensor<2>>| -> Result<Tensor<2>> {
            let v = v_post.ok_or_else(|| {
                Error::arg(
                    name,
                    "a conductance output needs the postsynaptic V, none was given",
                )
            })?;
            if v.dims() != g_post.dims() {
                return Err(Error::ShapeMismatch {
                    what: format!("{name} post V"),
                    expected: g_post.dims().to_vec(),
                    got: v.dims().to_vec(),
                });
            }
            Ok(v)
        };
        match self {
            Output::None => Ok(None),
            Output::Cuba | Output::CubaV => Ok(Some(g_post)),
            Output::Coba { .. } => {
                let v = v(v_post)?;
                let drive = (params.tval("E") - TVal::T(v)).into_tensor_like(&g_post);
                Ok(Some(g_post * drive))
            }
            Output::MgBlock { .. } => {
                let v = TVal::T(v(v_post)?);
                let block = (params.tval("cc_Mg") / params.tval("Mg_beta"))
                    * (-(params.tval("Mg_alpha") * v.clone())).exp();
                let drive = ((params.tval("E") - v) / (block + 1.0)).into_tensor_like(&g_post);
                Ok(Some(g_post * drive))
            }
        }
    }
}
