//! Which engine ran a [`Runner`](crate::runner::Runner) run, and why the fused one did not.
//!
//! A run takes the fused host engine ([`crate::fused::engine`]) when the network is on a CPU
//! backend, tracks no gradient, and every member, link and monitor has a host form; otherwise
//! it takes the composed tensor path, op by op. The two give the same numbers (the tests hold
//! them to it) but not the same speed, so a run says which one it took: the returned
//! [`Monitors::engine`](crate::monitor::Monitors::engine), `summary.json`'s `engine` field and
//! every row of `brainburn bench`.

use std::fmt;

use serde::Serialize;

/// The engine that ran (or would run) a network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "engine", rename_all = "snake_case")]
pub enum Engine {
    /// The fused host engine: whole network steps as SIMD host loops.
    Fused,
    /// The composed tensor path (Burn ops per model step), with the reason the fused engine
    /// declined.
    Composed {
        /// Why the fused engine did not run.
        reason: Fallback,
    },
}

impl Engine {
    /// Whether the fused host engine ran.
    pub fn is_fused(&self) -> bool {
        matches!(self, Engine::Fused)
    }

    /// The reason the fused engine declined, if it did.
    pub fn fallback(&self) -> Option<&Fallback> {
        match self {
            Engine::Fused => None,
            Engine::Composed { reason } => Some(reason),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Engine::Fused => write!(f, "fused host engine"),
            Engine::Composed { reason } => write!(f, "composed tensor path ({reason})"),
        }
    }
}

/// Why a run took the composed path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Fallback {
    /// The runner was told not to fuse (`Runner::fused(false)`).
    Disabled,
    /// The fused engine runs on the CPU backends only.
    Backend {
        /// The backend the network is on.
        backend: String,
    },
    /// Training mode: gradients flow through the steps.
    Training,
    /// An autodiff device and a trainable parameter: a gradient may be tracked.
    Trainable {
        /// The member holding the parameter.
        member: String,
        /// The parameter.
        param: String,
    },
    /// A member has no host kernel in this precision.
    Member {
        /// The member.
        member: String,
    },
    /// A member's kernel does not hold one of its states.
    State {
        /// The member.
        member: String,
        /// The state.
        state: String,
    },
    /// A synapse whose presynaptic group emits no spikes or whose postsynaptic group has no
    /// input on the host.
    Link {
        /// The synapse.
        synapse: String,
    },
    /// A monitored state without a host form.
    Monitor {
        /// The monitor key `member.var`.
        key: String,
    },
    /// An input into a member that is not a group of the network.
    Input {
        /// The target.
        group: String,
    },
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fallback::Disabled => write!(f, "fusion turned off on the runner"),
            Fallback::Backend { backend } => {
                write!(f, "backend {backend} is not a CPU backend")
            }
            Fallback::Training => write!(f, "Training mode tracks gradients"),
            Fallback::Trainable { member, param } => write!(
                f,
                "autodiff device and trainable parameter `{member}.{param}`"
            ),
            Fallback::Member { member } => write!(f, "member `{member}` has no host kernel"),
            Fallback::State { member, state } => {
                write!(f, "state `{member}.{state}` has no host form")
            }
            Fallback::Link { synapse } => write!(
                f,
                "synapse `{synapse}` links groups without host spikes or input"
            ),
            Fallback::Monitor { key } => write!(f, "monitor `{key}` has no host form"),
            Fallback::Input { group } => write!(f, "input into `{group}`, not a group"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_name_the_engine_and_the_member() {
        let e = Engine::Composed {
            reason: Fallback::State {
                member: "wb".into(),
                state: "q".into(),
            },
        };
        assert!(!e.is_fused());
        assert_eq!(
            e.to_string(),
            "composed tensor path (state `wb.q` has no host form)"
        );
        let json = serde_json::to_value(&e).expect("serialisable");
        assert_eq!(json["engine"], "composed");
        assert_eq!(json["reason"]["why"], "state");
        assert_eq!(json["reason"]["member"], "wb");
        assert_eq!(
            serde_json::to_value(Engine::Fused).expect("json")["engine"],
            "fused"
        );
    }
}
