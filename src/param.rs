//! Model parameters: a scalar, a per-neuron tensor or an initializer, each optionally trainable.
//!
//! Users give a [`ParamSpec`] (from `f64`, `Vec<f64>` or an [`Initializer`], `.trainable()`);
//! a built model holds [`NParam`]s in a keyed [`Params`] set under BrainPy's names (`tau`,
//! `V_th`, `g_max`, ...). Untrainable scalars stay host constants (scalar tensor ops, no
//! broadcast); everything else is a `[1, n]` Burn `Param` (frozen unless trainable), so it is
//! moved by `to_device`, saved by `state_dict` and seen by optimizers.

use burn::module::Param;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::backend::Ctx;
use crate::error::{Error, Result};
use crate::init::Initializer;
use crate::math::TVal;

/// The value of a parameter as the user gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// One value shared by every neuron.
    Scalar(f64),
    /// One value per neuron (length `num`).
    PerNeuron(Vec<f64>),
    /// Values drawn from an initializer at the group's `varshape`.
    Init(Initializer),
}

/// A parameter as the user gives it: a value and whether it is trained.
///
/// In files it is a number (`tau = 10`), a list (`tau = [5, 10, 20]`), an initializer table
/// (`V_th = { kind = "uniform", min = 15, max = 25, seed = 1 }`) or a full table
/// (`tau = { value = 10, trainable = true }`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamSpec {
    /// The value.
    pub value: ParamValue,
    /// Whether the parameter receives gradients and optimizer updates.
    pub trainable: bool,
}

/// The accepted spellings of a [`ParamSpec`] in files, read by hand so that a bad one is
/// reported as what it is (an unknown key of `{ value = .. }`, a non-number in a list) rather
/// than as "no variant matched".
impl<'de> Deserialize<'de> for ParamSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        spec_of(v).map_err(serde::de::Error::custom)
    }
}

/// What a TOML value is, for messages.
fn kind_of(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    }
}

fn number_of(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(x) => Some(*x),
        _ => None,
    }
}

fn value_of(v: toml::Value) -> std::result::Result<ParamValue, String> {
    if let Some(x) = number_of(&v) {
        return Ok(ParamValue::Scalar(x));
    }
    match v {
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                number_of(x).ok_or_else(|| format!("element {i} is {}, not a number", kind_of(x)))
            })
            .collect::<std::result::Result<Vec<f64>, String>>()
            .map(ParamValue::PerNeuron),
        toml::Value::Table(t) if t.contains_key("kind") => toml::Value::Table(t)
            .try_into::<Initializer>()
            .map(ParamValue::Init)
            .map_err(|e| format!("initializer: {}", e.message().trim())),
        other => Err(format!(
            "expected a number, a list of numbers, an initializer table `{{ kind = ... }}` or \
             `{{ value = ..., trainable = ... }}`, got {}",
            kind_of(&other)
        )),
    }
}

fn spec_of(v: toml::Value) -> std::result::Result<ParamSpec, String> {
    let toml::Value::Table(mut t) = v else {
        return value_of(v).map(|value| ParamSpec {
            value,
            trainable: false,
        });
    };
    if t.contains_key("kind") || !t.contains_key("value") {
        return value_of(toml::Value::Table(t)).map(|value| ParamSpec {
            value,
            trainable: false,
        });
    }
    let value = value_of(t.remove("value").expect("checked"))?;
    let trainable = match t.remove("trainable") {
        None => false,
        Some(toml::Value::Boolean(b)) => b,
        Some(other) => {
            return Err(format!(
                "`trainable` must be true or false, got {}",
                kind_of(&other)
            ));
        }
    };
    if let Some(k) = t.keys().next() {
        return Err(format!(
            "unknown field `{k}` in a parameter table, expected `value` or `trainable`"
        ));
    }
    Ok(ParamSpec { value, trainable })
}

impl ParamSpec {
    /// The same parameter, trainable.
    pub fn trainable(mut self) -> Self {
        self.trainable = true;
        self
    }

    /// The scalar value, if the parameter is a scalar.
    pub fn as_scalar(&self) -> Option<f64> {
        match self.value {
            ParamValue::Scalar(v) => Some(v),
            _ => None,
        }
    }
}

impl From<f64> for ParamSpec {
    fn from(v: f64) -> Self {
        ParamSpec {
            value: ParamValue::Scalar(v),
            trainable: false,
        }
    }
}

impl From<Vec<f64>> for ParamSpec {
    fn from(v: Vec<f64>) -> Self {
        ParamSpec {
            value: ParamValue::PerNeuron(v),
            trainable: false,
        }
    }
}

impl From<Initializer> for ParamSpec {
    fn from(i: Initializer) -> Self {
        ParamSpec {
            value: ParamValue::Init(i),
            trainable: false,
        }
    }
}

/// Shorthand: `trainable(10.0)` is a trainable scalar parameter.
pub fn trainable(value: impl Into<ParamSpec>) -> ParamSpec {
    value.into().trainable()
}

/// A built parameter.
#[derive(Clone, Debug)]
pub enum NParam {
    /// A host constant (untrainable scalar).
    Const(f64),
    /// A `[1, n]` tensor (`n` = 1 for a trainable scalar, else the group size or the number of
    /// synapses); trainable or frozen.
    Tensor(Param<Tensor<2>>),
}

impl NParam {
    /// Builds a parameter of a group of `num` elements with unbatched shape `varshape`.
    /// `key` names it in errors.
    pub fn build(spec: &ParamSpec, key: &str, varshape: &[usize], ctx: &Ctx) -> Result<Self> {
        let num: usize = varshape.iter().product();
        let values = match &spec.value {
            ParamValue::Scalar(v) => {
                if !v.is_finite() {
                    return Err(Error::arg(key, format!("must be finite, got {v}")));
                }
                check_fits(key, &[*v], ctx.precision)?;
                if !spec.trainable {
                    return Ok(NParam::Const(*v));
                }
                vec![*v]
            }
            ParamValue::PerNeuron(v) => {
                if v.len() != num {
                    return Err(Error::ShapeMismatch {
                        what: key.to_string(),
                        expected: varshape.to_vec(),
                        got: vec![v.len()],
                    });
                }
                if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                    return Err(Error::arg(key, format!("values must be finite, got {x}")));
                }
                v.clone()
            }
            ParamValue::Init(init) => init.generate(key, varshape, 1)?,
        };
        if let Some(x) = values.iter().find(|x| !x.is_finite()) {
            return Err(Error::arg(key, format!("values must be finite, got {x}")));
        }
        check_fits(key, &values, ctx.precision)?;
        Ok(Self::from_values(values, spec.trainable, ctx))
    }

    /// A tensor parameter from values (a `[1, len]` tensor).
    pub fn from_values(values: Vec<f64>, trainable: bool, ctx: &Ctx) -> Self {
        let n = values.len();
        let t = ctx.tensor(values, [1, n]);
        NParam::Tensor(Param::from_tensor(t).set_require_grad(trainable))
    }

    /// The value for the composed-op path.
    pub fn tval(&self) -> TVal {
        match self {
            NParam::Const(c) => TVal::S(*c),
            NParam::Tensor(p) => TVal::T(p.val()),
        }
    }

    /// Whether the parameter is configured as trained (also on a device without autodiff,
    /// where the tensor cannot require gradients yet; see [`crate::train::is_trainable`]).
    pub fn is_trainable(&self) -> bool {
        match self {
            NParam::Const(_) => false,
            NParam::Tensor(p) => crate::train::is_trainable(p),
        }
    }

    /// The host constant, if the parameter is one.
    pub fn as_const(&self) -> Option<f64> {
        match self {
            NParam::Const(c) => Some(*c),
            NParam::Tensor(_) => None,
        }
    }

    /// The values on the host (one per element; a single value for a scalar).
    pub fn host_values(&self) -> Result<Vec<f64>> {
        match self {
            NParam::Const(c) => Ok(vec![*c]),
            NParam::Tensor(p) => crate::tensor_io::to_f64_vec(p.val()),
        }
    }
}

/// A model's parameters under BrainPy's names, in declaration order.
#[derive(Clone, Debug, Default)]
pub struct Params {
    entries: Vec<(String, NParam)>,
}

impl Params {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds and adds a parameter (see [`NParam::build`]).
    pub fn build(
        &mut self,
        key: &str,
        spec: &ParamSpec,
        varshape: &[usize],
        ctx: &Ctx,
    ) -> Result<()> {
        let p = NParam::build(spec, key, varshape, ctx)?;
        self.insert(key, p);
        Ok(())
    }

    /// Builds a parameter whose values must lie in `domain` (the error names `key`, the first
    /// bad value and its index) and adds it.
    pub fn build_in(
        &mut self,
        key: &str,
        spec: &ParamSpec,
        domain: Domain,
        varshape: &[usize],
        ctx: &Ctx,
    ) -> Result<()> {
        let p = NParam::build(spec, key, varshape, ctx)?;
        domain.check(key, &p.host_values()?)?;
        self.insert(key, p);
        Ok(())
    }

    /// Adds or replaces a parameter.
    pub fn insert(&mut self, key: &str, p: NParam) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, old)) => *old = p,
            None => self.entries.push((key.to_string(), p)),
        }
    }

    /// The parameter `key`. Panics if the model did not declare it (a programmer bug).
    pub fn get(&self, key: &str) -> &NParam {
        self.try_get(key)
            .unwrap_or_else(|| panic!("parameter `{key}` was never declared"))
    }

    /// The parameter `key`, if declared.
    pub fn try_get(&self, key: &str) -> Option<&NParam> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, p)| p)
    }

    /// The parameter `key` for the composed-op path.
    pub fn tval(&self, key: &str) -> TVal {
        self.get(key).tval()
    }

    /// All parameters in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &NParam)> {
        self.entries.iter().map(|(k, p)| (k.as_str(), p))
    }

    /// All parameters, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut NParam)> {
        self.entries.iter_mut().map(|(k, p)| (k.as_str(), p))
    }

    /// Applies `f` to every tensor parameter (moving devices, optimizer steps, loading).
    pub fn map_tensors(&mut self, mut f: impl FnMut(&str, Param<Tensor<2>>) -> Param<Tensor<2>>) {
        for (k, p) in self.entries.iter_mut() {
            if let NParam::Tensor(t) = p {
                let taken = t.clone();
                *t = f(k, taken);
            }
        }
    }
}

/// Refuses values that are finite in float64 but overflow the run's `precision` (float32:
/// magnitudes above `f32::MAX` would become infinite).
pub fn check_fits(key: &str, values: &[f64], precision: crate::backend::Precision) -> Result<()> {
    if precision != crate::backend::Precision::F32 {
        return Ok(());
    }
    match values.iter().position(|x| x.abs() > f32::MAX as f64) {
        None => Ok(()),
        Some(i) => Err(Error::arg(
            key,
            format!(
                "{} does not fit in float32 (largest magnitude {:e}){}; use precision = \"f64\" \
                 or a smaller value",
                values[i],
                f32::MAX,
                if values.len() > 1 {
                    format!(" at index {i}")
                } else {
                    String::new()
                }
            ),
        )),
    }
}

/// The physical domain of a parameter, checked when a model is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Any finite value.
    Any,
    /// `> 0` (time constants, capacitances, areas).
    Positive,
    /// `≥ 0` (conductances, refractory periods, noise σ, rates).
    NonNegative,
    /// `[0, 1]` (probabilities, fractions).
    UnitInterval,
}

impl Domain {
    /// Whether `x` lies in the domain (NaN never does).
    pub fn contains(self, x: f64) -> bool {
        match self {
            Domain::Any => x.is_finite(),
            Domain::Positive => x.is_finite() && x > 0.0,
            Domain::NonNegative => x.is_finite() && x >= 0.0,
            Domain::UnitInterval => (0.0..=1.0).contains(&x),
        }
    }

    /// What the domain asks for, for messages ("> 0").
    pub fn describe(self) -> &'static str {
        match self {
            Domain::Any => "finite",
            Domain::Positive => "> 0",
            Domain::NonNegative => ">= 0",
            Domain::UnitInterval => "in [0, 1]",
        }
    }

    /// Checks every value of the parameter `key`; the error names the key, the first bad value
    /// and (for per-element values) its index.
    pub fn check(self, key: &str, values: &[f64]) -> Result<()> {
        match values.iter().position(|&x| !self.contains(x)) {
            None => Ok(()),
            Some(i) if values.len() == 1 => Err(Error::arg(
                key,
                format!("must be {}, got {}", self.describe(), values[i]),
            )),
            Some(i) => Err(Error::arg(
                key,
                format!(
                    "must be {}, got {} at index {i}",
                    self.describe(),
                    values[i]
                ),
            )),
        }
    }
}
