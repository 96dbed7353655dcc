//! A memory estimate of a network file's run, made from the file alone (before anything is
//! allocated), and the check against a limit (`brainburn run --max-memory`).
//!
//! The estimate is deliberately generous per item and counts what grows with the file's
//! numbers: every group's states (host and tensor copies), every synapse's connectivity
//! (a dense `pre × post` matrix, or the expected synapses of a sparse one, plus the dense mask
//! a `fixed_prob` connector draws), delay rings, and every monitor's samples (kept on the
//! device, then on the host as float64 for the CSV). Spikes are recorded as events and are
//! not counted: their number is not known before the run.

use super::NetworkSpec;
use crate::error::{Error, Result};

/// Bytes per neuron of a group: up to ~16 float states, in the tensors and on the host.
const PER_NEURON: f64 = 16.0 * 8.0 * 2.0;
/// Bytes per pair of a dense connection (mask, weights, host copies).
const PER_DENSE_PAIR: f64 = 24.0;
/// Bytes per synapse of a sparse connection (index, weight, host copies).
const PER_SPARSE_SYNAPSE: f64 = 32.0;
/// Bytes per delay slot: one tensor (its overhead) plus the presynaptic spikes.
const PER_DELAY_SLOT: f64 = 512.0;
/// Bytes per recorded value of a monitor (device trace, host float64 copy, CSV buffer).
const PER_SAMPLE: f64 = 24.0;

/// One contribution to the estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryItem {
    /// The key path it comes from (`groups.E.size`, `synapses.syn.conn`, `monitors[0]`).
    pub field: String,
    /// Estimated bytes.
    pub bytes: f64,
}

/// The memory estimate of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Every contribution, in file order.
    pub items: Vec<MemoryItem>,
}

impl MemoryEstimate {
    /// The total (bytes).
    pub fn total(&self) -> f64 {
        self.items.iter().map(|i| i.bytes).sum()
    }

    /// The largest contribution.
    pub fn largest(&self) -> Option<&MemoryItem> {
        self.items.iter().max_by(|a, b| a.bytes.total_cmp(&b.bytes))
    }
}

/// Bytes as a short human number (`1.5 GB`).
pub fn human(bytes: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut x = bytes;
    let mut u = 0;
    while x >= 1000.0 && u + 1 < units.len() {
        x /= 1000.0;
        u += 1;
    }
    if x >= 1000.0 {
        format!("{bytes:.3e} B")
    } else {
        format!("{x:.1} {}", units[u])
    }
}

/// Parses a memory size: bytes, or a number with `k`, `M`, `G`, `T` (powers of 1000, an
/// optional trailing `B`; `KiB`/`MiB`/`GiB`/`TiB` for powers of 1024).
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num.parse().map_err(|_| {
        Error::arg(
            "--max-memory",
            format!("`{s}` is not a size (e.g. 8G, 512M)"),
        )
    })?;
    let mult = match unit.trim() {
        "" | "B" => 1.0,
        "k" | "K" | "kB" | "KB" => 1e3,
        "M" | "MB" => 1e6,
        "G" | "GB" => 1e9,
        "T" | "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0f64.powi(4),
        other => {
            return Err(Error::arg(
                "--max-memory",
                format!("unknown unit `{other}` in `{s}` (use k, M, G, T or KiB, MiB, GiB, TiB)"),
            ));
        }
    };
    let bytes = x * mult;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(Error::arg("--max-memory", format!("`{s}` is out of range")));
    }
    Ok(bytes as u64)
}

/// The default limit: 80 % of the machine's memory (`MemTotal` of `/proc/meminfo`), or 8 GB
/// where that cannot be read.
pub fn default_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(8_000_000_000, |kb| kb * 1024 / 10 * 8)
}

/// The number of neurons of a `size` value (`None` when it is not a size; the build reports
/// that).
fn size_of(v: Option<&toml::Value>) -> Option<f64> {
    match v? {
        toml::Value::Integer(n) if *n > 0 => Some(*n as f64),
        toml::Value::Array(a) => a.iter().try_fold(1.0, |acc, x| match x.as_integer() {
            Some(n) if n > 0 => Some(acc * n as f64),
            _ => None,
        }),
        _ => None,
    }
}

impl NetworkSpec {
    /// The memory estimate of running this file ([`MemoryEstimate`]); nothing is built.
    pub fn memory_estimate(&self) -> MemoryEstimate {
        let mut items = Vec::new();
        let mut sizes: Vec<(String, f64)> = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            let t = g.get_ref();
            let prefix = match t.get("name").and_then(|n| n.as_str()) {
                Some(n) => format!("groups.{n}"),
                None => format!("groups[{i}]"),
            };
            let Some(num) = size_of(t.get("size")) else {
                continue;
            };
            let channels = t
                .get("channels")
                .and_then(|c| c.as_array())
                .map_or(0, Vec::len) as f64;
            if let Some(n) = t.get("name").and_then(|n| n.as_str()) {
                sizes.push((n.to_string(), num));
            }
            items.push(MemoryItem {
                field: format!("{prefix}.size"),
                bytes: num * (PER_NEURON + channels * 4.0 * 8.0 * 2.0),
            });
        }
        let size = |name: Option<&str>| {
            name.and_then(|n| sizes.iter().find(|(k, _)| k == n))
                .map(|(_, s)| *s)
        };
        for (i, s) in self.synapses.iter().enumerate() {
            let t = s.get_ref();
            let prefix = match t.get("name").and_then(|n| n.as_str()) {
                Some(n) => format!("synapses.{n}"),
                None => format!("synapses[{i}]"),
            };
            let (Some(pre), Some(post)) = (
                size(t.get("pre").and_then(|v| v.as_str())),
                size(t.get("post").and_then(|v| v.as_str())),
            ) else {
                continue;
            };
            let conn = t.get("conn").and_then(|c| c.as_table());
            let kind = conn
                .and_then(|c| c.get("kind"))
                .and_then(|k| k.as_str())
                .unwrap_or("");
            let dense = t.get("comp_method").and_then(|m| m.as_str()).map_or_else(
                || t.get("model").and_then(|m| m.as_str()) != Some("Exponential"),
                |m| m == "dense",
            );
            let prob = conn
                .and_then(|c| c.get("prob"))
                .and_then(|p| p.as_float().or_else(|| p.as_integer().map(|i| i as f64)))
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let bytes = match kind {
                "one2one" => pre * PER_SPARSE_SYNAPSE,
                _ if dense => pre * post * PER_DENSE_PAIR,
                "fixed_prob" => pre * post * (1.0 + prob * PER_SPARSE_SYNAPSE),
                _ => pre * post * PER_SPARSE_SYNAPSE,
            };
            items.push(MemoryItem {
                field: format!("{prefix}.conn"),
                bytes: bytes + post * PER_NEURON,
            });
            let delay = match t.get("delay_step") {
                Some(toml::Value::Integer(d)) => *d as f64,
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .filter_map(|x| x.as_integer())
                    .max()
                    .map_or(0.0, |d| d as f64),
                _ => 0.0,
            };
            if delay > 0.0 {
                items.push(MemoryItem {
                    field: format!("{prefix}.delay_step"),
                    bytes: delay * (PER_DELAY_SLOT + pre),
                });
            }
        }
        let steps = self.duration / self.dt;
        for (i, m) in self.monitors.iter().enumerate() {
            let m = m.get_ref();
            let Some((member, _)) = m.key.split_once('.') else {
                continue;
            };
            let per_step = match &m.indices {
                Some(idx) => idx.len() as f64,
                None => size(Some(member)).unwrap_or(1.0),
            };
            items.push(MemoryItem {
                field: format!("monitors[{i}]"),
                bytes: (steps / m.every.max(1) as f64 + 1.0) * per_step * PER_SAMPLE,
            });
        }
        MemoryEstimate { items }
    }

    /// Refuses the run when its [`memory_estimate`](Self::memory_estimate) exceeds `limit`
    /// bytes: the error gives the estimate, the limit and the key path and line of the first
    /// entry that alone exceeds the limit (the largest entry when none does).
    pub fn check_memory(&self, limit: u64) -> Result<MemoryEstimate> {
        let est = self.memory_estimate();
        let total = est.total();
        if total <= limit as f64 {
            return Ok(est);
        }
        // An entry that alone exceeds the limit is named first, in file order (a huge group
        // before the monitors that record it); otherwise the largest.
        let (field, part) = est
            .items
            .iter()
            .find(|i| i.bytes > limit as f64)
            .or_else(|| est.largest())
            .map(|l| (l.field.clone(), l.bytes))
            .unwrap_or_else(|| ("duration".into(), total));
        Err(Error::NetworkFile {
            line: self.line_of_field(&field),
            reason: format!(
                "the run would need about {} of memory ({} from this entry), over the limit of \
                 {} (`--max-memory`)",
                human(total),
                human(part),
                human(limit as f64)
            ),
            field,
        })
    }

    /// The line of a `groups.E.size`-style key path (the table's `key =` line, or the table's
    /// first line).
    fn line_of_field(&self, field: &str) -> Option<usize> {
        let tables = if let Some(r) = field.strip_prefix("groups") {
            Some((&self.groups, r))
        } else {
            field.strip_prefix("synapses").map(|r| (&self.synapses, r))
        };
        let (span, key) = if let Some((tables, rest)) = tables {
            let (table, key) = if let Some(r) = rest.strip_prefix('[') {
                let (i, key) = r.split_once("].")?;
                (tables.get(i.parse::<usize>().ok()?)?, key)
            } else {
                let r = rest.strip_prefix('.')?;
                let (name, key) = r.rsplit_once('.')?;
                let t = tables
                    .iter()
                    .find(|t| t.get_ref().get("name").and_then(|n| n.as_str()) == Some(name))?;
                (t, key)
            };
            (table.span(), key)
        } else {
            let r = field.strip_prefix("monitors[")?;
            let i: usize = r.trim_end_matches(']').parse().ok()?;
            (self.monitors.get(i)?.span(), "key")
        };
        let text = &self.source[span.clone()];
        let mut offset = span.start;
        for l in text.split_inclusive('\n') {
            let t = l.trim_start();
            if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
                return Some(super::line_of(&self.source, offset));
            }
            offset += l.len();
        }
        Some(super::line_of(&self.source, span.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "dt = 0.1\nduration = 100\n\n[[groups]]\nname = \"E\"\nmodel = \"LIF\"\n\
                       size = 1000\n\n[[synapses]]\nname = \"s\"\nmodel = \"GABAa\"\npre = \"E\"\n\
                       post = \"E\"\nconn = { kind = \"all2all\" }\n\n[[monitors]]\nkey = \"E.V\"\n";

    #[test]
    fn the_estimate_counts_groups_connections_and_monitor_samples() {
        let spec = NetworkSpec::parse(NET).unwrap();
        let est = spec.memory_estimate();
        let fields: Vec<&str> = est.items.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["groups.E.size", "synapses.s.conn", "monitors[0]"]);
        assert_eq!(est.items[0].bytes, 1000.0 * PER_NEURON);
        assert_eq!(
            est.items[1].bytes,
            1e6 * PER_DENSE_PAIR + 1000.0 * PER_NEURON
        );
        assert_eq!(est.items[2].bytes, 1001.0 * 1000.0 * PER_SAMPLE);
        assert!(spec.check_memory(1_000_000_000).is_ok());
    }

    #[test]
    fn over_the_limit_the_error_names_the_entry_at_fault_and_its_line() {
        let big = NET.replace("size = 1000", "size = 200000");
        let spec = NetworkSpec::parse(&big).unwrap();
        let e = spec.check_memory(8_000_000_000).unwrap_err();
        let Error::NetworkFile {
            field,
            line,
            reason,
        } = &e
        else {
            panic!("{e}");
        };
        assert_eq!(field, "synapses.s.conn");
        assert_eq!(*line, Some(14));
        assert!(reason.contains("over the limit of 8.0 GB"), "{reason}");
        let long = NET.replace("duration = 100", "duration = 1e9");
        let e = NetworkSpec::parse(&long)
            .unwrap()
            .check_memory(8_000_000_000)
            .unwrap_err();
        assert!(
            e.to_string().contains("monitors[0]") && e.to_string().contains("line 17"),
            "{e}"
        );
        // A group too big by itself is named before the synapse and monitor that grow with it.
        let huge = NET.replace("size = 1000", "size = [100000, 100000]");
        let e = NetworkSpec::parse(&huge)
            .unwrap()
            .check_memory(8_000_000_000)
            .unwrap_err();
        assert!(e.to_string().contains("groups.E.size"), "{e}");
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("8G").unwrap(), 8_000_000_000);
        assert_eq!(parse_size("512MiB").unwrap(), 512 * 1024 * 1024);
        assert_eq!(parse_size("1.5GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        for bad in ["", "G", "-1G", "8X", "1e400"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(default_limit() > 100_000_000);
    }
}
