//! A table of bad and borderline network files run through the command: each must exit with
//! status 2 (never a panic, never exit 0), name the offending key path in its one-line message,
//! and leave nothing behind (no DIR, no staging directory). Each case mutates one line of a
//! valid file (which itself runs) or appends a table.

use std::path::PathBuf;
use std::process::Command;

use brainburn::prelude::*;

use crate::PRECISION;

/// A valid file with one of everything (runs with exit 0).
const BASE: &str = r#"dt = 0.1
duration = 5
seed = 1

[[groups]]
name = "E"
model = "LIF"
size = 4
tau = 10.0
tau_ref = 2.0
V_th = 20.0
V_rest = 0.0
input = 25.0

[[groups]]
name = "wb"
model = "WangBuzsakiModel"
size = 3
phi = 5.0
gNa = 35.0
V_initializer = { kind = "normal", mean = -70.0, std = 20.0 }

[[groups]]
name = "hh"
model = "CondNeuGroup"
size = 2
C = 1.0
A = 1e-3
V_initializer = { kind = "constant", value = -65.0 }
channels = [
  { name = "INa", model = "INa_HH1952" },
  { name = "IK", model = "IK_HH1952", g_max = 36.0 },
  { name = "IL", model = "IL", g_max = 0.03 },
]

[[synapses]]
name = "syn"
model = "GABAa"
pre = "E"
post = "wb"
conn = { kind = "fixed_prob", prob = 0.5 }
alpha = 0.53
beta = 0.18
g_max = 0.04
delay_step = 2

[[synapses]]
name = "ex"
model = "Exponential"
pre = "E"
post = "hh"
conn = { kind = "all2all" }
tau = 5.0

[[inputs]]
group = "wb"
value = [1.0, 2.0, 3.0]
start = 1.0

[[monitors]]
key = "E.V"
every = 2
"#;

/// One case: a label, the mutation (replace the line containing `from` by `to`, or append
/// `to` when `from` is empty), and the key path the message must name.
struct Case {
    what: String,
    from: &'static str,
    to: String,
    field: String,
}

fn case(what: impl Into<String>, from: &'static str, to: impl Into<String>, field: &str) -> Case {
    Case {
        what: what.into(),
        from,
        to: to.into(),
        field: field.to_string(),
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    // Top level.
    for bad in [
        "0", "-0.1", "nan", "inf", "-inf", "10", "1e-300", "\"0.1\"", "true",
    ] {
        v.push(case(
            format!("dt = {bad}"),
            "dt = 0.1",
            format!("dt = {bad}"),
            "dt",
        ));
    }
    for bad in ["-1", "nan", "inf", "1e12", "\"5\"", "[5]"] {
        v.push(case(
            format!("duration = {bad}"),
            "duration = 5",
            format!("duration = {bad}"),
            "duration",
        ));
    }
    for bad in ["-1", "1.5", "\"x\""] {
        v.push(case(
            format!("seed = {bad}"),
            "seed = 1",
            format!("seed = {bad}"),
            "seed",
        ));
    }
    v.push(case(
        "precision",
        "seed = 1",
        "seed = 1\nprecision = \"f16\"",
        "precision",
    ));
    v.push(case(
        "method",
        "seed = 1",
        "seed = 1\nmethod = \"rk45\"",
        "method",
    ));
    v.push(case(
        "unknown top key",
        "seed = 1",
        "seed = 1\ndtt = 1",
        "dtt",
    ));
    // Parameters with a domain, each with every kind of bad value.
    let params: [(&str, &str, &str, &[&str]); 8] = [
        (
            "tau = 10.0",
            "tau",
            "groups.E.tau",
            &["0.0", "-1.0", "-1e-9"],
        ),
        (
            "tau_ref = 2.0",
            "tau_ref",
            "groups.E.tau_ref",
            &["-1.0", "-0.5"],
        ),
        ("phi = 5.0", "phi", "groups.wb.phi", &["-1.0", "-5.0"]),
        ("gNa = 35.0", "gNa", "groups.wb.gNa", &["-1.0"]),
        ("C = 1.0", "C", "groups.hh.C", &["0.0", "-1.0"]),
        ("A = 1e-3", "A", "groups.hh.A", &["0.0", "-1e-3"]),
        (
            "alpha = 0.53",
            "alpha",
            "synapses.syn.alpha",
            &["-0.53", "-1.0"],
        ),
        (
            "beta = 0.18",
            "beta",
            "synapses.syn.beta",
            &["-0.18", "-1.0"],
        ),
    ];
    for (from, key, field, domain_bad) in params {
        let common = ["nan", "inf", "-inf", "1e39", "-1e300", "\"1\"", "true"];
        for bad in domain_bad.iter().chain(common.iter()) {
            v.push(case(
                format!("{field} = {bad}"),
                from,
                format!("{key} = {bad}"),
                field,
            ));
        }
        v.push(case(
            format!("{field} as a table with a bad value"),
            from,
            format!("{key} = {{ value = -1.0 }}"),
            field,
        ));
    }
    for (from, key, field) in [
        ("tau = 5.0", "tau", "synapses.ex.tau"),
        ("g_max = 0.04", "g_max", "synapses.syn.g_max"),
    ] {
        for bad in ["-1.0", "nan", "inf", "1e39"] {
            v.push(case(
                format!("{field} = {bad}"),
                from,
                format!("{key} = {bad}"),
                field,
            ));
        }
    }
    v.push(case(
        "tau list length",
        "tau = 10.0",
        "tau = [1.0, 2.0]",
        "groups.E.tau",
    ));
    v.push(case(
        "tau list nan",
        "tau = 10.0",
        "tau = [1.0, 2.0, nan, 4.0]",
        "groups.E.tau",
    ));
    v.push(case(
        "tau initializer below 0",
        "tau = 10.0",
        "tau = { kind = \"uniform\", min = -1.0, max = 1.0 }",
        "groups.E.tau",
    ));
    v.push(case(
        "V_rest overflows float32",
        "V_rest = 0.0",
        "V_rest = -1e300",
        "groups.E.V_rest",
    ));
    v.push(case(
        "V_th nan",
        "V_th = 20.0",
        "V_th = nan",
        "groups.E.V_th",
    ));
    v.push(case(
        "noise < 0",
        "V_rest = 0.0",
        "V_rest = 0.0\nnoise = -1.0",
        "groups.E.noise",
    ));
    v.push(case(
        "noise nan",
        "V_rest = 0.0",
        "V_rest = 0.0\nnoise = nan",
        "groups.E.noise",
    ));
    // Sizes (the huge ones are refused by the memory estimate, before allocating).
    for bad in [
        "0",
        "-1",
        "1.5",
        "\"4\"",
        "[4, 0]",
        "[]",
        "9223372036854775807",
        "10000000000",
        "[100000, 100000]",
    ] {
        v.push(case(
            format!("size = {bad}"),
            "size = 4",
            format!("size = {bad}"),
            "groups.E.size",
        ));
    }
    // Group inputs.
    for bad in [
        "nan",
        "inf",
        "[1.0, 2.0]",
        "\"x\"",
        "[1.0, nan, 1.0, 1.0]",
        "1e39",
    ] {
        // A bad element is named with its index.
        let field = if bad.starts_with("[1.0, nan") {
            "groups.E.input[1]"
        } else {
            "groups.E.input"
        };
        v.push(case(
            format!("input = {bad}"),
            "input = 25.0",
            format!("input = {bad}"),
            field,
        ));
    }
    // Group keys.
    v.push(case(
        "unknown model",
        "model = \"LIF\"",
        "model = \"LIFF\"",
        "groups.E.model",
    ));
    v.push(case(
        "unknown parameter",
        "V_rest = 0.0",
        "tua = 3.0",
        "groups.E.tua",
    ));
    v.push(case(
        "group method",
        "V_rest = 0.0",
        "method = \"rk45\"",
        "groups.E.method",
    ));
    v.push(case(
        "keep_size type",
        "V_rest = 0.0",
        "keep_size = 1",
        "groups.E.keep_size",
    ));
    v.push(case(
        "duplicate group name",
        "name = \"wb\"",
        "name = \"E\"",
        "name",
    ));
    v.push(case("name type", "name = \"wb\"", "name = 3", "name"));
    v.push(case(
        "missing model",
        "model = \"WangBuzsakiModel\"",
        "",
        "model",
    ));
    v.push(case("missing size", "size = 3", "", "size"));
    // Unknown keys inside nested tables.
    v.push(case(
        "parameter table junk",
        "tau = 10.0",
        "tau = { value = 10.0, junk = 1 }",
        "groups.E.tau",
    ));
    v.push(case(
        "initializer misspelt key",
        "V_initializer = { kind = \"normal\"",
        "V_initializer = { kind = \"normal\", mean = -70.0, sdt = 20.0 }",
        "groups.wb.V_initializer.sdt",
    ));
    v.push(case(
        "surrogate misspelt key",
        "V_rest = 0.0",
        "surrogate = { kind = \"Sigmoid\", alpha = 4.0, alph = 4.0 }",
        "groups.E.surrogate.alph",
    ));
    v.push(case(
        "surrogate unknown kind",
        "V_rest = 0.0",
        "surrogate = { kind = \"Sigmiod\", alpha = 4.0 }",
        "groups.E.surrogate",
    ));
    // Initializers.
    for (to, what) in [
        ("{ kind = \"constant\", value = nan }", "constant nan"),
        ("{ kind = \"constnt\", value = 1.0 }", "unknown kind"),
        (
            "{ kind = \"normal\", mean = -70.0, std = -1.0 }",
            "negative std",
        ),
        ("{ kind = \"normal\", mean = -70.0, std = nan }", "nan std"),
        ("{ kind = \"uniform\", min = 1.0, max = 0.0 }", "min > max"),
        ("{ kind = \"uniform\", min = nan, max = 0.0 }", "nan min"),
        ("{ kind = \"values\", values = [1.0] }", "values length"),
        ("3.0", "not a table"),
    ] {
        v.push(case(
            format!("V_initializer {what}"),
            "V_initializer = { kind = \"normal\"",
            format!("V_initializer = {to}"),
            "groups.wb.V_initializer",
        ));
    }
    // Channels.
    for (to, field) in [
        (
            "  { name = \"IK\", model = \"IK_HH1952\", g_max = -36.0 },",
            "g_max",
        ),
        (
            "  { name = \"IK\", model = \"IK_HH1952\", g_max = nan },",
            "g_max",
        ),
        (
            "  { name = \"IK\", model = \"IK_HH1952\", phi = -1.0 },",
            "phi",
        ),
        (
            "  { name = \"IK\", model = \"IK_HH1952\", g_max = 1e39 },",
            "g_max",
        ),
        ("  { name = \"IK\", model = \"IK_HH2000\" },", "model"),
        (
            "  { name = \"IK\", model = \"IK_HH1952\", gmax = 36.0 },",
            "gmax",
        ),
        ("  { name = \"IK\" },", "model"),
        ("  { name = \"INa\", model = \"IK_HH1952\" },", "INa"),
    ] {
        let field = if field == "INa" {
            field.to_string() // a duplicate channel name
        } else {
            format!("groups.hh.channels[1].{field}")
        };
        v.push(case(format!("channel {to}"), "{ name = \"IK\"", to, &field));
    }
    // Synapses.
    for bad in ["1.5", "-0.1", "nan", "\"x\""] {
        v.push(case(
            format!("conn prob = {bad}"),
            "conn = { kind = \"fixed_prob\"",
            format!("conn = {{ kind = \"fixed_prob\", prob = {bad} }}"),
            "synapses.syn.conn.prob",
        ));
    }
    for (to, what) in [
        ("conn = { kind = \"fixed\" }", "unknown kind"),
        (
            "conn = { kind = \"fixed_prob\", prob = 0.5, junk = 1 }",
            "junk",
        ),
        ("conn = { kind = \"one2one\" }", "one2one sizes"),
        (
            "conn = { kind = \"ij\", pre = [0, 9], post = [0, 1] }",
            "ij index",
        ),
        (
            "conn = { kind = \"ij\", pre = [0], post = [0, 1] }",
            "ij lengths",
        ),
        (
            "conn = { kind = \"matrix\", mask = [[true]] }",
            "matrix shape",
        ),
        (
            "conn = { kind = \"csr\", indices = [0], indptr = [0, 1] }",
            "csr indptr",
        ),
        ("conn = 3", "conn type"),
    ] {
        let field = if what == "junk" {
            "synapses.syn.conn.junk"
        } else {
            "synapses.syn.conn"
        };
        v.push(case(
            format!("conn {what}"),
            "conn = { kind = \"fixed_prob\"",
            to,
            field,
        ));
    }
    v.push(case(
        "conn missing",
        "conn = { kind = \"fixed_prob\"",
        "",
        "synapses.syn.conn",
    ));
    for bad in ["-1", "1.5", "[1, 2]", "1000000000", "\"2\""] {
        v.push(case(
            format!("delay_step = {bad}"),
            "delay_step = 2",
            format!("delay_step = {bad}"),
            "synapses.syn.delay_step",
        ));
    }
    for (from, to, field) in [
        ("pre = \"E\"", "pre = \"X\"", "pre"),
        ("post = \"wb\"", "post = \"X\"", "post"),
        ("model = \"GABAa\"", "model = \"GABA\"", "model"),
        ("beta = 0.18", "comp_method = \"csr\"", "comp_method"),
        ("beta = 0.18", "output = { kind = \"cobaa\" }", "output"),
        (
            "beta = 0.18",
            "output = { kind = \"coba\", E = nan }",
            "output.E",
        ),
        ("beta = 0.18", "gmax = 1.0", "gmax"),
        ("beta = 0.18", "T_duration = -1.0", "T_duration"),
        ("beta = 0.18", "T = -1.0", "T"),
        ("beta = 0.18", "stp = { kind = \"stp\", U = 2.0 }", "stp.U"),
        (
            "beta = 0.18",
            "stp = { kind = \"stp\", tau_f = -1.0 }",
            "stp.tau_f",
        ),
        (
            "beta = 0.18",
            "stp = { kind = \"std\", tau = 0.0 }",
            "stp.tau",
        ),
        ("beta = 0.18", "stp = { kind = \"sttp\" }", "stp"),
        ("tau = 5.0", "tau = 0.0", "synapses.ex.tau"),
        ("name = \"ex\"", "name = \"syn\"", "name"),
    ] {
        let field = if field.starts_with("synapses.") {
            field.to_string()
        } else {
            format!("synapses.syn.{field}")
        };
        v.push(case(format!("synapse {to}"), from, to, &field));
    }
    // Inputs.
    for (from, to, field) in [
        ("group = \"wb\"", "group = \"X\"", "inputs[0].group"),
        ("value = [1.0, 2.0, 3.0]", "value = nan", "inputs[0].value"),
        (
            "value = [1.0, 2.0, 3.0]",
            "value = [1.0, inf, 3.0]",
            "inputs[0].value[1]",
        ),
        (
            "value = [1.0, 2.0, 3.0]",
            "value = [1.0, 2.0]",
            "inputs[0].value",
        ),
        (
            "value = [1.0, 2.0, 3.0]",
            "value = \"x\"",
            "inputs[0].value",
        ),
        ("value = [1.0, 2.0, 3.0]", "value = 1e39", "inputs[0].value"),
        ("start = 1.0", "start = nan", "inputs[0]"),
        ("start = 1.0", "start = 10.0\nstop = 2.0", "inputs[0]"),
        ("start = 1.0", "strt = 1.0", "inputs[0].strt"),
        ("group = \"wb\"", "group = \"E\"\nvalue = 1.0", "value"),
    ] {
        v.push(case(format!("input {to}"), from, to, field));
    }
    // Monitors.
    for (to, field) in [
        ("key = \"E.W\"", "monitors[0].key"),
        ("key = \"X.V\"", "monitors[0].key"),
        ("key = \"EV\"", "monitors[0].key"),
        ("key = \"E.V\"\nindices = [99]", "monitors[0]"),
        ("key = \"E.V\"\nindices = [4.5]", "monitors[0].indices"),
        ("key = \"E.V\"\nindices = [-1]", "monitors[0].indices"),
        ("key = 3", "monitors[0].key"),
        ("key = \"E.V\"\njunk = 1", "monitors[0].junk"),
    ] {
        v.push(case(format!("monitor {to}"), "key = \"E.V\"", to, field));
    }
    for bad in ["0", "-2", "1.5", "\"2\""] {
        v.push(case(
            format!("monitor every = {bad}"),
            "every = 2",
            format!("every = {bad}"),
            "monitors[0].every",
        ));
    }
    v.push(case(
        "duplicate monitor",
        "",
        "\n[[monitors]]\nkey = \"E.V\"\n",
        "E.V",
    ));
    v
}

/// Cases still open (issue 17 items 1 and 5): refused with exit 2 but without the exact key
/// path. They are run and counted, must not crash, and are reported; a case that starts to
/// pass must be moved out of this list (the test fails until it is).
const OPEN: &[&str] = &[];

fn mutate(c: &Case) -> String {
    if c.from.is_empty() {
        return format!("{BASE}{}", c.to);
    }
    let mut done = false;
    let lines: Vec<String> = BASE
        .lines()
        .map(|l| {
            if !done && l.contains(c.from) {
                done = true;
                c.to.clone()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "{}: `{}` is not in the base file", c.what, c.from);
    lines.join("\n") + "\n"
}

fn brainburn(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_brainburn"))
        .args(args)
        .output()
        .expect("the brainburn binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn at_least_150_bad_files_exit_2_name_the_key_and_leave_nothing() {
    if PRECISION != Precision::F32 {
        return; // the command is process-level; one precision is enough
    }
    let root: PathBuf =
        std::env::temp_dir().join(format!("brainburn-badfiles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // The base file itself runs.
    let base = root.join("base.toml");
    std::fs::write(&base, BASE).unwrap();
    let out = root.join("base-out");
    let (code, err) = brainburn(&[
        "run",
        base.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "the base file runs: {err}");
    std::fs::remove_dir_all(&out).unwrap();

    let cases = cases();
    assert!(cases.len() >= 150, "{} cases", cases.len());
    let mut failures = Vec::new();
    let mut open_report = Vec::new();
    let (mut refused, mut unnamed, mut panicked, mut ran) = (0, 0, 0, 0);
    for (i, c) in cases.iter().enumerate() {
        let dir = root.join(format!("case{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("net.toml");
        std::fs::write(&file, mutate(c)).unwrap();
        let out = dir.join("out");
        let (code, err) = brainburn(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n != "net.toml")
            .collect();
        let named = err.contains(&c.field);
        match code {
            2 if named && err.lines().count() == 1 && left.is_empty() => refused += 1,
            2 => unnamed += 1,
            0 => ran += 1,
            _ => panicked += 1,
        }
        let rust_names = ["untagged enum", "ParamSpecRepr", "Repr", "::"];
        let leaks = rust_names.iter().find(|n| err.contains(*n));
        // Every refusal of a file's content points at a line.
        let lined = err.contains(", line ");
        let good = code == 2
            && named
            && lined
            && err.lines().count() == 1
            && left.is_empty()
            && leaks.is_none();
        let open = OPEN.contains(&c.what.as_str());
        if code != 0 && code != 2 {
            failures.push(format!(
                "{}: crashed with exit {code}: {}",
                c.what,
                err.trim()
            ));
        } else if open && good {
            failures.push(format!("{}: passes now; take it out of OPEN", c.what));
        } else if open {
            open_report.push(format!("{}: exit {code}: {}", c.what, err.trim()));
        } else if !good {
            failures.push(format!(
                "{} (`{}`): exit {code}, left {left:?}, want `{}`{}{}: {}",
                c.what,
                c.to.replace('\n', "\\n"),
                c.field,
                leaks.map(|l| format!(", leaks `{l}`")).unwrap_or_default(),
                if lined { "" } else { ", no line" },
                err.trim()
            ));
        }
    }
    eprintln!(
        "{} cases: {refused} refused naming the key, {unnamed} exit 2 without it (or with \
         leftovers), {ran} exit 0, {panicked} other exit (panic/abort)",
        cases.len()
    );
    eprintln!(
        "{} open cases:\n{}",
        open_report.len(),
        open_report.join("\n")
    );
    let passing = cases.len() - OPEN.len();
    assert!(passing >= 150, "{passing} cases pass");
    std::fs::remove_dir_all(&root).ok();
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
