//! Writes the checkpoint fixture of `tests/cases/checkpoint_fixture.rs` with the code of an
//! earlier commit (the fixture proves that checkpoints written by that code still load).
//!
//! Run from a checkout of the commit that should write it (the fixture in `tests/data/` was
//! written at de5ff61, before models had one typed definition):
//! ```sh
//! cp tools/checkpoint_fixture/write_fixture.rs examples/ && \
//!   cargo run --release --example write_fixture -- <brainburn checkout>/tests/data/checkpoint_fixture
//! ```
//! For each network file: build it (flex, float64), run 200 steps with the file's inputs,
//! save the checkpoint (`<name>.bpk`), run 100 more steps and store every entry of the state
//! dict after them (`<name>.after.json`: key → values as float64, booleans 0/1).

use std::path::Path;

use brainburn::netfile::NetworkSpec;
use brainburn::prelude::*;

const FILES: [(&str, &str); 6] = [
    ("wb_gamma", "examples/networks/wb_gamma.toml"),
    ("d_gabaa_sparse_delay2", "examples/networks/d_gabaa_sparse_delay2.toml"),
    ("c_hh_version_defaults", "examples/networks/c_hh_version_defaults.toml"),
    ("c_hh_classic_HH", "examples/networks/c_hh_classic_HH.toml"),
    ("a_leaky_integrator", "examples/networks/a_leaky_integrator.toml"),
    ("small_lif", "tools/checkpoint_fixture/small_lif.toml"),
];

fn main() -> Result<()> {
    let out = std::env::args().nth(1).expect("usage: write_fixture OUT_DIR");
    let out = Path::new(&out);
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let ctx = Ctx::new(BackendKind::Flex, Precision::F64)?;
    for (name, file) in FILES {
        let spec = NetworkSpec::from_path(file)?;
        let mut built = spec.build(&ctx)?;
        built.runner(&[])?.run_steps(200)?;
        built.net.save(out.join(format!("{name}.bpk")))?;
        built.runner(&[])?.run_steps(100)?;
        let sd = built.net.state_dict()?;
        let mut after = serde_json::Map::new();
        for e in sd.entries() {
            let v: Vec<f64> = match e.data.dtype() {
                burn::tensor::DType::Bool(_) => e
                    .data
                    .as_slice::<bool>()
                    .map_err(|err| Error::Backend(format!("{err:?}")))?
                    .iter()
                    .map(|&b| f64::from(u8::from(b)))
                    .collect(),
                _ => e
                    .data
                    .clone()
                    .convert::<f64>()
                    .try_to_vec::<f64>()
                    .map_err(|err| Error::Backend(format!("{err:?}")))?,
            };
            after.insert(e.key.clone(), serde_json::json!(v));
        }
        let json = serde_json::json!({ "file": file, "steps_before": 200, "steps_after": 100,
            "step_index": built.net.step_index(), "after": after });
        let path = out.join(format!("{name}.after.json"));
        std::fs::write(&path, serde_json::to_string(&json).expect("json"))
            .map_err(|e| Error::io(&path, e))?;
        println!("{name}: {} entries", sd.len());
    }
    Ok(())
}
