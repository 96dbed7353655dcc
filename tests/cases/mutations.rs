//! A property test over the shipped network files (`examples/networks/*.toml`): any one
//! mutation of any key (a hostile number, a wrong type, the key removed, a list grown, a table
//! given an unknown key) run through `brainburn run` never panics or aborts and never exits 0
//! with a non-finite number in its output. Exit 2 (refused, or a run that diverged) must leave
//! no output directory behind.
//!
//! Each file's `duration` is first cut to at most 10 ms so a case takes well under a second;
//! the mutation may then set `duration` (or `dt`) to anything. Runs are capped at 1 GB by
//! `--max-memory` so a legal but huge mutation is refused instead of filling the machine.
//! The seed is fixed (20261203) for reproducible CI; `PROPTEST_RNG_SEED=N` explores others.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// One step of a key path inside a TOML document.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

/// What is done at the chosen key.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the value.
    Set(toml::Value),
    /// Remove the key (or list element).
    Remove,
    /// Append a copy of the element (lists) or an unknown key `zz_junk = 1` (tables).
    Grow,
}

fn hostile_values() -> Vec<toml::Value> {
    use toml::Value::{Array, Boolean, Float, Integer, String, Table};
    vec![
        Float(0.0),
        Float(-1.0),
        Float(0.5),
        Float(-1e300),
        Float(1e300),
        Float(1e39),
        Float(1e-300),
        Float(f64::NAN),
        Float(f64::INFINITY),
        Float(f64::NEG_INFINITY),
        Integer(0),
        Integer(-1),
        Integer(3),
        Integer(i64::MAX),
        String("x".into()),
        Boolean(true),
        Array(vec![]),
        Array(vec![Float(f64::NAN)]),
        Table(toml::Table::new()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => prop::sample::select(hostile_values()).prop_map(Mutation::Set),
        1 => Just(Mutation::Remove),
        1 => Just(Mutation::Grow),
    ]
}

/// Every key path in `v` (tables' keys and lists' elements, at every depth).
fn paths(v: &toml::Value, at: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    let children: Vec<(Seg, &toml::Value)> = match v {
        toml::Value::Table(t) => t.iter().map(|(k, x)| (Seg::Key(k.clone()), x)).collect(),
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| (Seg::Index(i), x))
            .collect(),
        _ => Vec::new(),
    };
    for (seg, x) in children {
        at.push(seg);
        out.push(at.clone());
        paths(x, at, out);
        at.pop();
    }
}

fn child<'v>(v: &'v mut toml::Value, seg: &Seg) -> Option<&'v mut toml::Value> {
    match (seg, v) {
        (Seg::Key(k), toml::Value::Table(t)) => t.get_mut(k),
        (Seg::Index(i), toml::Value::Array(a)) => a.get_mut(*i),
        _ => None,
    }
}

/// Applies `m` at `path` (which `paths` produced for `doc`).
fn apply(doc: &mut toml::Value, path: &[Seg], m: &Mutation) {
    let (last, parent_path) = path.split_last().expect("paths are never empty");
    let parent = parent_path
        .iter()
        .try_fold(doc, |v, s| child(v, s))
        .expect("the path exists");
    match (m, last, parent) {
        (Mutation::Set(x), seg, parent) => {
            *child(parent, seg).expect("the path exists") = x.clone();
        }
        (Mutation::Remove, Seg::Key(k), toml::Value::Table(t)) => {
            t.remove(k);
        }
        (Mutation::Remove, Seg::Index(i), toml::Value::Array(a)) => {
            a.remove(*i);
        }
        (Mutation::Grow, Seg::Index(i), toml::Value::Array(a)) => {
            let copy = a[*i].clone();
            a.push(copy);
        }
        (Mutation::Grow, Seg::Key(_), toml::Value::Table(t)) => {
            t.insert("zz_junk".into(), toml::Value::Integer(1));
        }
        _ => unreachable!("a key's parent is a table, an index's a list"),
    }
}

fn shipped_files() -> Vec<(String, toml::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/networks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/networks exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{} shipped network files", files.len());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a shipped file reads");
            let mut doc: toml::Value = toml::from_str(&text).expect("a shipped file parses");
            if let Some(d) = doc.get_mut("duration") {
                let ms = d.as_float().or(d.as_integer().map(|i| i as f64));
                *d = toml::Value::Float(ms.expect("duration is a number").min(10.0));
            }
            (p.file_name().unwrap().to_string_lossy().to_string(), doc)
        })
        .collect()
}

/// Runs `brainburn run FILE --out OUT` (killed after 120 s); returns the exit status (`None`
/// when killed by a signal) and stderr.
fn run(file: &Path, out: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brainburn"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--quiet", "--max-memory", "1G"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the brainburn binary starts");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting on brainburn") {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .expect("stderr is piped")
                .read_to_string(&mut err)
                .ok();
            return (status.code(), err);
        }
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().ok();
            child.wait().ok();
            return (None, "ran over 120 s (killed)".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A non-finite number in any CSV under `dir`: `(file, line, cell)`.
fn non_finite_cell(dir: &Path) -> Option<(PathBuf, usize, String)> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).ok()? {
            let p = e.ok()?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "csv") {
                let text = std::fs::read_to_string(&p).ok()?;
                for (n, line) in text.lines().enumerate() {
                    for cell in line.split(',') {
                        if cell.trim().parse::<f64>().is_ok_and(|x| !x.is_finite()) {
                            return Some((p, n + 1, cell.to_string()));
                        }
                    }
                }
            }
        }
    }
    None
}

#[test]
fn mutated_shipped_files_never_panic_and_never_write_nan() {
    let files = shipped_files();
    let root = std::env::temp_dir().join(format!("brainburn-mutations-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261203);
    let config = Config {
        cases: 96,
        failure_persistence: None,
        max_shrink_iters: 64,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let counter = std::cell::Cell::new(0usize);
    let outcomes = std::cell::RefCell::new([0usize; 2]);
    let strategy = (0..files.len(), any::<prop::sample::Index>(), mutation());
    let result = runner.run(&strategy, |(f, pick, m)| {
        let (name, doc) = &files[f];
        let mut all = Vec::new();
        paths(doc, &mut Vec::new(), &mut all);
        let path = &all[pick.index(all.len())];
        let mut mutated = doc.clone();
        apply(&mut mutated, path, &m);
        let what = format!("{name}: {m:?} at {path:?}");
        let Ok(text) = toml::to_string(&mutated) else {
            return Ok(()); // not expressible as TOML (e.g. a table after plain keys)
        };
        let k = counter.get();
        counter.set(k + 1);
        let dir = root.join(format!("case{k}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("net.toml");
        std::fs::write(&file, &text).unwrap();
        let out = dir.join("out");
        let (code, err) = run(&file, &out);
        let verdict = match code {
            Some(0) => match non_finite_cell(&out) {
                Some((p, line, cell)) => {
                    Err(format!("exit 0 with `{cell}` in {}:{line}", p.display()))
                }
                None => Ok(0),
            },
            Some(2) if err.contains("panicked") => Err(format!("exit 2 after a panic: {err}")),
            Some(2) if out.exists() => Err(format!("exit 2 but {} exists", out.display())),
            Some(2) => Ok(1),
            other => Err(format!("exit {other:?}: {}", err.trim())),
        };
        std::fs::remove_dir_all(&dir).ok();
        match verdict {
            Ok(i) => {
                outcomes.borrow_mut()[i] += 1;
                Ok(())
            }
            Err(why) => Err(TestCaseError::fail(format!("{what}: {why}"))),
        }
    });
    let [ran, refused] = *outcomes.borrow();
    eprintln!(
        "mutated shipped files (seed {seed}): {} runs, {ran} exit 0 with finite output, \
         {refused} exit 2",
        counter.get()
    );
    std::fs::remove_dir_all(&root).ok();
    if let Err(e) = result {
        panic!("{e}");
    }
}
