//! Checkpoints written by earlier code still load (float64; the fixture and its generator are
//! described in `tests/data/checkpoint_fixture/README.md`).
//!
//! `tests/data/checkpoint_fixture/<name>.bpk` was saved by the code of commit de5ff61 (before
//! every model had one typed definition) after 200 steps of a network file;
//! `<name>.after.json` holds every entry of that code's state dict 100 steps later. Here the
//! file loads strictly into the same network with the old synapse window (`window = "steps"`), the network
//! continues for 100 steps, and every parameter and state matches the old code's.

use std::path::{Path, PathBuf};

use brainburn::netfile::NetworkSpec;
use serde_json::Value;

use crate::common::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/checkpoint_fixture")
        .join(name)
}

/// The values of an entry as float64 (booleans 0/1).
fn values(data: &burn::tensor::TensorData) -> Vec<f64> {
    match data.dtype() {
        burn::tensor::DType::Bool(_) => data
            .as_slice::<bool>()
            .unwrap()
            .iter()
            .map(|&b| f64::from(u8::from(b)))
            .collect(),
        _ => data.clone().convert::<f64>().try_to_vec::<f64>().unwrap(),
    }
}

#[test]
fn checkpoints_of_earlier_code_load_and_continue() {
    // Which networks the fixture holds: every `.after.json` (at least the six it was written
    // with, so a lost file fails here rather than shrinking the test).
    let mut names: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().to_string();
            n.strip_suffix(".after.json").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 6, "fixture files: {names:?}");
    for backend in crate::backends() {
        let c = ctx(backend, crate::PRECISION);
        for name in &names {
            let want: Value = serde_json::from_str(
                &std::fs::read_to_string(fixture(&format!("{name}.after.json"))).unwrap(),
            )
            .unwrap();
            let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(want["file"].as_str().unwrap());
            // The old code's AMPA/GABAa rule was the whole-step window: today that is
            // `window = "steps"` (issue 18 made BrainPy's time window the default; a time-window
            // continuation of these files differs, e.g. WB gamma V by 4.7e-7 relative after
            // 100 steps), so the files are built with it, as a user continuing them would.
            let text = std::fs::read_to_string(&file)
                .unwrap()
                .replace("model = \"GABAa\"", "model = \"GABAa\"\nwindow = \"steps\"")
                .replace("model = \"AMPA\"", "model = \"AMPA\"\nwindow = \"steps\"");
            let mut built = NetworkSpec::parse(&text).unwrap().build(&c).unwrap();
            let res = built.net.load(fixture(&format!("{name}.bpk"))).unwrap();
            assert!(
                res.missing_keys.is_empty() && res.unexpected_keys.is_empty(),
                "{name}: {res:?}"
            );
            assert_eq!(built.net.step_index(), 200, "{name}");
            built.runner(&[]).unwrap().run_steps(100).unwrap();
            assert_eq!(built.net.step_index(), want["step_index"].as_u64().unwrap());
            let sd = built.net.state_dict().unwrap();
            let after = want["after"].as_object().unwrap();
            let mut keys: Vec<&str> = sd.keys();
            keys.sort_unstable();
            let mut old_keys: Vec<&str> = after.keys().map(String::as_str).collect();
            old_keys.sort_unstable();
            assert_eq!(keys, old_keys, "{name}: the same keys as the old code's");
            let mut worst = 0.0f64;
            for e in sd.entries() {
                let got = values(&e.data);
                let old = f64s(&after[&e.key]);
                assert_eq!(got.len(), old.len(), "{name} {}", e.key);
                // Float64 on both sides; the old hand kernels and today's generic steps round a
                // few operations differently: measured worst 1.9e-16 (one ulp) after 100
                // steps on flex and ndarray; 1e-13 leaves room for chaotic growth of that ulp
                // and nothing more. Spikes must be equal (a difference is 1).
                let (d, at) = max_rel_diff(&got, &old, 1.0);
                worst = worst.max(d);
                assert!(d <= 1e-13, "{name} {}: rel diff {d:e} at {at}", e.key);
            }
            println!(
                "{backend} {name}: {} entries, worst rel diff {worst:e}",
                sd.len()
            );
        }
    }
}
