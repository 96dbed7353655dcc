//! State dicts and checkpoint files (SPEC §6): the one place where parameters and states meet
//! records.
//!
//! A [`StateDict`] holds, in order, every parameter and every state of a model under
//! BrainPy-style keys (`LIF0.tau`, `LIF0.V`, `GABAa0.g`, `GABAa0.delay_buffer`), as host
//! [`TensorData`] in BrainPy's shapes:
//!
//! * **states** have the shapes users see: `varshape` without a batch axis,
//!   `(batch, ...varshape)` with one (what [`Dynamics::save_states`] returns); float states in
//!   the model's precision, boolean states (spikes outside Training) as `bool`;
//! * **tensor parameters** (trainable or frozen): `()` for a single value, the group's
//!   `varshape` for one value per neuron (the unbatched shape of a state of that size), `(n,)`
//!   otherwise, a `[rows, cols]` matrix as is; in the model's precision;
//! * **host-constant parameters** (untrainable scalars such as a fixed `tau`) as `()` float64
//!   scalars: they are f64 on the host in any precision, so a float32 network continues
//!   bit-identically after loading. Scalar parameters load across these forms: a trained
//!   (tensor) `tau` loads into a network built with a constant `tau` and the other way round;
//!   the target decides what is trainable.
//!
//! A network's dict also holds its step index (counter-based random streams, e.g. Poisson
//! inputs and noise, restart exactly from it), its members (name and class) and its mode.
//!
//! **Files** are Burn's burnpack container (`burn::store::burn_pack`, the format of
//! `BurnpackStore` and `Module::save_file`): one tensor per key, metadata (format version,
//! brainburn version, precision, mode, members, key order, step index), followed by an
//! 8-byte trailer `b"BBCK"` + CRC-32 (little endian) of everything before it, so any bit flip
//! or truncation anywhere in the file is detected. Values are stored little-endian exactly as
//! the backend holds them: a file saved on one backend loads bit-exactly on every other.
//!
//! **Loading** ([`load_members`], `Network::load_state_dict`) checks everything before
//! changing anything: member classes, keys (strict by default: missing or unexpected keys are
//! an error; lenient loading returns them, missing in the target's order and unexpected in the
//! file's, the right way round — BrainPy 2.4.6 swaps them), shapes and dtypes. Only then are the
//! values swapped in; a failure while swapping restores the previous state, so a failed load
//! never leaves a half-loaded model. Parameters keep their identity (`ParamId`, so optimizer
//! state stays attached) and their trainability: that comes from the target model, not the file.

use std::path::Path;

use burn::module::Param;
use burn::store::burn_pack::{self, Reader, Writer};
use burn::tensor::{BoolStore, DType, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::Precision;
use crate::dynamics::{Dynamics, reshape_data};
use crate::error::{Error, Result};
use crate::mode::Mode;
use crate::network::Network;
use crate::param::NParam;
use crate::state::StateTensor;

/// Name of the format, stored in every file's metadata.
pub const FORMAT_NAME: &str = "brainburn.state_dict";
/// Version of the file layout; files of a newer version are refused with a clear error.
pub const FORMAT_VERSION: u32 = 1;
/// The trailer magic (`BBCK`) that precedes the CRC-32.
pub const TRAILER_MAGIC: [u8; 4] = *b"BBCK";
/// Length of the trailer: magic + CRC-32.
pub const TRAILER_LEN: usize = 8;
/// Largest file [`StateDict::load`] reads (burnpack's own limit).
pub const MAX_FILE_BYTES: u64 = burn_pack::MAX_FILE_SIZE;

/// Whether an entry is a parameter or a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A parameter (`tau`, `g_max`), trainable or not.
    Param,
    /// A state (`V`, `spike`, `g`, a delay buffer).
    State,
}

/// One value of a state dict.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The BrainPy-style key `member.name`.
    pub key: String,
    /// Parameter or state.
    pub kind: EntryKind,
    /// The values (host data, BrainPy shape, the model's dtype; booleans as `bool`).
    pub data: TensorData,
}

impl Entry {
    /// Whether two entries hold the same key, kind, shape, dtype and bytes (bit-exact).
    pub fn bit_eq(&self, other: &Entry) -> bool {
        self.key == other.key
            && self.kind == other.kind
            && self.data.dtype() == other.data.dtype()
            && self.data.shape() == other.data.shape()
            && self.data.as_bytes() == other.data.as_bytes()
    }
}

/// A member of the model a state dict was taken from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Unique name (`LIF0`).
    pub name: String,
    /// Class (`LIF`).
    pub class: String,
}

/// Parameters and states of a model under BrainPy-style keys, in order.
#[derive(Clone, Debug)]
pub struct StateDict {
    entries: Vec<Entry>,
    /// The members the dict was taken from (used for "a file of another network" errors).
    pub members: Vec<MemberInfo>,
    /// Precision of the model it was taken from.
    pub precision: Option<Precision>,
    /// Mode of the model it was taken from.
    pub mode: Option<Mode>,
    /// The network's step index (`None` for a single group).
    pub step_index: Option<u64>,
    /// The brainburn version that wrote it.
    pub brainburn_version: String,
}

impl Default for StateDict {
    fn default() -> Self {
        StateDict {
            entries: Vec::new(),
            members: Vec::new(),
            precision: None,
            mode: None,
            step_index: None,
            brainburn_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// How [`load_members`] and `Network::load_state_dict_with` treat a state dict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Missing or unexpected keys are an error (the default). When `false`, matching keys are
    /// loaded and the others returned in the [`LoadResult`].
    pub strict: bool,
    /// Convert dtypes instead of refusing them: float32 ↔ float64 (float64 → float32 rounds
    /// to nearest) and boolean ↔ float 0/1 (spikes saved outside Training loaded into a
    /// Training model and back). Off by default: a dtype mismatch is an error naming the key.
    pub convert_dtypes: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            strict: true,
            convert_dtypes: false,
        }
    }
}

impl LoadOptions {
    /// Strict, no conversions (the default).
    pub fn strict() -> Self {
        Self::default()
    }

    /// Lenient: load the matching keys, return the others.
    pub fn lenient() -> Self {
        LoadOptions {
            strict: false,
            ..Self::default()
        }
    }

    /// The same options with dtype conversions allowed.
    pub fn with_dtype_conversion(mut self) -> Self {
        self.convert_dtypes = true;
        self
    }
}

/// What a load left out: keys of the target that the dict lacks (in the target's order) and
/// keys of the dict that the target lacks (in the dict's order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadResult {
    /// Keys of the target model not found in the state dict (left unchanged).
    pub missing_keys: Vec<String>,
    /// Keys of the state dict that the target model does not have (ignored).
    pub unexpected_keys: Vec<String>,
}

impl StateDict {
    /// An empty state dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// All entries in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// All entries, mutably (to edit values before loading them).
    pub fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.entries
    }

    /// All keys in order.
    pub fn keys(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.key.as_str()).collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The entry `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key == key)
    }

    /// Adds an entry at the end, or replaces the entry with the same key in place. Boolean data
    /// of any storage is stored as plain `bool`.
    pub fn insert(&mut self, entry: Entry) -> Result<()> {
        let entry = Entry {
            data: canonical(entry.data, &entry.key)?,
            ..entry
        };
        match self.entries.iter_mut().find(|e| e.key == entry.key) {
            Some(old) => *old = entry,
            None => self.entries.push(entry),
        }
        Ok(())
    }

    /// Removes and returns the entry `key`.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(i))
    }

    /// Whether both dicts hold the same keys in the same order with bit-identical values, and
    /// the same step index.
    pub fn bit_eq(&self, other: &StateDict) -> bool {
        self.step_index == other.step_index
            && self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| a.bit_eq(b))
    }

    /// The keys whose values differ between two dicts (or that only one holds), in order.
    pub fn diff_keys(&self, other: &StateDict) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.entries {
            match other.get(&e.key) {
                Some(o) if o.bit_eq(e) => {}
                _ => out.push(e.key.clone()),
            }
        }
        for e in &other.entries {
            if self.get(&e.key).is_none() {
                out.push(e.key.clone());
            }
        }
        out
    }

    /// The file image: a burnpack container plus the checksum trailer.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut tensors = Vec::with_capacity(self.entries.len());
        let mut order = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            if self.entries.iter().filter(|o| o.key == e.key).count() > 1 {
                return Err(Error::DuplicateName(e.key.clone()));
            }
            let bytes = encode(&e.data, &e.key)?;
            tensors.push(burn_pack::Tensor::new(
                e.key.clone(),
                e.data.dtype(),
                e.data.shape().clone(),
                None,
                burn_pack::Bytes::from_bytes_vec(bytes),
            ));
            order.push(EntryMeta {
                key: e.key.clone(),
                kind: e.kind,
            });
        }
        let mut w = Writer::new(tensors)
            .with_metadata("format", FORMAT_NAME)
            .with_metadata("format_version", &FORMAT_VERSION.to_string())
            .with_metadata("brainburn_version", &self.brainburn_version)
            .with_metadata("entries", &json(&order)?)
            .with_metadata("members", &json(&self.members)?);
        if let Some(p) = self.precision {
            w = w.with_metadata("precision", p.name());
        }
        if let Some(m) = self.mode {
            w = w.with_metadata("mode", &json(&m)?);
        }
        if let Some(s) = self.step_index {
            w = w.with_metadata("step_index", &s.to_string());
        }
        let packed = w
            .into_bytes()
            .map_err(|e| Error::Backend(format!("cannot build the burnpack container: {e}")))?;
        Ok(seal(packed.to_vec()))
    }

    /// Parses a file image written by [`StateDict::to_bytes`]; `origin` names it in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self> {
        let bad = |reason: String| Error::BadFile {
            path: origin.to_string(),
            reason,
        };
        let body = unseal(bytes).map_err(bad)?;
        let reader = Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(body.to_vec()))
            .map_err(|e| bad(format!("not a valid burnpack container: {e}")))?;
        let meta = reader.metadata().clone();
        let get = |k: &str| {
            meta.get(k)
                .ok_or_else(|| bad(format!("metadata `{k}` is missing")))
        };
        let format = get("format")?;
        if format != FORMAT_NAME {
            return Err(bad(format!(
                "not a brainburn state dict (format `{format}`, expected `{FORMAT_NAME}`)"
            )));
        }
        let version: u32 = get("format_version")?
            .parse()
            .map_err(|_| bad("metadata `format_version` is not a number".into()))?;
        if version == 0 || version > FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version} is not supported (this brainburn reads version {FORMAT_VERSION}; \
                 the file was written by brainburn {})",
                meta.get("brainburn_version")
                    .map(String::as_str)
                    .unwrap_or("?")
            )));
        }
        let order: Vec<EntryMeta> = serde_json::from_str(get("entries")?)
            .map_err(|e| bad(format!("metadata `entries` is corrupt: {e}")))?;
        let members: Vec<MemberInfo> = serde_json::from_str(get("members")?)
            .map_err(|e| bad(format!("metadata `members` is corrupt: {e}")))?;
        let precision = match meta.get("precision") {
            None => None,
            Some(p) => Some(
                p.parse::<Precision>()
                    .map_err(|_| bad(format!("metadata `precision` = `{p}` is not f32/f64")))?,
            ),
        };
        let mode = match meta.get("mode") {
            None => None,
            Some(m) => Some(
                serde_json::from_str::<Mode>(m)
                    .map_err(|e| bad(format!("metadata `mode` is corrupt: {e}")))?,
            ),
        };
        let step_index = match meta.get("step_index") {
            None => None,
            Some(s) => Some(
                s.parse::<u64>()
                    .map_err(|_| bad(format!("metadata `step_index` = `{s}` is not a number")))?,
            ),
        };
        let brainburn_version = get("brainburn_version")?.clone();
        let tensors = reader
            .into_tensors()
            .map_err(|e| bad(format!("burnpack: {e}")))?;
        if tensors.len() != order.len() {
            return Err(bad(format!(
                "the key list names {} entries but the container holds {} tensors",
                order.len(),
                tensors.len()
            )));
        }
        let mut by_name = std::collections::HashMap::with_capacity(tensors.len());
        for t in tensors {
            let (name, dtype, shape, _, bytes) =
                t.into_parts().map_err(|e| bad(format!("burnpack: {e}")))?;
            by_name.insert(name, (dtype, shape.to_vec(), bytes));
        }
        let mut entries = Vec::with_capacity(order.len());
        for m in order {
            let (dtype, shape, bytes) = by_name.remove(&m.key).ok_or_else(|| {
                bad(format!(
                    "the key list names `{}` but no tensor has that name (or it is listed twice)",
                    m.key
                ))
            })?;
            let data =
                decode(dtype, shape, &bytes).map_err(|r| bad(format!("`{}`: {r}", m.key)))?;
            entries.push(Entry {
                key: m.key,
                kind: m.kind,
                data,
            });
        }
        Ok(StateDict {
            entries,
            members,
            precision,
            mode,
            step_index,
            brainburn_version,
        })
    }

    /// Writes the dict to `path` (the exact path; the write goes to a sibling temporary file
    /// first and is renamed into place, so `path` never holds half a file).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        let file_name = path
            .file_name()
            .ok_or_else(|| Error::arg("path", format!("`{}` names no file", path.display())))?;
        let mut tmp_name = file_name.to_os_string();
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        std::fs::write(&tmp, &bytes).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
    }

    /// Reads a dict written by [`StateDict::save`]. Every problem (no such file, a directory,
    /// an empty, truncated, corrupt or foreign file) is an error naming the path and the
    /// problem; this never panics.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            return Err(Error::BadFile {
                path: origin,
                reason: "is a directory, not a state dict file".into(),
            });
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(Error::BadFile {
                path: origin,
                reason: format!(
                    "{} bytes is larger than the {MAX_FILE_BYTES}-byte limit",
                    meta.len()
                ),
            });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes, &origin)
    }
}

/// Appends the checksum trailer (`b"BBCK"` + CRC-32 of `body`, little endian) to a burnpack
/// image. [`StateDict::to_bytes`] does this; it is public for tools and tests that build
/// containers by hand.
pub fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(&body);
    body.extend_from_slice(&TRAILER_MAGIC);
    body.extend_from_slice(&crc.sum().to_le_bytes());
    body
}

/// Checks and strips the trailer.
fn unseal(bytes: &[u8]) -> std::result::Result<&[u8], String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() < TRAILER_LEN {
        return Err(format!(
            "{} bytes is too short to be a state dict (truncated?)",
            bytes.len()
        ));
    }
    let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_LEN);
    if trailer[..4] != TRAILER_MAGIC {
        return Err(
            "no brainburn checksum trailer at the end: the file is truncated or was not written by brainburn"
                .into(),
        );
    }
    let mut stored = [0u8; 4];
    stored.copy_from_slice(&trailer[4..]);
    let stored = u32::from_le_bytes(stored);
    let mut crc = flate2::Crc::new();
    crc.update(body);
    if crc.sum() != stored {
        return Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {:08x}): the file is corrupt or truncated",
            crc.sum()
        ));
    }
    Ok(body)
}

#[derive(Serialize, Deserialize)]
struct EntryMeta {
    key: String,
    kind: EntryKind,
}

/// Metadata values as JSON text.
fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Backend(format!("cannot serialise metadata: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Host values ↔ little-endian bytes.

fn data_err(key: &str, e: impl std::fmt::Debug) -> Error {
    Error::Backend(format!("`{key}`: cannot read values: {e:?}"))
}

/// The same data with booleans of any storage (native, u8, u32 on GPU backends) as `bool`.
pub fn canonical(data: TensorData, key: &str) -> Result<TensorData> {
    match data.dtype() {
        DType::Bool(BoolStore::Native) => Ok(data),
        DType::Bool(_) => {
            let shape = data.shape().clone();
            let v = data.try_to_vec_as::<bool>().map_err(|e| data_err(key, e))?;
            Ok(TensorData::new(v, shape))
        }
        _ => Ok(data),
    }
}

macro_rules! le_codec {
    ($($dt:ident => $t:ty),+ $(,)?) => {
        fn encode(data: &TensorData, key: &str) -> Result<Vec<u8>> {
            match data.dtype() {
                $(DType::$dt => Ok(data
                    .try_to_vec::<$t>()
                    .map_err(|e| data_err(key, e))?
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()),)+
                DType::Bool(_) => Ok(canonical(data.clone(), key)?
                    .try_to_vec::<bool>()
                    .map_err(|e| data_err(key, e))?
                    .iter()
                    .map(|b| u8::from(*b))
                    .collect()),
                other => Err(Error::DTypeMismatch {
                    what: key.to_string(),
                    expected: "a float, integer or boolean dtype".into(),
                    got: format!("{other:?}"),
                }),
            }
        }

        /// Typed host data from little-endian bytes (sizes already checked by burnpack; checked
        /// again here).
        fn decode(dtype: DType, shape: Vec<usize>, bytes: &[u8]) -> std::result::Result<TensorData, String> {
            let n = shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .ok_or_else(|| format!("shape {shape:?} overflows"))?;
            let need = n
                .checked_mul(dtype.size())
                .ok_or_else(|| format!("shape {shape:?} overflows"))?;
            if !matches!(dtype, DType::QFloat(_)) && bytes.len() != need {
                return Err(format!(
                    "{} bytes for shape {shape:?} of {dtype:?} (need {need})",
                    bytes.len()
                ));
            }
            match dtype {
                $(DType::$dt => {
                    const W: usize = std::mem::size_of::<$t>();
                    let v: Vec<$t> = bytes
                        .chunks_exact(W)
                        .map(|c| {
                            let mut a = [0u8; W];
                            a.copy_from_slice(c);
                            <$t>::from_le_bytes(a)
                        })
                        .collect();
                    Ok(TensorData::new(v, shape))
                })+
                DType::Bool(BoolStore::Native) => {
                    if let Some(b) = bytes.iter().find(|b| **b > 1) {
                        return Err(format!("invalid boolean byte {b:#04x}"));
                    }
                    let v: Vec<bool> = bytes.iter().map(|b| *b == 1).collect();
                    Ok(TensorData::new(v, shape))
                }
                other => Err(format!("unsupported dtype {other:?}")),
            }
        }
    };
}

le_codec!(
    F64 => f64, F32 => f32,
    I64 => i64, I32 => i32, I16 => i16, I8 => i8,
    U64 => u64, U32 => u32, U16 => u16, U8 => u8,
);

// ---------------------------------------------------------------------------------------------
// Models ↔ state dicts.

/// The state-dict shape of a tensor parameter with dims `[rows, cols]` of a model: `()` for a
/// single value, the unbatched shape of a state with as many elements (the group's
/// `varshape`), else `(n,)`; a matrix (`rows > 1`) keeps its shape.
fn param_shape(d: &dyn Dynamics, dims: [usize; 2]) -> Vec<usize> {
    let [rows, n] = dims;
    if rows != 1 {
        return vec![rows, n];
    }
    if n == 1 {
        return Vec::new();
    }
    let states = d.states();
    for (k, _) in states.iter() {
        let s = states.unbatched_shape(k);
        if s.iter().product::<usize>() == n {
            return s.to_vec();
        }
    }
    vec![n]
}

/// The state dict of a list of models (a network's members, or one group).
pub fn collect(members: &[&dyn Dynamics]) -> Result<StateDict> {
    let mut sd = StateDict::new();
    for m in members {
        let name = m.name();
        sd.members.push(MemberInfo {
            name: name.to_string(),
            class: m.class_name().to_string(),
        });
        if sd.precision.is_none() {
            sd.precision = Some(m.ctx().precision);
            sd.mode = Some(m.mode());
        }
        for (k, p) in m.params().iter() {
            let key = format!("{name}.{k}");
            let data = match p {
                NParam::Const(c) => TensorData::new(vec![*c], Vec::<usize>::new()),
                NParam::Tensor(t) => {
                    let v = t.val();
                    let dims = v.dims();
                    let data = v.try_into_data().map_err(|e| data_err(&key, e))?;
                    reshape_data(data, param_shape(*m, dims))
                }
            };
            push_unique(&mut sd, key, EntryKind::Param, data)?;
        }
        for (k, data) in m.save_states()? {
            let key = format!("{name}.{k}");
            push_unique(&mut sd, key, EntryKind::State, data)?;
        }
    }
    Ok(sd)
}

fn push_unique(sd: &mut StateDict, key: String, kind: EntryKind, data: TensorData) -> Result<()> {
    if sd.get(&key).is_some() {
        return Err(Error::DuplicateName(key));
    }
    let data = canonical(data, &key)?;
    sd.entries.push(Entry { key, kind, data });
    Ok(())
}

/// What a key of the target expects.
struct Expect {
    key: String,
    member: usize,
    local: String,
    kind: EntryKind,
    shape: Vec<usize>,
    dtype: DType,
    /// A scalar parameter: accepts any float dtype (host constants are f64).
    scalar_param: bool,
}

fn expectations(members: &[&dyn Dynamics]) -> Result<Vec<Expect>> {
    let mut out = Vec::new();
    for (mi, m) in members.iter().enumerate() {
        let name = m.name();
        for (k, p) in m.params().iter() {
            let (shape, dtype) = match p {
                NParam::Const(_) => (Vec::new(), DType::F64),
                NParam::Tensor(t) => {
                    let v = t.val();
                    (param_shape(*m, v.dims()), v.dtype())
                }
            };
            out.push(Expect {
                key: format!("{name}.{k}"),
                member: mi,
                local: k.to_string(),
                kind: EntryKind::Param,
                scalar_param: shape.is_empty(),
                shape,
                dtype,
            });
        }
        let layout = m.state_layout();
        let states = m.states();
        let outside = layout.iter().any(|(k, _)| !states.contains(k));
        let saved = if outside {
            m.save_states()?
        } else {
            Vec::new()
        };
        for (k, shape) in layout {
            let dtype = if states.contains(&k) {
                match states.get(&k) {
                    StateTensor::Float(t) => t.dtype(),
                    StateTensor::Bool(_) => DType::Bool(BoolStore::Native),
                }
            } else {
                match saved.iter().find(|(s, _)| *s == k) {
                    Some((_, d)) => match d.dtype() {
                        DType::Bool(_) => DType::Bool(BoolStore::Native),
                        other => other,
                    },
                    None => panic!(
                        "{name}: state `{k}` is in state_layout() but not in save_states() (a model bug)"
                    ),
                }
            };
            out.push(Expect {
                key: format!("{name}.{k}"),
                member: mi,
                local: k,
                kind: EntryKind::State,
                shape,
                dtype,
                scalar_param: false,
            });
        }
    }
    Ok(out)
}

fn dtype_name(d: DType) -> String {
    match d {
        DType::F64 => "float64".into(),
        DType::F32 => "float32".into(),
        DType::Bool(_) => "bool".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::F64 | DType::F32)
}

/// The entry's data in the expected dtype, or a dtype error naming the key.
fn fit_dtype(e: &Entry, x: &Expect, opts: &LoadOptions) -> Result<TensorData> {
    let got = e.data.dtype();
    let same = match (got, x.dtype) {
        (DType::Bool(_), DType::Bool(_)) => true,
        (a, b) => a == b,
    };
    if same {
        return canonical(e.data.clone(), &e.key);
    }
    let convertible = (x.scalar_param && is_float(got) && is_float(x.dtype))
        || (opts.convert_dtypes
            && (is_float(got) || matches!(got, DType::Bool(_)))
            && (is_float(x.dtype) || matches!(x.dtype, DType::Bool(_))));
    if !convertible {
        return Err(Error::DTypeMismatch {
            what: e.key.clone(),
            expected: dtype_name(x.dtype),
            got: dtype_name(got),
        });
    }
    let shape = e.data.shape().clone();
    let values: Vec<f64> = match got {
        DType::Bool(_) => e
            .data
            .try_to_vec::<bool>()
            .map_err(|err| data_err(&e.key, err))?
            .into_iter()
            .map(|b| if b { 1.0 } else { 0.0 })
            .collect(),
        _ => e
            .data
            .try_to_vec_as::<f64>()
            .map_err(|err| data_err(&e.key, err))?,
    };
    Ok(match x.dtype {
        DType::F64 => TensorData::new(values, shape),
        DType::F32 => TensorData::new(
            values.iter().map(|v| *v as f32).collect::<Vec<f32>>(),
            shape,
        ),
        _ => {
            if let Some(v) = values.iter().find(|v| **v != 0.0 && **v != 1.0) {
                return Err(Error::DTypeMismatch {
                    what: e.key.clone(),
                    expected: "bool (values 0 or 1)".into(),
                    got: format!("{} with value {v}", dtype_name(got)),
                });
            }
            TensorData::new(
                values.iter().map(|v| *v == 1.0).collect::<Vec<bool>>(),
                shape,
            )
        }
    })
}

/// A checked load, ready to be applied.
pub struct LoadPlan {
    items: Vec<(usize, String, EntryKind, TensorData)>,
    result: LoadResult,
}

impl LoadPlan {
    /// The missing and unexpected keys this load reports.
    pub fn result(&self) -> &LoadResult {
        &self.result
    }
}

/// Checks `sd` against `members` without changing anything: member classes, keys (strict:
/// all must match), shapes and dtypes. Errors name the offending key.
pub fn plan(members: &[&dyn Dynamics], sd: &StateDict, opts: &LoadOptions) -> Result<LoadPlan> {
    for m in members {
        if let Some(info) = sd.members.iter().find(|i| i.name == m.name())
            && info.class != m.class_name()
        {
            return Err(Error::OtherNetwork(format!(
                "member `{}` is a {} in the state dict but a {} here",
                info.name,
                info.class,
                m.class_name()
            )));
        }
    }
    let expect = expectations(members)?;
    let missing: Vec<String> = expect
        .iter()
        .filter(|x| sd.get(&x.key).is_none())
        .map(|x| x.key.clone())
        .collect();
    let unexpected: Vec<String> = sd
        .entries
        .iter()
        .filter(|e| !expect.iter().any(|x| x.key == e.key))
        .map(|e| e.key.clone())
        .collect();
    if opts.strict && (!missing.is_empty() || !unexpected.is_empty()) {
        let ours: Vec<&str> = members.iter().map(|m| m.name()).collect();
        let theirs: Vec<&str> = sd.members.iter().map(|m| m.name.as_str()).collect();
        let mut a = ours.clone();
        let mut b = theirs.clone();
        a.sort_unstable();
        b.sort_unstable();
        if !theirs.is_empty() && a != b {
            return Err(Error::OtherNetwork(format!(
                "it holds members {theirs:?}, this model has {ours:?} (missing keys {missing:?}, unexpected keys {unexpected:?})"
            )));
        }
        return Err(Error::KeyMismatch {
            missing,
            unexpected,
        });
    }
    let mut items = Vec::new();
    for x in &expect {
        let Some(e) = sd.get(&x.key) else { continue };
        if e.kind != x.kind {
            return Err(Error::arg(
                &x.key,
                format!(
                    "is a {:?} here but a {:?} in the state dict",
                    x.kind, e.kind
                ),
            ));
        }
        let got: Vec<usize> = e.data.shape().to_vec();
        if got != x.shape {
            return Err(Error::ShapeMismatch {
                what: x.key.clone(),
                expected: x.shape.clone(),
                got,
            });
        }
        let data = fit_dtype(e, x, opts)?;
        items.push((x.member, x.local.clone(), x.kind, data));
    }
    Ok(LoadPlan {
        items,
        result: LoadResult {
            missing_keys: missing,
            unexpected_keys: unexpected,
        },
    })
}

/// Swaps the checked values in. Parameters keep their `ParamId`, device and trainability.
/// Callers restore a backup if this fails (only a model's own `load_state` can fail here).
pub fn apply(members: &mut [&mut dyn Dynamics], plan: LoadPlan) -> Result<LoadResult> {
    for (mi, local, kind, data) in plan.items {
        let m = &mut *members[mi];
        match kind {
            EntryKind::State => m.load_state(&local, data)?,
            EntryKind::Param => {
                let core = m.core_mut();
                let Some((_, p)) = core.params.iter_mut().find(|(k, _)| *k == local) else {
                    panic!("parameter `{local}` vanished between check and load");
                };
                *p = match &*p {
                    NParam::Const(_) => {
                        let v = data
                            .try_to_vec_as::<f64>()
                            .map_err(|e| data_err(&local, e))?;
                        NParam::Const(v[0])
                    }
                    NParam::Tensor(old) => {
                        let dims = old.val().dims();
                        let dtype = old.val().dtype();
                        NParam::Tensor(replace_param(old, data, dims, dtype))
                    }
                };
            }
        }
    }
    Ok(plan.result)
}

/// A parameter with new values and the old one's id, trainability and device.
fn replace_param(
    old: &Param<Tensor<2>>,
    data: TensorData,
    dims: [usize; 2],
    dtype: DType,
) -> Param<Tensor<2>> {
    let old_tensor = old.val();
    let device = old_tensor.device();
    let tracked = old_tensor.is_require_grad();
    let data = reshape_data(data, dims.to_vec());
    let t: Tensor<2> = Tensor::from_data(data, (&device, dtype));
    let t = if tracked { t.require_grad() } else { t };
    old.clone().map(|_| t)
}

/// Loads `sd` into `members` (all-or-nothing: `backup` is restored if swapping fails).
pub fn load_members<T: Clone>(
    target: &mut T,
    members_of: impl Fn(&T) -> Vec<&dyn Dynamics>,
    members_of_mut: impl Fn(&mut T) -> Vec<&mut dyn Dynamics>,
    sd: &StateDict,
    opts: &LoadOptions,
) -> Result<LoadResult> {
    let plan = plan(&members_of(target), sd, opts)?;
    let backup = target.clone();
    let result = {
        let mut members = members_of_mut(target);
        apply(&mut members, plan)
    };
    if result.is_err() {
        *target = backup;
    }
    result
}

/// A network's state dict: every member's parameters and states plus the step index.
pub fn network_state_dict(net: &Network) -> Result<StateDict> {
    let mut sd = collect(&net.members())?;
    sd.step_index = Some(net.step_index());
    sd.precision = Some(net.ctx().precision);
    sd.mode = Some(net.mode());
    Ok(sd)
}

/// Loads a state dict into a network (all-or-nothing), including its step index.
pub fn load_network(net: &mut Network, sd: &StateDict, opts: &LoadOptions) -> Result<LoadResult> {
    if sd.step_index.is_none() && opts.strict {
        return Err(Error::arg(
            "step_index",
            "the state dict holds no step index (it was not taken from a Network); load it leniently to keep the current one",
        ));
    }
    let result = load_members(net, |n| n.members(), |n| n.members_mut(), sd, opts)?;
    if let Some(s) = sd.step_index {
        net.set_step_index(s);
    }
    Ok(result)
}

/// State dicts, checkpoint files and loading for a single model (a group or synapse used
/// outside a [`Network`](crate::network::Network)); keys are `name.param` / `name.state`.
pub trait StateDictExt: Dynamics + Clone + Sized {
    /// Parameters and states under BrainPy-style keys.
    fn state_dict(&self) -> Result<StateDict> {
        collect(&[self as &dyn Dynamics])
    }

    /// Loads a state dict strictly (see [`LoadOptions`]); returns the (empty) key lists.
    fn load_state_dict(&mut self, sd: &StateDict) -> Result<LoadResult> {
        self.load_state_dict_with(sd, &LoadOptions::default())
    }

    /// Loads a state dict with options; all-or-nothing.
    fn load_state_dict_with(&mut self, sd: &StateDict, opts: &LoadOptions) -> Result<LoadResult> {
        load_members(
            self,
            |s| vec![s as &dyn Dynamics],
            |s| vec![s as &mut dyn Dynamics],
            sd,
            opts,
        )
    }

    /// Saves the state dict to a checkpoint file.
    fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<()> {
        self.state_dict()?.save(path)
    }

    /// Loads a checkpoint file strictly; all-or-nothing.
    fn load_checkpoint(&mut self, path: impl AsRef<Path>) -> Result<LoadResult> {
        let sd = StateDict::load(path)?;
        self.load_state_dict(&sd)
    }
}

impl<T: Dynamics + Clone> StateDictExt for T {}

// ---------------------------------------------------------------------------------------------
// Any Burn module (e.g. a `#[derive(Module)]` model mixing `burn::nn::Linear` and brainburn
// groups) ↔ state dicts.

/// Collects the float parameters of a Burn module under their module paths.
struct ModuleCollector {
    path: Vec<String>,
    entries: Vec<(String, Vec<usize>, std::result::Result<TensorData, String>)>,
}

impl burn::module::ModuleVisitor for ModuleCollector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let dims = t.dims().to_vec();
        let data = t.try_into_data().map_err(|e| format!("{e:?}"));
        self.entries.push((self.path.join("."), dims, data));
    }
}

/// Replaces the float parameters of a Burn module from checked values, keeping ids, devices
/// and trainability.
struct ModuleLoader {
    path: Vec<String>,
    values: std::collections::HashMap<String, TensorData>,
}

impl burn::module::ModuleMapper for ModuleLoader {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(data) = self.values.remove(&self.path.join(".")) else {
            return param;
        };
        let old = param.val();
        let (device, dtype, tracked) = (old.device(), old.dtype(), old.is_require_grad());
        let t: Tensor<D> = Tensor::from_data(data, (&device, dtype));
        let t = if tracked { t.require_grad() } else { t };
        param.map(|_| t)
    }
}

impl StateDict {
    /// The float parameters of any Burn module under their module paths (`fc1.weight`,
    /// `hidden.tau` for a field `hidden: Lif`) in their tensor shapes, e.g. to checkpoint a
    /// `#[derive(Module)]` model that mixes `burn::nn` layers and brainburn groups. States and
    /// host constants of embedded groups are not parameters and not included (a group's own
    /// [`StateDictExt::state_dict`] has them).
    pub fn from_module<M: burn::module::Module>(module: &M) -> Result<Self> {
        let mut c = ModuleCollector {
            path: Vec::new(),
            entries: Vec::new(),
        };
        module.visit(&mut c);
        let mut sd = StateDict::new();
        for (key, _, data) in c.entries {
            let data = data.map_err(|e| data_err(&key, e))?;
            if sd.precision.is_none() {
                sd.precision = match data.dtype() {
                    DType::F64 => Some(Precision::F64),
                    DType::F32 => Some(Precision::F32),
                    _ => None,
                };
            }
            push_unique(&mut sd, key, EntryKind::Param, data)?;
        }
        Ok(sd)
    }

    /// Loads values into the parameters of a Burn module (the counterpart of
    /// [`StateDict::from_module`]): returns the loaded copy of `module`. Keys, shapes and
    /// dtypes are checked first (strict by default, see [`LoadOptions`]); on error `module`
    /// is untouched. Parameters keep their ids, devices and trainability.
    pub fn load_into_module<M: burn::module::Module>(
        &self,
        module: &M,
        opts: &LoadOptions,
    ) -> Result<(M, LoadResult)> {
        let mut c = ModuleCollector {
            path: Vec::new(),
            entries: Vec::new(),
        };
        module.visit(&mut c);
        let mut missing = Vec::new();
        let mut values = std::collections::HashMap::new();
        let mut checked = Vec::new();
        for (key, dims, data) in &c.entries {
            let Some(e) = self.get(key) else {
                missing.push(key.clone());
                continue;
            };
            let dtype = match data {
                Ok(d) => d.dtype(),
                Err(err) => return Err(data_err(key, err)),
            };
            let x = Expect {
                key: key.clone(),
                member: 0,
                local: key.clone(),
                kind: EntryKind::Param,
                shape: dims.clone(),
                dtype,
                scalar_param: false,
            };
            let got: Vec<usize> = e.data.shape().to_vec();
            if got != x.shape {
                return Err(Error::ShapeMismatch {
                    what: key.clone(),
                    expected: x.shape,
                    got,
                });
            }
            checked.push((key.clone(), fit_dtype(e, &x, opts)?));
        }
        let unexpected: Vec<String> = self
            .entries
            .iter()
            .filter(|e| !c.entries.iter().any(|(k, _, _)| *k == e.key))
            .map(|e| e.key.clone())
            .collect();
        if opts.strict && (!missing.is_empty() || !unexpected.is_empty()) {
            return Err(Error::KeyMismatch {
                missing,
                unexpected,
            });
        }
        values.extend(checked);
        let mut loader = ModuleLoader {
            path: Vec::new(),
            values,
        };
        let module = module.clone().map(&mut loader);
        Ok((
            module,
            LoadResult {
                missing_keys: missing,
                unexpected_keys: unexpected,
            },
        ))
    }
}
