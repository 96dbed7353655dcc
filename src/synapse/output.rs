//! Synaptic outputs (SPEC §4; BrainPy `bp.synouts.COBA`, `CUBA`): how the postsynaptic
//! conductance becomes a current added into the postsynaptic `input`.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::math::TVal;
use crate::param::{ParamSpec, Params};

/// How `g_post` enters the postsynaptic group.
///
/// In files: `output = { kind = "coba", E = -80 }` or `output = { kind = "cuba" }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Output {
    /// Conductance-based: `I = g_post · (E − V_post)`, V_post from before this step's neuron
    /// update. `E` (mV) is a scalar or one value per postsynaptic neuron (parameter key `E`).
    Coba {
        /// Reversal potential (mV).
        #[serde(alias = "E")]
        e: ParamSpec,
    },
    /// Current-based: `I = g_post`.
    Cuba,
}

impl Output {
    /// `COBA(E)`.
    pub fn coba(e: f64) -> Self {
        Output::Coba { e: e.into() }
    }

    /// Builds the output's parameters into `params` (`E` over the postsynaptic `varshape`) and
    /// checks that the postsynaptic group has what the output needs.
    pub(crate) fn build(
        &self,
        params: &mut Params,
        post_varshape: &[usize],
        post_has_v: bool,
        post_name: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        if let Output::Coba { e } = self {
            if !post_has_v {
                return Err(Error::arg(
                    "output",
                    format!("COBA needs the membrane potential V of `{post_name}`, which has none"),
                ));
            }
            params
                .build("E", e, post_varshape, ctx)
                .map_err(|err| err.within("output"))?;
        }
        Ok(())
    }

    /// The current `[rows, post]` for `g_post` and the postsynaptic V (before its update).
    pub(crate) fn current(
        &self,
        params: &Params,
        g_post: Tensor<2>,
        v_post: Option<Tensor<2>>,
        name: &str,
    ) -> Result<Tensor<2>> {
        match self {
            Output::Cuba => Ok(g_post),
            Output::Coba { .. } => {
                let v = v_post.ok_or_else(|| {
                    Error::arg(name, "COBA output needs the postsynaptic V, none was given")
                })?;
                if v.dims() != g_post.dims() {
                    return Err(Error::ShapeMismatch {
                        what: format!("{name} post V"),
                        expected: g_post.dims().to_vec(),
                        got: v.dims().to_vec(),
                    });
                }
                let drive = (params.tval("E") - TVal::T(v)).into_tensor_like(&g_post);
                Ok(g_post * drive)
            }
        }
    }
}
