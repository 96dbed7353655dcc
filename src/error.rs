//! The crate's error type: every failure caused by user input names the offending argument or key.

use thiserror::Error;

/// Result alias used throughout brainburn.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong because of what a user asked for.
#[derive(Debug, Error)]
pub enum Error {
    /// An argument has an invalid value (`arg` names it).
    #[error("invalid argument `{arg}`: {reason}")]
    InvalidArgument { arg: String, reason: String },

    /// A backend name that brainburn does not know.
    #[error("unknown backend `{0}` (expected one of: flex, ndarray, wgpu, cuda)")]
    UnknownBackend(String),

    /// A backend that exists but was not compiled into this build.
    #[error("backend `{0}` was not compiled in (enable the cargo feature `{0}`)")]
    BackendNotCompiled(String),

    /// A precision that the chosen backend cannot use.
    #[error("precision `{precision}` is not supported on backend `{backend}`")]
    UnsupportedPrecision { backend: String, precision: String },

    /// The backend's default float dtype is already fixed to another precision in this process
    /// (Burn locks a device's defaults at its first tensor; autodiff creates gradient seeds with
    /// them, so mixing precisions on one device would silently lose float64 accuracy).
    #[error(
        "backend `{backend}` is already set to {locked} in this process; cannot also use {requested}"
    )]
    PrecisionLocked {
        backend: String,
        locked: String,
        requested: String,
    },

    /// Shapes that do not agree (`what` names the tensor or key).
    #[error("shape mismatch for `{what}`: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        what: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },

    /// Data types that do not agree.
    #[error("dtype mismatch for `{what}`: expected {expected}, got {got}")]
    DTypeMismatch {
        what: String,
        expected: String,
        got: String,
    },

    /// A key (state, parameter, monitor, group) that does not exist.
    #[error("unknown key `{key}`{hint}")]
    UnknownKey { key: String, hint: String },

    /// A name used twice where names must be unique.
    #[error("duplicate name `{0}`")]
    DuplicateName(String),

    /// Operation not allowed in the current mode (e.g. adding a batch axis on reset).
    #[error("mode error: {0}")]
    Mode(String),

    /// A checkpoint or data file that cannot be used.
    #[error("bad file `{path}`: {reason}")]
    BadFile { path: String, reason: String },

    /// Missing or unexpected keys when strictly loading a state dict.
    #[error("state dict does not match: missing keys {missing:?}, unexpected keys {unexpected:?}")]
    KeyMismatch {
        missing: Vec<String>,
        unexpected: Vec<String>,
    },

    /// A state dict or checkpoint taken from a different model (other members or classes).
    #[error("state dict is from another network: {0}")]
    OtherNetwork(String),

    /// A failure reported by the tensor backend while executing or reading back.
    #[error("backend error: {0}")]
    Backend(String),

    /// A network file that cannot be used: `field` is the dotted path of the offending entry
    /// (e.g. `groups.E.tau`), `line` its 1-based line when the parser knows it.
    #[error("network file{}: `{field}`: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    NetworkFile {
        field: String,
        line: Option<usize>,
        reason: String,
    },

    /// A state became NaN or infinite during a run checked with
    /// [`Runner::check_finite`](crate::runner::Runner::check_finite) (boxed: it is the largest
    /// variant, and every `Result` of the crate carries its size).
    #[error("{0}")]
    NonFinite(Box<NonFiniteState>),

    /// Input/output errors with the path involved.
    #[error("i/o error on `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Where a run became non-finite: `member.state` at element `index` (batch row `row` with a
/// batch axis) after step `step` (time `t_ms`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "non-finite state `{member}.{state}` = {value} at index {index}{} after step {step} \
     (t = {t_ms} ms){checked}; {hint}",
    row.map(|r| format!(" of batch row {r}")).unwrap_or_default()
)]
pub struct NonFiniteState {
    /// The group or synapse.
    pub member: String,
    /// The state.
    pub state: String,
    /// The element (neuron) index.
    pub index: usize,
    /// The batch row, with a batch axis.
    pub row: Option<usize>,
    /// The value found.
    pub value: f64,
    /// The step after which it was found.
    pub step: u64,
    /// That step's time (ms).
    pub t_ms: f64,
    /// How often the path checks (empty when every step is checked).
    pub checked: String,
    /// The likely causes.
    pub hint: String,
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn arg(arg: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            arg: arg.into(),
            reason: reason.into(),
        }
    }

    /// The same error with its argument named inside `outer` (`E` becomes `output.E`);
    /// other errors unchanged.
    pub fn within(self, outer: &str) -> Self {
        match self {
            Error::InvalidArgument { arg, reason } => Error::InvalidArgument {
                arg: format!("{outer}.{arg}"),
                reason,
            },
            other => other,
        }
    }

    /// Shorthand for [`Error::UnknownKey`] with an optional hint (e.g. the valid keys).
    pub fn unknown_key(key: impl Into<String>, hint: impl Into<String>) -> Self {
        let hint = hint.into();
        let hint = if hint.is_empty() {
            hint
        } else {
            format!(" ({hint})")
        };
        Error::UnknownKey {
            key: key.into(),
            hint,
        }
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
