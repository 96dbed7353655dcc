//! Building a network from a parsed file: every group, synapse and monitor is validated here,
//! before anything runs.

use serde::Deserialize;
use toml::Spanned;

use super::{MonitorSpec, NetworkSpec, line_of, seeds};
use crate::backend::Ctx;
use crate::channel::{Channel, IKHH1952, IKTM1991, IL, INaHH1952, INaTM1991};
use crate::error::{Error, Result};
use crate::geometry::Geometry;
use crate::mode::Mode;
use crate::model::{NeuGroup, NeuronModel};
use crate::network::Network;
use crate::neuron::{
    CondNeuGroup, CondNeuGroupConfig, HhModel, LeakyIntegratorModel, LifModel, NeuronGroup,
    PoissonGroup, PoissonGroupConfig, SpikeTimeGroup, SpikeTimeGroupConfig, WbModel,
};
use crate::runner::{InputValue, Runner};
use crate::synapse::{
    Alpha, AlphaConfig, Ampa, AmpaConfig, BioNmda, BioNmdaConfig, Coupling, CouplingConfig, Delta,
    DeltaConfig, DualExponential, DualExponentialConfig, Exponential, ExponentialConfig, Gabaa,
    GabaaConfig, GapJunction, GapJunctionConfig, Nmda, NmdaConfig, Synapse,
};

/// A constant external input of a group, from the file.
#[derive(Clone, Debug)]
pub struct GroupInput {
    /// Group name.
    pub group: String,
    /// The input.
    pub value: InputValue,
}

/// A network built from a file, with what the runner needs.
#[derive(Debug)]
pub struct BuiltNetwork {
    /// The network.
    pub net: Network,
    /// External inputs per group.
    pub inputs: Vec<GroupInput>,
    /// Monitors declared in the file.
    pub monitors: Vec<MonitorSpec>,
    /// Names of the groups in file order.
    pub group_names: Vec<String>,
    /// Step size (ms).
    pub dt: f64,
    /// Number of steps.
    pub steps: u64,
}

impl BuiltNetwork {
    /// A runner over the network with the file's inputs and monitors (plus `extra` monitor
    /// keys, e.g. every group's spikes for the raster).
    pub fn runner(&mut self, extra: &[String]) -> Result<Runner<'_>> {
        let mut r = Runner::new(&mut self.net, self.dt)?;
        for i in &self.inputs {
            r = r.input(&i.group, i.value.clone())?;
        }
        for m in &self.monitors {
            r = r.monitor_with(&m.key, m.indices.clone(), m.every)?;
        }
        for k in extra {
            if !self.monitors.iter().any(|m| &m.key == k) {
                r = r.monitor(k)?;
            }
        }
        Ok(r)
    }
}

/// Context for error messages about one table of the file.
struct Loc<'a> {
    source: &'a str,
    span: std::ops::Range<usize>,
    prefix: String,
}

impl Loc<'_> {
    /// An error about `key` of this table, on the line where `key =` appears inside the table
    /// (the table's first line otherwise).
    fn err(&self, key: &str, reason: impl Into<String>) -> Error {
        let text = &self.source[self.span.clone()];
        let mut line = line_of(self.source, self.span.start);
        let mut offset = self.span.start;
        // `output.E` and `channels[1].g_max` are found on the line of their first key.
        let head = key.split(['.', '[']).next().unwrap_or(key);
        for l in text.split_inclusive('\n') {
            let t = l.trim_start();
            if !head.is_empty()
                && t.starts_with(head)
                && t[head.len()..].trim_start().starts_with('=')
            {
                line = line_of(self.source, offset);
                break;
            }
            offset += l.len();
        }
        let field = if key.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}.{key}", self.prefix)
        };
        Error::NetworkFile {
            field,
            line: Some(line),
            reason: reason.into(),
        }
    }

    /// Maps a deserialization error of this table's config at `path` (the key path inside
    /// the table that serde was reading, `.` for the table itself) to a located error. An
    /// unknown or missing field names that field; any other error names the value being read.
    fn de_err(&self, path: &str, e: toml::de::Error) -> Error {
        let msg = super::one_line(e.message());
        let named = super::field_from_message(&msg);
        let inside = if path == "." { "" } else { path };
        // An unknown field's path already ends in it; a missing field's is its table's.
        let key = match (named.as_str(), inside) {
            ("syntax", inside) => inside.to_string(),
            (named, "") => named.to_string(),
            (named, inside) if inside == named || inside.ends_with(&format!(".{named}")) => {
                inside.to_string()
            }
            (named, inside) => format!("{inside}.{named}"),
        };
        self.err(&key, msg)
    }
}

fn take_str(t: &mut toml::Table, key: &str, loc: &Loc) -> Result<Option<String>> {
    match t.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(loc.err(key, format!("expected a string, got {}", v.type_str()))),
    }
}

fn take_size(t: &mut toml::Table, loc: &Loc) -> Result<Geometry> {
    let keep = match t.remove("keep_size") {
        None => false,
        Some(toml::Value::Boolean(b)) => b,
        Some(v) => {
            return Err(loc.err(
                "keep_size",
                format!("expected true/false, got {}", v.type_str()),
            ));
        }
    };
    let dims: Vec<usize> = match t.remove("size") {
        None => return Err(loc.err("size", "missing (a positive integer or a list of them)")),
        Some(toml::Value::Integer(n)) if n > 0 => vec![n as usize],
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| match v.as_integer() {
                Some(n) if n > 0 => Ok(n as usize),
                _ => Err(loc.err("size", "every dimension must be a positive integer")),
            })
            .collect::<Result<_>>()?,
        Some(v) => {
            return Err(loc.err(
                "size",
                format!("expected a positive integer or a list, got {v}"),
            ));
        }
    };
    Geometry::new(dims, keep).map_err(|e| loc.err("size", e.to_string()))
}

fn take_input(
    t: &mut toml::Table,
    group: &str,
    num: usize,
    loc: &Loc,
) -> Result<Option<GroupInput>> {
    let value = match t.remove("input") {
        None => return Ok(None),
        Some(toml::Value::Integer(n)) => InputValue::Constant(n as f64),
        Some(toml::Value::Float(x)) => InputValue::Constant(x),
        Some(toml::Value::Array(a)) => {
            let mut v = Vec::with_capacity(a.len());
            for (k, x) in a.iter().enumerate() {
                let key = format!("input[{k}]");
                match x.as_float().or_else(|| x.as_integer().map(|n| n as f64)) {
                    Some(f) if f.is_finite() => v.push(f),
                    Some(f) => return Err(loc.err(&key, format!("must be finite, got {f}"))),
                    None => {
                        return Err(
                            loc.err(&key, format!("expected a number, got {}", x.type_str()))
                        );
                    }
                }
            }
            if v.len() != num {
                return Err(loc.err("input", format!("{} values for {num} neurons", v.len())));
            }
            InputValue::PerNeuron(v)
        }
        Some(v) => {
            return Err(loc.err(
                "input",
                format!("expected a number or a list, got {}", v.type_str()),
            ));
        }
    };
    Ok(Some(GroupInput {
        group: group.to_string(),
        value,
    }))
}

/// Builds a group from its table.
type GroupBuilder =
    fn(Geometry, Option<&str>, toml::Table, &Ctx, Mode, &Loc) -> Result<Box<dyn NeuronGroup>>;

/// The models a file can name: `(model, whether its config has an integration method,
/// builder)`. A [`NeuronModel`] registers with one line, `(M::CLASS, true, model_group::<M>)`.
const GROUP_MODELS: &[(&str, bool, GroupBuilder)] = &[
    (LifModel::CLASS, true, model_group::<LifModel>),
    (
        LeakyIntegratorModel::CLASS,
        true,
        model_group::<LeakyIntegratorModel>,
    ),
    (WbModel::CLASS, true, model_group::<WbModel>),
    (HhModel::CLASS, true, model_group::<HhModel>),
    (
        crate::neuron::ExpIfModel::CLASS,
        true,
        model_group::<crate::neuron::ExpIfModel>,
    ),
    (
        crate::neuron::AdExIfModel::CLASS,
        true,
        model_group::<crate::neuron::AdExIfModel>,
    ),
    (
        crate::neuron::QuaIfModel::CLASS,
        true,
        model_group::<crate::neuron::QuaIfModel>,
    ),
    (
        crate::neuron::AdQuaIfModel::CLASS,
        true,
        model_group::<crate::neuron::AdQuaIfModel>,
    ),
    (
        crate::neuron::IzhikevichModel::CLASS,
        true,
        model_group::<crate::neuron::IzhikevichModel>,
    ),
    (
        crate::neuron::GifModel::CLASS,
        true,
        model_group::<crate::neuron::GifModel>,
    ),
    (
        crate::neuron::HindmarshRoseModel::CLASS,
        true,
        model_group::<crate::neuron::HindmarshRoseModel>,
    ),
    (
        crate::neuron::FhnModel::CLASS,
        true,
        model_group::<crate::neuron::FhnModel>,
    ),
    (
        crate::neuron::MorrisLecarModel::CLASS,
        true,
        model_group::<crate::neuron::MorrisLecarModel>,
    ),
    (
        crate::neuron::AlifBellecAlif::CLASS,
        true,
        model_group::<crate::neuron::AlifBellecAlif>,
    ),
    (
        crate::neuron::AlifBellecLifSfa::CLASS,
        true,
        model_group::<crate::neuron::AlifBellecLifSfa>,
    ),
    (
        crate::neuron::OuProcessModel::CLASS,
        true,
        model_group::<crate::neuron::OuProcessModel>,
    ),
    ("SpikeTimeGroup", false, spike_time_group),
    ("PoissonGroup", false, poisson_group),
    ("CondNeuGroup", true, cond_neu_group),
];

/// A group of neuron model `M` (its config deserialized from the table).
fn model_group<M: NeuronModel>(
    size: Geometry,
    name: Option<&str>,
    cfg: toml::Table,
    ctx: &Ctx,
    mode: Mode,
    loc: &Loc,
) -> Result<Box<dyn NeuronGroup>>
where
    M::Config: serde::de::DeserializeOwned,
{
    let cfg = deserialize::<M::Config>(cfg, loc)?;
    NeuGroup::<M>::named(size, cfg, name, ctx, mode)
        .map(|g| Box::new(g) as _)
        .map_err(|e| located_lib_error(e, loc))
}

fn spike_time_group(
    size: Geometry,
    name: Option<&str>,
    cfg: toml::Table,
    ctx: &Ctx,
    mode: Mode,
    loc: &Loc,
) -> Result<Box<dyn NeuronGroup>> {
    let cfg = deserialize::<SpikeTimeGroupConfig>(cfg, loc)?;
    SpikeTimeGroup::named(size, cfg, name, ctx, mode)
        .map(|g| Box::new(g) as _)
        .map_err(|e| located_lib_error(e, loc))
}

fn poisson_group(
    size: Geometry,
    name: Option<&str>,
    cfg: toml::Table,
    ctx: &Ctx,
    mode: Mode,
    loc: &Loc,
) -> Result<Box<dyn NeuronGroup>> {
    let cfg = deserialize::<PoissonGroupConfig>(cfg, loc)?;
    PoissonGroup::named(size, cfg, name, ctx, mode)
        .map(|g| Box::new(g) as _)
        .map_err(|e| located_lib_error(e, loc))
}

fn cond_neu_group(
    size: Geometry,
    name: Option<&str>,
    mut cfg: toml::Table,
    ctx: &Ctx,
    mode: Mode,
    loc: &Loc,
) -> Result<Box<dyn NeuronGroup>> {
    let method = cfg
        .get("method")
        .and_then(|m| m.as_str())
        .unwrap_or("exp_auto")
        .to_string();
    let channels = build_channels(cfg.remove("channels"), &method, loc)?;
    let names: Vec<String> = channels.iter().map(|(n, _)| n.clone()).collect();
    let group_cfg = deserialize::<CondNeuGroupConfig>(cfg, loc)?;
    CondNeuGroup::named(size, group_cfg, channels, name, ctx, mode)
        .map(|g| Box::new(g) as _)
        .map_err(|e| match e {
            // The library names a channel's parameter `IK.g_max`; the file's key is
            // `channels[1].g_max`.
            Error::InvalidArgument { arg, reason } => match arg
                .split_once('.')
                .and_then(|(ch, rest)| Some((names.iter().position(|n| n == ch)?, rest)))
            {
                Some((k, rest)) => channel_loc(loc, k).err(rest, reason),
                None => located_lib_error(Error::InvalidArgument { arg, reason }, loc),
            },
            other => located_lib_error(other, loc),
        })
}

/// The location of entry `k` of a group's `channels = [...]`: its key path
/// (`groups.hh.channels[1]`) and, where the entry's `{ ... }` can be found in the source, its
/// line.
fn channel_loc<'a>(loc: &Loc<'a>, k: usize) -> Loc<'a> {
    let text = &loc.source[loc.span.clone()];
    let entry = text.find("channels").and_then(|at| {
        // Walk the list after `channels`: the k-th `{` at depth 0 opens the entry.
        let (mut depth, mut seen, mut quoted, mut start) = (0usize, 0usize, false, None);
        for (i, c) in text[at..].char_indices() {
            match c {
                '"' => quoted = !quoted,
                '{' if !quoted => {
                    if depth == 0 {
                        if seen == k {
                            start = Some(at + i);
                        }
                        seen += 1;
                    }
                    depth += 1;
                }
                '}' if !quoted => {
                    depth = depth.saturating_sub(1);
                    if depth == 0
                        && let Some(s) = start
                    {
                        return Some(s..at + i + 1);
                    }
                }
                ']' if !quoted && depth == 0 => return None,
                _ => {}
            }
        }
        None
    });
    Loc {
        source: loc.source,
        span: entry.map_or(loc.span.clone(), |r| {
            loc.span.start + r.start..loc.span.start + r.end
        }),
        prefix: format!("{}.channels[{k}]", loc.prefix),
    }
}

/// The channel models a `CondNeuGroup` entry can list.
const CHANNEL_MODELS: [&str; 5] = ["INa_HH1952", "IK_HH1952", "IL", "INa_TM1991", "IK_TM1991"];

/// Deserializes a table's config, tracking the key path so a bad value is reported under
/// its own key (`groups.E.tau`, `synapses.syn.output.E`), not the table's.
fn deserialize<T: for<'de> Deserialize<'de>>(cfg: toml::Table, loc: &Loc) -> Result<T> {
    let root = toml::Value::Table(cfg);
    serde_path_to_error::deserialize(root.clone()).map_err(|e| {
        let mut path = e.path().to_string();
        if let Some(key) = tagged_culprit::<T>(&root, e.path(), e.inner().message()) {
            path = if path == "." {
                key
            } else {
                format!("{path}.{key}")
            };
        }
        loc.de_err(&path, e.into_inner())
    })
}

/// The value at a serde key path inside `root` (`None` where the path leaves the tables).
fn value_at<'v>(
    root: &'v mut toml::Value,
    path: &serde_path_to_error::Path,
) -> Option<&'v mut toml::Value> {
    use serde_path_to_error::Segment;
    path.iter().try_fold(root, |v, seg| match (seg, v) {
        (Segment::Map { key }, toml::Value::Table(t)) => t.get_mut(key),
        (Segment::Seq { index }, toml::Value::Array(a)) => a.get_mut(*index),
        _ => None,
    })
}

/// The key at fault inside an internally tagged table (`conn = { kind = "fixed_prob",
/// prob = "x" }`). serde reads such a table by buffering it first, so a bad value inside is
/// reported at the table (`conn`) with no key. The key at fault is the one whose removal
/// changes that error (into a missing field, or none): every other key's removal leaves it.
fn tagged_culprit<T: for<'de> Deserialize<'de>>(
    root: &toml::Value,
    path: &serde_path_to_error::Path,
    msg: &str,
) -> Option<String> {
    if super::field_from_message(msg) != "syntax" {
        return None; // unknown and missing fields are named already
    }
    let mut probe = root.clone();
    let table = value_at(&mut probe, path)?.as_table()?;
    if !table.contains_key("kind") {
        return None;
    }
    let keys: Vec<String> = table.keys().filter(|k| *k != "kind").cloned().collect();
    keys.into_iter().find(|key| {
        let mut trial = root.clone();
        if let Some(toml::Value::Table(t)) = value_at(&mut trial, path) {
            t.remove(key);
        }
        match serde_path_to_error::deserialize::<_, T>(trial) {
            Ok(_) => true,
            Err(e) => e.path().to_string() != path.to_string() || e.inner().message() != msg,
        }
    })
}

/// The `channels = [...]` of a CondNeuGroup: `{ name = "INa", model = "INa_HH1952", ... }`.
fn build_channels(
    value: Option<toml::Value>,
    method: &str,
    loc: &Loc,
) -> Result<Vec<(String, Box<dyn Channel>)>> {
    let Some(value) = value else {
        return Err(loc.err("channels", "missing: a list of { name, model, parameters }"));
    };
    let toml::Value::Array(items) = value else {
        return Err(loc.err("channels", "expected a list of tables"));
    };
    let mut out: Vec<(String, Box<dyn Channel>)> = Vec::new();
    for (k, item) in items.into_iter().enumerate() {
        let toml::Value::Table(mut t) = item else {
            return Err(loc.err("channels", format!("entry {k} is not a table")));
        };
        let cloc = channel_loc(loc, k);
        let model =
            take_str(&mut t, "model", &cloc)?.ok_or_else(|| cloc.err("model", "missing"))?;
        let name = take_str(&mut t, "name", &cloc)?.unwrap_or_else(|| model.clone());
        // Gated channels integrate their gates with the group's method (IL has no gates).
        if model != "IL" && !t.contains_key("method") {
            t.insert("method".into(), toml::Value::String(method.to_string()));
        }
        let ch: Box<dyn Channel> = match model.as_str() {
            "INa_HH1952" => Box::new(deserialize::<INaHH1952>(t, &cloc)?),
            "IK_HH1952" => Box::new(deserialize::<IKHH1952>(t, &cloc)?),
            "IL" => Box::new(deserialize::<IL>(t, &cloc)?),
            "INa_TM1991" => Box::new(deserialize::<INaTM1991>(t, &cloc)?),
            "IK_TM1991" => Box::new(deserialize::<IKTM1991>(t, &cloc)?),
            other => {
                return Err(cloc.err(
                    "model",
                    format!("unknown channel `{other}`; known channels: {CHANNEL_MODELS:?}"),
                ));
            }
        };
        out.push((name, ch));
    }
    Ok(out)
}

fn build_group(
    model: &str,
    size: Geometry,
    name: Option<&str>,
    cfg: toml::Table,
    ctx: &Ctx,
    mode: Mode,
    loc: &Loc,
) -> Result<Box<dyn NeuronGroup>> {
    match GROUP_MODELS.iter().find(|m| m.0 == model) {
        Some((_, _, build)) => build(size, name, cfg, ctx, mode, loc),
        None => {
            let known: Vec<&str> = GROUP_MODELS.iter().map(|m| m.0).collect();
            Err(loc.err(
                "model",
                format!("unknown model `{model}`; known models: {known:?}"),
            ))
        }
    }
}

/// What a library error says, without the argument it names (the file's key path is given
/// beside it).
fn reason_of(e: Error) -> String {
    match e {
        Error::InvalidArgument { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// A library error raised while building one table, located at that table (and at the key
/// the error names, when it names one).
fn located_lib_error(e: Error, loc: &Loc) -> Error {
    match e {
        Error::InvalidArgument { arg, reason } => loc.err(&arg, reason),
        Error::ShapeMismatch {
            what,
            expected,
            got,
        } => loc.err(&what, format!("expected shape {expected:?}, got {got:?}")),
        Error::NetworkFile { .. } => e,
        other => loc.err("", other.to_string()),
    }
}

impl NetworkSpec {
    /// Builds the network on `ctx` (NonBatching mode): every group, synapse and monitor of the
    /// file, validated. Nothing is run.
    pub fn build(&self, ctx: &Ctx) -> Result<BuiltNetwork> {
        let mode = Mode::NonBatching;
        let mut net = Network::new(ctx, mode)?;
        let mut inputs = Vec::new();
        let mut group_names = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            let span = g.span();
            let mut t = g.get_ref().clone();
            let mut loc = Loc {
                source: &self.source,
                span,
                prefix: format!("groups[{i}]"),
            };
            let name = take_str(&mut t, "name", &loc)?;
            if let Some(n) = &name {
                loc.prefix = format!("groups.{n}");
            }
            let model = take_str(&mut t, "model", &loc)?
                .ok_or_else(|| loc.err("model", "missing (e.g. \"LIF\")"))?;
            let size = take_size(&mut t, &loc)?;
            let has_method = GROUP_MODELS
                .iter()
                .find(|m| m.0 == model)
                .is_some_and(|m| m.1);
            if has_method && !t.contains_key("method") {
                t.insert(
                    "method".into(),
                    toml::Value::String(self.method.name().into()),
                );
            }
            if model == "PoissonGroup" && !t.contains_key("seed") {
                t.insert(
                    "seed".into(),
                    toml::Value::Integer(seeds::seed_value(self.seed, &loc.prefix)),
                );
            }
            if t.contains_key("noise") && !t.contains_key("noise_seed") {
                let path = format!("{}.noise", loc.prefix);
                t.insert(
                    "noise_seed".into(),
                    toml::Value::Integer(seeds::seed_value(self.seed, &path)),
                );
            }
            let input_num = size.num();
            let input = take_input(&mut t, name.as_deref().unwrap_or(&model), input_num, &loc)?;
            seeds::inject(&mut t, self.seed, &loc.prefix);
            let group = build_group(&model, size, name.as_deref(), t, ctx, mode, &loc)?;
            let gname = group.name().to_string();
            net.add_boxed(group)
                .map_err(|e| loc.err("name", e.to_string()))?;
            if let Some(mut inp) = input {
                inp.group = gname.clone();
                // Checked like the runner will (finite, fits the precision, takes input).
                Runner::new(&mut net, self.dt)?
                    .input(&gname, inp.value.clone())
                    .map_err(|e| loc.err("input", reason_of(e)))?;
                inputs.push(inp);
            }
            group_names.push(gname);
        }
        for (i, s) in self.synapses.iter().enumerate() {
            let loc = Loc {
                source: &self.source,
                span: s.span(),
                prefix: format!("synapses[{i}]"),
            };
            self.build_synapse(i, s, &mut net, ctx, mode, &loc)?;
        }
        let mut built = BuiltNetwork {
            net,
            inputs,
            monitors: self.monitors().cloned().collect(),
            group_names,
            dt: self.dt,
            steps: self.steps(),
        };
        for (i, inp) in self.inputs.iter().enumerate() {
            let loc = Loc {
                source: &self.source,
                span: inp.span(),
                prefix: format!("inputs[{i}]"),
            };
            let spec = inp.get_ref();
            let num = built
                .net
                .group(&spec.group)
                .map_err(|e| loc.err("group", e.to_string()))?
                .num();
            let values = spec.value.to_vec();
            if let Some(k) = values.iter().position(|x| !x.is_finite()) {
                let key = match spec.value {
                    super::OneOrMany::Many(_) => format!("value[{k}]"),
                    super::OneOrMany::One(_) => "value".to_string(),
                };
                return Err(loc.err(&key, format!("must be finite, got {}", values[k])));
            }
            if values.len() != 1 && values.len() != num {
                return Err(loc.err(
                    "value",
                    format!("{} values for {num} neurons", values.len()),
                ));
            }
            let value = InputValue::Section {
                values,
                start: spec.start,
                stop: spec.stop,
            };
            // Checked like the runner will (start <= stop, the group takes input).
            Runner::new(&mut built.net, self.dt)?
                .input(&spec.group, value.clone())
                .map_err(|e| loc.err("value", e.to_string()))?;
            built.inputs.push(GroupInput {
                group: spec.group.clone(),
                value,
            });
        }
        // Validate every monitor now (unknown keys, indices out of range).
        for (i, m) in self.monitors.iter().enumerate() {
            let loc = Loc {
                source: &self.source,
                span: m.span(),
                prefix: format!("monitors[{i}]"),
            };
            let spec = m.get_ref();
            if let Some(j) = self.monitors[..i]
                .iter()
                .position(|o| o.get_ref().key == spec.key)
            {
                return Err(loc.err(
                    "key",
                    format!("`{}` is monitored twice (also monitors[{j}])", spec.key),
                ));
            }
            Runner::new(&mut built.net, self.dt)?
                .monitor_with(&spec.key, spec.indices.clone(), spec.every)
                .map_err(|e| match e {
                    // `E.V.every` is this table's `every`.
                    Error::InvalidArgument { arg, reason } => {
                        match arg.strip_prefix(&format!("{}.", spec.key)) {
                            Some(inner @ ("every" | "indices")) => loc.err(inner, reason),
                            _ => loc.err("key", format!("`{arg}`: {reason}")),
                        }
                    }
                    other => loc.err("key", other.to_string()),
                })?;
        }
        Ok(built)
    }

    fn build_synapse(
        &self,
        _i: usize,
        s: &Spanned<toml::Table>,
        net: &mut Network,
        _ctx: &Ctx,
        _mode: Mode,
        loc: &Loc,
    ) -> Result<()> {
        let mut t = s.get_ref().clone();
        let mut loc = Loc {
            source: loc.source,
            span: loc.span.clone(),
            prefix: loc.prefix.clone(),
        };
        let name = take_str(&mut t, "name", &loc)?;
        if let Some(n) = &name {
            loc.prefix = format!("synapses.{n}");
        }
        let model = take_str(&mut t, "model", &loc)?
            .ok_or_else(|| loc.err("model", "missing (e.g. \"GABAa\")"))?;
        let pre_name = take_str(&mut t, "pre", &loc)?
            .ok_or_else(|| loc.err("pre", "missing: the presynaptic group"))?;
        let post_name = take_str(&mut t, "post", &loc)?
            .ok_or_else(|| loc.err("post", "missing: the postsynaptic group"))?;
        let pre = net
            .group(&pre_name)
            .map_err(|e| loc.err("pre", e.to_string()))?;
        let post = net
            .group(&post_name)
            .map_err(|e| loc.err("post", e.to_string()))?;
        // The V-reading synapses integrate nothing: no method key for them.
        let v_reading = matches!(
            model.as_str(),
            "GapJunction" | "DiffusiveCoupling" | "AdditiveCoupling"
        );
        if !v_reading && !t.contains_key("method") {
            t.insert(
                "method".into(),
                toml::Value::String(self.method.name().into()),
            );
        }
        seeds::inject(&mut t, self.seed, &loc.prefix);
        let name = name.as_deref();
        let located = |r: Result<Box<dyn Synapse>>| r.map_err(|e| located_lib_error(e, &loc));
        let syn: Box<dyn Synapse> = match model.as_str() {
            "GABAa" => located(
                Gabaa::named(pre, post, deserialize::<GabaaConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "AMPA" => located(
                Ampa::named(pre, post, deserialize::<AmpaConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "Exponential" => located(
                Exponential::named(pre, post, deserialize::<ExponentialConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "Delta" => located(
                Delta::named(pre, post, deserialize::<DeltaConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "DualExponential" => located(
                DualExponential::named(
                    pre,
                    post,
                    deserialize::<DualExponentialConfig>(t, &loc)?,
                    name,
                )
                .map(|x| Box::new(x) as _),
            )?,
            "Alpha" => located(
                Alpha::named(pre, post, deserialize::<AlphaConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "NMDA" => located(
                Nmda::named(pre, post, deserialize::<NmdaConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "BioNMDA" => located(
                BioNmda::named(pre, post, deserialize::<BioNmdaConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "GapJunction" => located(
                GapJunction::named(pre, post, deserialize::<GapJunctionConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "DiffusiveCoupling" => located(
                Coupling::diffusive(pre, post, deserialize::<CouplingConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            "AdditiveCoupling" => located(
                Coupling::additive(pre, post, deserialize::<CouplingConfig>(t, &loc)?, name)
                    .map(|x| Box::new(x) as _),
            )?,
            other => {
                return Err(loc.err(
                    "model",
                    format!("unknown synapse model `{other}`; known models: [\"GABAa\", \"AMPA\", \"Exponential\", \"Delta\", \"DualExponential\", \"Alpha\", \"NMDA\", \"BioNMDA\", \"GapJunction\", \"DiffusiveCoupling\", \"AdditiveCoupling\"]"),
                ));
            }
        };
        net.connect_boxed(syn)
            .map_err(|e| loc.err("name", e.to_string()))?;
        Ok(())
    }
}
