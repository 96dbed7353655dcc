//! Network files: a whole simulation declared in TOML (documented in `docs/network-format.md`).
//!
//! Parsing is two-phase: the file is read into tables with their source spans (so errors can
//! name the line), then each group, synapse and monitor table is deserialized into the
//! library's own config types (`deny_unknown_fields`, so a misspelt parameter is an error
//! naming it). Building a [`NetworkSpec`] validates everything before anything runs.

mod build;
mod memory;
mod seeds;

pub use build::{BuiltNetwork, GroupInput};
pub use memory::{MemoryEstimate, MemoryItem, default_limit, human, parse_size};

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::backend::Precision;
use crate::error::{Error, Result};
use crate::integrate::Method;

/// A parsed (not yet built) network file.
#[derive(Clone, Debug)]
pub struct NetworkSpec {
    /// Source text (for line numbers in later errors).
    pub(crate) source: String,
    /// Step size (ms).
    pub dt: f64,
    /// Simulated duration (ms).
    pub duration: f64,
    /// Seed from which every unseeded random choice in the file is derived.
    pub seed: u64,
    /// Float precision unless the command line overrides it.
    pub precision: Precision,
    /// Default integration method of the groups.
    pub method: Method,
    pub(crate) groups: Vec<Spanned<toml::Table>>,
    pub(crate) synapses: Vec<Spanned<toml::Table>>,
    pub(crate) monitors: Vec<Spanned<MonitorSpec>>,
    pub(crate) inputs: Vec<Spanned<InputSpec>>,
}

/// An `[[inputs]]` entry: `value` (a number, or one per neuron) added into `group`'s input
/// while `start ≤ t < stop` (ms; defaults 0 and forever).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Target group.
    pub group: String,
    /// One value or one per neuron.
    pub value: OneOrMany,
    /// Start time (ms), inclusive.
    #[serde(default)]
    pub start: f64,
    /// Stop time (ms), exclusive.
    #[serde(default = "forever")]
    pub stop: f64,
}

/// A number or a list of numbers.
#[derive(Clone, Debug)]
pub enum OneOrMany {
    /// One number.
    One(f64),
    /// A list.
    Many(Vec<f64>),
}

/// Read by a visitor rather than `#[serde(untagged)]`: a bad element keeps its key path
/// (`inputs[0].value[1]`) and the message says what was expected, not a Rust type name.
impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Numbers;
        impl<'de> serde::de::Visitor<'de> for Numbers {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a list of numbers")
            }
            fn visit_f64<E>(self, x: f64) -> std::result::Result<OneOrMany, E> {
                Ok(OneOrMany::One(x))
            }
            fn visit_i64<E>(self, x: i64) -> std::result::Result<OneOrMany, E> {
                Ok(OneOrMany::One(x as f64))
            }
            fn visit_u64<E>(self, x: u64) -> std::result::Result<OneOrMany, E> {
                Ok(OneOrMany::One(x as f64))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = seq.next_element::<f64>()? {
                    v.push(x);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(Numbers)
    }
}

impl OneOrMany {
    /// As a list.
    pub fn to_vec(&self) -> Vec<f64> {
        match self {
            OneOrMany::One(x) => vec![*x],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

fn forever() -> f64 {
    f64::INFINITY
}

/// A `[[monitors]]` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    /// `member.state`, e.g. `E.V` or `E2I.g`.
    pub key: String,
    /// Recorded indices (all when absent).
    #[serde(default)]
    pub indices: Option<Vec<usize>>,
    /// Record every k-th step (default 1).
    #[serde(default = "one")]
    pub every: u64,
}

fn one() -> u64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    dt: f64,
    duration: f64,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    precision: Precision,
    #[serde(default)]
    method: Method,
    #[serde(default)]
    groups: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    synapses: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    monitors: Vec<Spanned<MonitorSpec>>,
    #[serde(default)]
    inputs: Vec<Spanned<InputSpec>>,
}

/// Most steps a network file may ask for (`duration / dt`).
pub const MAX_STEPS: u64 = 1_000_000_000_000;

/// 1-based line of byte offset `pos` in `src`.
pub(crate) fn line_of(src: &str, pos: usize) -> usize {
    src[..pos.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The field a toml/serde message is about (`unknown field `tua``, `missing field `dt``), or
/// `syntax` for a parse error.
pub(crate) fn field_from_message(msg: &str) -> String {
    let about_a_field = [
        "unknown field",
        "missing field",
        "duplicate field",
        "duplicate key",
    ]
    .iter()
    .any(|p| msg.starts_with(p));
    if about_a_field
        && let Some(start) = msg.find('`')
        && let Some(len) = msg[start + 1..].find('`')
    {
        return msg[start + 1..start + 1 + len].to_string();
    }
    "syntax".to_string()
}

/// The `[[name]]` table (as `name[i]`, 0-based) that the line holding byte `pos` belongs to,
/// if any.
fn table_path_at(src: &str, pos: usize) -> Option<String> {
    let upto = &src[..pos.min(src.len())];
    let header = upto.lines().rev().find_map(|l| {
        let t = l.trim();
        t.strip_prefix("[[")
            .and_then(|r| r.strip_suffix("]]"))
            .map(str::trim)
    })?;
    let index = upto
        .lines()
        .filter(|l| {
            l.trim()
                .strip_prefix("[[")
                .and_then(|r| r.strip_suffix("]]"))
                .is_some_and(|h| h.trim() == header)
        })
        .count()
        .checked_sub(1)?;
    Some(format!("{header}[{index}]"))
}

/// The dotted key path of the `key = value` whose value starts at byte `pos` (`dt`,
/// `inputs[1].value`), from the line's key and the table it sits in.
fn key_path_at(src: &str, pos: usize) -> Option<String> {
    let pos = pos.min(src.len());
    let start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    let before = &src[start..pos];
    let key = before.split_once('=')?.0.trim();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    Some(match table_path_at(src, start) {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

/// A parser message on one line.
/// Rust type names serde puts in messages are replaced by what the file should hold.
pub(crate) fn one_line(msg: &str) -> String {
    let mut line = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    for (phrase, plain) in [
        ("internally tagged enum ", "a table with a `kind`"),
        ("any variant of untagged enum ", "any accepted form"),
    ] {
        while let Some(at) = line.find(phrase) {
            let name_end = line[at + phrase.len()..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(line.len(), |n| at + phrase.len() + n);
            line.replace_range(at..name_end, plain);
        }
    }
    line
}

impl NetworkSpec {
    /// Parses a network file's text.
    pub fn parse(source: &str) -> Result<Self> {
        let repr: FileRepr = toml::from_str(source).map_err(|e| {
            let line = e.span().map(|s| line_of(source, s.start));
            let reason = one_line(e.message());
            let mut field = field_from_message(&reason);
            let is_value_error = ["invalid type", "invalid value", "unknown variant"]
                .iter()
                .any(|p| reason.starts_with(p));
            if let Some(span) = e.span()
                && (field == "syntax" && is_value_error)
                && let Some(path) = key_path_at(source, span.start)
            {
                field = path;
            } else if let Some(span) = e.span()
                && field != "syntax"
                && let Some(table) = table_path_at(source, span.start)
            {
                field = format!("{table}.{field}");
            }
            Error::NetworkFile {
                field,
                line,
                reason,
            }
        })?;
        if !(repr.dt.is_finite() && repr.dt > 0.0) {
            return Err(Error::NetworkFile {
                field: "dt".into(),
                line: find_line(source, "dt"),
                reason: format!("must be a positive number of ms, got {}", repr.dt),
            });
        }
        if !(repr.duration.is_finite() && repr.duration >= 0.0) {
            return Err(Error::NetworkFile {
                field: "duration".into(),
                line: find_line(source, "duration"),
                reason: format!("must be a non-negative number of ms, got {}", repr.duration),
            });
        }
        if repr.duration > 0.0 && repr.dt > repr.duration {
            return Err(Error::NetworkFile {
                field: "dt".into(),
                line: find_line(source, "dt"),
                reason: format!(
                    "dt = {} ms is longer than duration = {} ms: the run would have no step",
                    repr.dt, repr.duration
                ),
            });
        }
        let steps = (repr.duration / repr.dt).round();
        if steps > MAX_STEPS as f64 {
            return Err(Error::NetworkFile {
                field: "duration".into(),
                line: find_line(source, "duration"),
                reason: format!(
                    "duration / dt = {steps:.3e} steps; at most {:.0e} are allowed (a larger dt or a shorter duration)",
                    MAX_STEPS as f64
                ),
            });
        }
        Ok(NetworkSpec {
            source: source.to_string(),
            dt: repr.dt,
            duration: repr.duration,
            seed: repr.seed,
            precision: repr.precision,
            method: repr.method,
            groups: repr.groups,
            synapses: repr.synapses,
            monitors: repr.monitors,
            inputs: repr.inputs,
        })
    }

    /// Reads and parses a network file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text)
    }

    /// Number of steps of the run, `round(duration / dt)`.
    pub fn steps(&self) -> u64 {
        (self.duration / self.dt).round() as u64
    }

    /// The monitors declared in the file.
    pub fn monitors(&self) -> impl Iterator<Item = &MonitorSpec> {
        self.monitors.iter().map(|m| m.get_ref())
    }
}

/// Line of the first top-level `key =` assignment, if any.
fn find_line(source: &str, key: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(key) && t[key.len()..].trim_start().starts_with('=')
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn messages_name_no_rust_types() {
        assert_eq!(
            one_line("invalid type: floating point `3`, expected internally tagged enum Connector"),
            "invalid type: floating point `3`, expected a table with a `kind`"
        );
        assert_eq!(
            one_line("data did not match any variant of untagged enum Foo\n at line 2"),
            "data did not match any accepted form; at line 2"
        );
    }
}
