//! The `brainburn` command: oracle cases shipped as network files (`examples/networks/`) run
//! through the command's own code path (`cli::run_file`) and compared with the oracle as tightly
//! as the library tests do; bad files give exit status 2, a message naming the field and line,
//! and write nothing into the output directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use brainburn::cli::{RunOptions, run_file};
use brainburn::prelude::*;

use crate::PRECISION;
use crate::common::*;

fn network(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/networks")
        .join(name)
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "brainburn-cli-{tag}-{}-{PRECISION}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn opts() -> RunOptions {
    RunOptions {
        backend: crate::backends()[0],
        precision: Some(PRECISION),
        quiet: true,
        check_finite: true,
        max_memory: None,
    }
}

/// `step,t_ms,<idx>...` CSV → (steps, rows of values).
fn read_monitor(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(|x| x.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

/// spikes.csv → per (group, index) the list of steps.
fn read_spikes(path: &Path) -> Vec<(u64, String, usize)> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["step", "t_ms", "group", "index"]
    );
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].parse().unwrap(),
                r[2].to_string(),
                r[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Case a as a file: V of both parameter groups, same bars as `foundation.rs`.
#[test]
fn file_case_a_matches_the_oracle() {
    if crate::backends().is_empty() {
        return;
    }
    let out = scratch("a");
    run_file(&network("a_leaky_integrator.toml"), &out, &opts()).unwrap();
    let (hdr, rows) = oracle_csv(&oracle_name(PRECISION, "a_leaky_integrator.csv"));
    for group in ["default", "custom"] {
        let (mh, mrows) = read_monitor(&out.join("monitors").join(format!("{group}.V.csv")));
        assert_eq!(mh, ["step", "t_ms", "0", "1", "2"]);
        assert_eq!(mrows.len(), rows.len());
        for j in 0..3 {
            let want = column(&hdr, &rows, &format!("{group}_V{j}"));
            let got: Vec<f64> = mrows.iter().map(|r| r[2 + j]).collect();
            let d = assert_close(
                &format!("file a {group} V{j}"),
                &got,
                &want,
                tol(PRECISION, 1e-9, 5e-5),
            );
            println!("file case a {group} V{j}: max |err| {d:e}");
        }
        // The time column is BrainPy's label k·dt.
        assert!((mrows[10][1] - 1.0).abs() < 1e-12);
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["steps"], 1000);
    assert_eq!(summary["precision"], PRECISION.name());
    // The engine that ran: fused on a CPU backend, composed (with the reason) on wgpu.
    if crate::IS_WGPU {
        assert_eq!(summary["engine"], "composed", "{summary}");
        assert_eq!(summary["reason"]["why"], "backend", "{summary}");
    } else {
        assert_eq!(summary["engine"], "fused", "{summary}");
        assert!(summary.get("reason").is_none(), "{summary}");
    }
    std::fs::remove_dir_all(&out).ok();
}

/// Case b as files: spike steps identical to BrainPy for every current (float64, the chaotic
/// neuron at dt = 0.05, I = 2 included); float32: spike counts identical and every spike within
/// [`crate::conductance::F32_CASE_B_SHIFT`] steps of BrainPy's float32 step.
#[test]
fn file_case_b_matches_the_oracle() {
    if crate::backends().is_empty() {
        return;
    }
    let b = oracle_json(&oracle_name(PRECISION, "b_wb_fI.json"));
    for (file, run) in [
        ("b_wb_fI_dt0p05.toml", "dt=0.05"),
        ("b_wb_fI_dt0p01.toml", "dt=0.01"),
    ] {
        let out = scratch("b");
        run_file(&network(file), &out, &opts()).unwrap();
        let spikes = read_spikes(&out.join("spikes.csv"));
        let mut worst_shift = 0;
        for (j, neuron) in b["runs"][run]["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let got: Vec<u64> = spikes.iter().filter(|s| s.2 == j).map(|s| s.0).collect();
            let want: Vec<u64> = neuron["spike_steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            let current = neuron["I"].as_f64().unwrap();
            match PRECISION {
                // The runner takes the fused path, whose float64 WB step is BrainPy's
                // operation order: every spike step, the chaotic I = 2 at dt = 0.05 included.
                Precision::F64 => {
                    assert_eq!(got, want, "{file} neuron {j} (I = {current}): spike steps")
                }
                Precision::F32 => {
                    let got: Vec<usize> = got.iter().map(|&k| k as usize).collect();
                    let want: Vec<usize> = want.iter().map(|&k| k as usize).collect();
                    let shift = assert_spike_shift(
                        &format!("{file} neuron {j} (I = {current})"),
                        &got,
                        &want,
                        crate::conductance::F32_CASE_B_SHIFT,
                    );
                    worst_shift = worst_shift.max(shift);
                }
            }
        }
        println!(
            "file case b {run}: {} spikes, all spike {}",
            spikes.len(),
            if PRECISION == Precision::F64 {
                "steps identical".to_string()
            } else {
                format!("counts identical, steps within {worst_shift} of BrainPy float32's")
            }
        );
        std::fs::remove_dir_all(&out).ok();
    }
}

/// Case c as files: spike steps identical (float64), V every 0.1 ms within 1e-6 relative.
#[test]
fn file_case_c_matches_the_oracle() {
    if crate::backends().is_empty() || PRECISION != Precision::F64 {
        return; // float32 case c is covered by the library tests (one BrainPy f32/f64 shift)
    }
    let c = oracle_json("c_condneugroup_hh.json");
    for variant in ["version_defaults", "classic_HH"] {
        let out = scratch("c");
        run_file(&network(&format!("c_hh_{variant}.toml")), &out, &opts()).unwrap();
        let spikes = read_spikes(&out.join("spikes.csv"));
        let want = &c["variants"][variant];
        let (th, trows) = oracle_csv(&format!("c_hh_{variant}_trace.csv"));
        let (_, mrows) = read_monitor(&out.join("monitors").join("hh.V.csv"));
        for j in 0..3 {
            let got: Vec<u64> = spikes.iter().filter(|s| s.2 == j).map(|s| s.0).collect();
            let steps = want["neurons"][j]["spike_steps"]
                .as_array()
                .unwrap_or_else(|| panic!("{variant}: no spike steps"));
            let steps: Vec<u64> = steps.iter().map(|x| x.as_u64().unwrap()).collect();
            assert_eq!(got, steps, "{variant} neuron {j}: spike steps");
            let wv = column(&th, &trows, &th[1 + j]);
            let gv: Vec<f64> = mrows.iter().map(|r| r[2 + j]).take(wv.len()).collect();
            let (d, _) = max_rel_diff(&gv, &wv, 1.0);
            assert!(d <= 1e-6, "{variant} V{j}: max rel err {d:e}");
            println!(
                "file case c {variant} neuron {j}: spike steps identical, V max rel err {d:e}"
            );
        }
        std::fs::remove_dir_all(&out).ok();
    }
}

/// Runs the compiled command; returns (exit code, stderr).
fn brainburn(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_brainburn"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Each bad file: exit status 2, one message naming the field (and its line), nothing in DIR.
#[test]
fn bad_files_exit_2_name_the_field_and_write_nothing() {
    if PRECISION != Precision::F32 {
        return; // the command is process-level; one precision is enough
    }
    let good = "dt = 0.1\nduration = 1\n\n[[groups]]\nname = \"E\"\nmodel = \"LIF\"\nsize = 3\n";
    let cases: Vec<(&str, String, &str, Option<usize>)> = vec![
        ("malformed", "dt = 0.1\nduration = \n".into(), "", Some(2)),
        (
            "unknown model",
            good.replace("\"LIF\"", "\"LIFF\""),
            "model",
            Some(6),
        ),
        (
            "unknown parameter",
            format!("{good}tua = 3.0\n"),
            "tua",
            Some(8),
        ),
        (
            "list length",
            format!("{good}tau = [1.0, 2.0]\n"),
            "tau",
            Some(8),
        ),
        (
            "negative dt",
            good.replace("dt = 0.1", "dt = -0.1"),
            "dt",
            Some(1),
        ),
        (
            "unknown top key",
            format!("dtt = 1\n{good}"),
            "dtt",
            Some(1),
        ),
        (
            "monitor key",
            format!("{good}\n[[monitors]]\nkey = \"E.W\"\n"),
            "key",
            Some(10),
        ),
        (
            "input group",
            format!("{good}\n[[inputs]]\ngroup = \"X\"\nvalue = 1.0\n"),
            "group",
            Some(10),
        ),
        (
            "input length",
            format!("{good}input = [1.0, 2.0]\n"),
            "input",
            Some(8),
        ),
        (
            "synapse to a missing group",
            format!(
                "{good}\n[[synapses]]\nmodel = \"Exponential\"\npre = \"X\"\npost = \"E\"\nconn = {{ kind = \"all2all\" }}\n"
            ),
            "pre",
            Some(11),
        ),
        (
            "synapse unknown field",
            format!(
                "{good}\n[[synapses]]\nmodel = \"GABAa\"\npre = \"E\"\npost = \"E\"\nconn = {{ kind = \"all2all\" }}\ngmax = 1.0\n"
            ),
            "gmax",
            Some(14),
        ),
    ];
    for (what, text, field, line) in cases {
        let dir = scratch(&format!("bad-{}", what.replace(' ', "_")));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("net.toml");
        std::fs::write(&file, &text).unwrap();
        let out = dir.join("out");
        let (code, err) = brainburn(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(code, 2, "{what}: exit status (stderr: {err})");
        assert_eq!(err.lines().count(), 1, "{what}: one message: {err}");
        assert!(
            err.contains(field),
            "{what}: message names `{field}`: {err}"
        );
        if let Some(l) = line {
            assert!(
                err.contains(&format!("line {l}")),
                "{what}: message names line {l}: {err}"
            );
        }
        assert!(!out.exists(), "{what}: nothing written into DIR");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            1,
            "{what}: no staging left behind: {leftovers:?}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
    let (code, err) = brainburn(&["run", "/nonexistent/net.toml", "--out", "/tmp/x", "--quiet"]);
    assert_eq!(code, 2, "{err}");
    let (code, err) = brainburn(&[
        "run",
        network("a_leaky_integrator.toml").to_str().unwrap(),
        "--out",
        "/tmp/x",
        "--backend",
        "tpu",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("tpu"), "{err}");
}

/// Case d as files, all four variants, whole runs, as tightly as `synapses.rs`: float64 every
/// g and V within 1e-9 of the float64 files (BrainPy's transmitter windows, among them the
/// 11-step window at arrival step 71 of `delay2`); float32 the f32 files, g within 1e-6, V
/// within 2e-5 (≈ 5 ulp; both sides round each step).
#[test]
fn file_case_d_matches_the_oracle() {
    if crate::backends().is_empty() {
        return;
    }
    for comp in ["dense", "sparse"] {
        for delay in ["None", "2"] {
            let stem = format!("d_gabaa_{comp}_delay{delay}");
            let out = scratch(&stem);
            run_file(&network(&format!("{stem}.toml")), &out, &opts()).unwrap();
            let (_, g) = read_monitor(&out.join("monitors").join("syn.g.csv"));
            let (_, v) = read_monitor(&out.join("monitors").join("post.V.csv"));
            // (file, rows compared, g bar, V bar)
            let checks: Vec<(String, usize, f64, f64)> = match PRECISION {
                Precision::F64 => vec![(format!("{stem}.csv"), g.len(), 1e-9, 1e-9)],
                Precision::F32 => vec![(format!("f32/{stem}.csv"), g.len(), 1e-6, 2e-5)],
            };
            for (file, n, gbar, vbar) in checks {
                let (hdr, rows) = oracle_csv(&file);
                assert_eq!(g.len(), rows.len());
                let mut worst = (0.0f64, 0.0f64);
                for j in 0..2 {
                    let gj: Vec<f64> = g.iter().take(n).map(|r| r[2 + j]).collect();
                    let vj: Vec<f64> = v.iter().take(n).map(|r| r[2 + j]).collect();
                    let wg: Vec<f64> = column(&hdr, &rows, &format!("g{j}"))
                        .into_iter()
                        .take(n)
                        .collect();
                    let wv: Vec<f64> = column(&hdr, &rows, &format!("V{j}"))
                        .into_iter()
                        .take(n)
                        .collect();
                    worst.0 = worst.0.max(assert_close(
                        &format!("{stem} g{j} vs {file}"),
                        &gj,
                        &wg,
                        gbar,
                    ));
                    worst.1 = worst.1.max(assert_close(
                        &format!("{stem} V{j} vs {file}"),
                        &vj,
                        &wv,
                        vbar,
                    ));
                }
                println!(
                    "file case d {stem} vs {file} ({n} rows): max |err| g {:e}, V {:e}",
                    worst.0, worst.1
                );
            }
            std::fs::remove_dir_all(&out).ok();
        }
    }
}

/// `brainburn bench`: one row per (workload, backend) with positive timings and rates, a table
/// on stdout and the same rows as JSON.
#[test]
fn bench_prints_a_table_and_writes_json() {
    if PRECISION != Precision::F32 {
        return;
    }
    let dir = scratch("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("bench.json");
    // Every CPU backend compiled in (flex; flex and ndarray with `--features ndarray`).
    let backends: Vec<String> = cpu_backends().iter().map(|b| b.to_string()).collect();
    let rows_expected = 3 * backends.len();
    let o = Command::new(env!("CARGO_BIN_EXE_brainburn"))
        .args(["bench", "--workloads", "wb100,coba,lif_train", "--backend"])
        .arg(backends.join(","))
        .args(["--ms", "2", "--lif-n", "32"])
        .args(["--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout.lines().count(),
        1 + rows_expected,
        "header + {rows_expected} rows:\n{stdout}"
    );
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), rows_expected);
    for r in rows {
        assert!(
            r["run_s"].as_f64().unwrap() > 0.0
                && r["process_s"].as_f64().unwrap() >= r["run_s"].as_f64().unwrap(),
            "{r}"
        );
        assert!(
            r["steps"].as_u64().unwrap() > 0 && r["neurons"].as_u64().unwrap() > 0,
            "{r}"
        );
    }
    let row = |w: &str| {
        rows.iter()
            .find(|r| r["workload"] == w)
            .unwrap_or_else(|| panic!("no {w} row"))
    };
    assert_eq!(row("wb100")["steps"], 200, "wb100: 2 ms at dt 0.01");
    assert_eq!(row("coba")["neurons"], 4000, "coba: 3200 + 800");
    let (code, err) = brainburn(&["bench", "--workloads", "wb7"]);
    assert_eq!(code, 2);
    assert!(err.contains("wb7"), "{err}");
    // The training step's T and B and the untimed warm-up reach the worker.
    let o = Command::new(env!("CARGO_BIN_EXE_brainburn"))
        .args([
            "bench",
            "--workloads",
            "lif_train,wb100",
            "--backend",
            "flex",
        ])
        .args(["--ms", "1", "--lif-n", "8", "--lif-t", "3", "--lif-b", "2"])
        .args(["--warmup", "2", "--json", json.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows[0]["workload"], "lif_train (N=8, T=3, B=2)", "{rows}");
    assert_eq!(rows[0]["steps"], 3, "{rows}");
    assert_eq!(
        rows[1]["steps"], 100,
        "wb100 times 1 ms after its warm-up: {rows}"
    );
    let (code, err) = brainburn(&["bench", "--workloads", "lif_train", "--lif-t", "0"]);
    assert_ne!(code, 0);
    assert!(err.contains("lif-t") || err.contains("T = 0"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Beyond the shared oracle: BrainPy 2.4.6's float64 spike steps for models with non-default
/// parameters, other currents and other time steps (`tests/data/oracle_extra/`, produced by
/// `tools/oracle_extra/gen.py` with the real BrainPy): Wang–Buzsáki (8 parameters changed, 25
/// currents, dt 0.01/0.05/0.1), CondNeuGroup with HH1952 channels of other E/g_max and with the
/// TM1991 channels (21 currents, dt 0.01/0.05), the classic HH (31 currents) and LIF with
/// refractoriness and R ≠ 1 (41 currents, dt 0.1/0.025). Each file runs through the command;
/// every spike step must be BrainPy's. float64 only (the file holds float64 runs).
#[test]
fn extra_oracle_spike_steps() {
    if crate::backends().is_empty() || PRECISION != Precision::F64 {
        return;
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oracle_extra/spike_steps_f64.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for case in json["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let out = scratch(&format!("extra-{name}"));
        std::fs::create_dir_all(&out).unwrap();
        let file = out.with_extension("toml");
        std::fs::write(&file, case["network"].as_str().unwrap()).unwrap();
        run_file(&file, &out, &opts()).unwrap();
        let spikes = read_spikes(&out.join("spikes.csv"));
        let want = case["spike_steps"].as_array().unwrap();
        let mut total = 0;
        for (j, w) in want.iter().enumerate() {
            let w: Vec<u64> = w
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            let got: Vec<u64> = spikes.iter().filter(|s| s.2 == j).map(|s| s.0).collect();
            assert_eq!(got, w, "{name} neuron {j}: spike steps");
            total += w.len();
        }
        println!(
            "extra oracle {name}: all {total} spike steps of {} neurons identical",
            want.len()
        );
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// A run that goes non-finite (classic HH with `euler`, dt = 0.1, input 500) fails with exit
/// status 2 naming step, group, state and neuron, and publishes nothing (an earlier output in
/// DIR stays as it was); `--no-check-finite` lets it finish (exit 0, NaN in the monitor).
#[test]
fn a_non_finite_run_fails_with_exit_2_and_publishes_nothing() {
    if PRECISION != Precision::F32 {
        return; // the command is process-level; one precision is enough
    }
    let dir = scratch("nonfinite");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("net.toml");
    std::fs::write(
        &file,
        "dt = 0.1\nduration = 20\n\n[[groups]]\nname = \"hh\"\nmodel = \"HH\"\nsize = 2\n\
         method = \"euler\"\nV_initializer = { kind = \"constant\", value = -65.0 }\n\
         input = [0.0, 500.0]\n\n[[monitors]]\nkey = \"hh.V\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("earlier.txt"), "an earlier run").unwrap();
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "run".to_string(),
            file.to_str().unwrap().to_string(),
            "--out".into(),
            out.to_str().unwrap().to_string(),
            "--quiet".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = args(&[]);
    let (code, err) = brainburn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2, "{err}");
    for part in ["non-finite", "`hh.", "index 1", "after step", "euler"] {
        assert!(err.contains(part), "`{part}` missing: {err}");
    }
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["earlier.txt"], "nothing published");
    let siblings = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(siblings, 2, "net.toml and out only: no staging left");

    let a = args(&["--no-check-finite"]);
    let (code, err) = brainburn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    assert!(!out.join("earlier.txt").exists(), "DIR replaced as a whole");
    let (_, rows) = read_monitor(&out.join("monitors").join("hh.V.csv"));
    assert!(
        rows.iter().any(|r| r[3].is_nan()),
        "the unchecked run holds NaN"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A second run into the same DIR replaces it as a whole: the first run's monitor files do not
/// survive beside the new `summary.json`; `--out` naming a file, or a name too long for the
/// file system, is refused (exit 2) before anything is simulated.
#[test]
fn out_dir_is_replaced_as_a_whole_and_checked_up_front() {
    if PRECISION != Precision::F32 {
        return;
    }
    let dir = scratch("outdir");
    std::fs::create_dir_all(&dir).unwrap();
    let with_monitor = dir.join("a.toml");
    let base = "dt = 0.1\nduration = 5\n\n[[groups]]\nname = \"E\"\nmodel = \"LIF\"\nsize = 3\ninput = 30.0\n";
    std::fs::write(
        &with_monitor,
        format!("{base}\n[[monitors]]\nkey = \"E.V\"\n"),
    )
    .unwrap();
    let without = dir.join("b.toml");
    std::fs::write(&without, base).unwrap();
    let out = dir.join("out");
    let run = |net: &Path, out: &Path| {
        brainburn(&[
            "run",
            net.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
    };
    let (code, err) = run(&with_monitor, &out);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("monitors").join("E.V.csv").exists());
    assert!(out.join("E.V.png").exists());
    let (code, err) = run(&without, &out);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("summary.json").exists());
    assert!(
        !out.join("monitors").join("E.V.csv").exists(),
        "old monitor gone"
    );
    assert!(!out.join("E.V.png").exists(), "old plot gone");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 3, "a.toml, b.toml, out: {names:?}");

    // A long run: the refusals must come before it is simulated.
    let long = dir.join("long.toml");
    std::fs::write(&long, base.replace("duration = 5", "duration = 1e9")).unwrap();
    let file = dir.join("a_file");
    std::fs::write(&file, "x").unwrap();
    let t0 = std::time::Instant::now();
    let (code, err) = run(&long, &file);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--out") && err.contains("not a directory"),
        "{err}"
    );
    let (code, err) = run(&long, &dir.join("n".repeat(300)));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out") && err.contains("255"), "{err}");
    let (code, err) = run(&long, &file.join("sub"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out"), "{err}");
    assert!(t0.elapsed().as_secs() < 60, "refused up front");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    std::fs::remove_dir_all(&dir).ok();
}
