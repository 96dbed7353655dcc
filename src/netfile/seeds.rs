//! Seeds for random choices a network file leaves unseeded.
//!
//! Every initializer table (`kind = "uniform"`/`"normal"`), fixed-probability connectivity
//! (`kind = "fixed_prob"`), Poisson group and noise stream without an explicit `seed` gets one
//! derived from the file's `seed` and its own path (e.g. `groups.E.V_initializer`), so one file
//! seed reproduces the whole network and different entries get different streams.

/// FNV-1a of `path`, mixed with the file seed.
pub(crate) fn derive_seed(file_seed: u64, path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ file_seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

const SEEDED_KINDS: [&str; 3] = ["uniform", "normal", "fixed_prob"];

/// Inserts derived seeds into every seeded table under `table` that lacks one.
pub(crate) fn inject(table: &mut toml::Table, file_seed: u64, path: &str) {
    let kind = table
        .get("kind")
        .and_then(|k| k.as_str())
        .map(str::to_string);
    if let Some(kind) = kind
        && SEEDED_KINDS.contains(&kind.as_str())
        && !table.contains_key("seed")
    {
        table.insert(
            "seed".into(),
            toml::Value::Integer(seed_value(file_seed, path)),
        );
    }
    for (k, v) in table.iter_mut() {
        match v {
            toml::Value::Table(t) => inject(t, file_seed, &format!("{path}.{k}")),
            toml::Value::Array(a) => {
                for (i, item) in a.iter_mut().enumerate() {
                    if let toml::Value::Table(t) = item {
                        inject(t, file_seed, &format!("{path}.{k}[{i}]"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// A derived seed as a TOML integer (non-negative, below 2⁶³).
pub(crate) fn seed_value(file_seed: u64, path: &str) -> i64 {
    (derive_seed(file_seed, path) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unseeded_tables_get_distinct_reproducible_seeds() {
        let mut t: toml::Table = toml::from_str(
            "a = { kind = \"normal\", mean = 0, std = 1 }\nb = { kind = \"uniform\", min = 0, max = 1, seed = 5 }\nc = { kind = \"normal\", mean = 0, std = 1 }",
        )
        .unwrap();
        inject(&mut t, 7, "groups.E");
        let seed = |k: &str| t[k]["seed"].as_integer().unwrap();
        assert_eq!(seed("b"), 5);
        assert_ne!(seed("a"), seed("c"));
        assert_eq!(seed("a"), seed_value(7, "groups.E.a"));
        assert_ne!(seed_value(7, "x"), seed_value(8, "x"));
    }
}
