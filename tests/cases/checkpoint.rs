//! Checkpoints (issue 5, SPEC §6): state dicts with parameters and states under BrainPy keys
//! and shapes, file round trips, strict/lenient key lists, trainability from the target,
//! bit-identical continuation across backends (flex → every compiled backend, wgpu → flex), device
//! moves, and more than a hundred damaged files that must fail cleanly without touching the
//! target network.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::{IS_WGPU, PRECISION};
use brainburn::burn::store::burn_pack;
use brainburn::burn::tensor::{DType, Tensor, TensorData};
use brainburn::param::NParam;
use brainburn::prelude::*;
use brainburn::state_dict::{
    Entry, EntryKind, LoadOptions, MemberInfo, StateDict, StateDictExt, seal,
};

const DT: f64 = 0.5;

/// A scratch directory for this test (removed at the end of each test that uses it).
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "brainburn-ckpt-{}-{name}-{}",
        std::process::id(),
        PRECISION
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Poisson input (counter-based RNG: needs the step index) → LIF with refractoriness, noise
/// and frozen per-neuron parameters → a noisy leaky readout with per-neuron noise.
fn build(c: &Ctx, mode: Mode) -> Network {
    let mut net = Network::new(c, mode).unwrap();
    net.add(
        PoissonGroup::named(
            5,
            PoissonGroupConfig {
                freqs: vec![150.0],
                seed: 3,
            },
            Some("inp"),
            c,
            mode,
        )
        .unwrap(),
    )
    .unwrap();
    let lif = LifConfig {
        v_rest: vec![0.0, 0.5, 1.0, 1.5].into(),
        v_th: vec![10.0, 11.0, 12.0, 13.0].into(),
        tau_ref: 2.0.into(),
        noise: Some(0.5.into()),
        noise_seed: 11,
        v_initializer: Initializer::uniform(-2.0, 8.0, 5),
        ..Default::default()
    };
    net.add(Lif::named(4, lif, Some("lif"), c, mode).unwrap())
        .unwrap();
    let out = LeakyIntegratorConfig {
        tau: 4.0.into(),
        noise: Some(vec![0.1, 0.2, 0.3].into()),
        noise_seed: 2,
        ..Default::default()
    };
    net.add(LeakyIntegrator::named(3, out, Some("out"), c, mode).unwrap())
        .unwrap();
    net
}

/// One step: Poisson spikes and a time-dependent current into the LIF, LIF spikes into the
/// readout (all through host-exact operations).
fn drive(net: &mut Network, c: &Ctx) {
    let k = net.step_index() as f64;
    let rows = net.mode().rows();
    let w = c.tensor((0..20).map(|i| 2.0 + (i % 7) as f64).collect(), [5, 4]);
    let inp = net
        .group("inp")
        .unwrap()
        .spike()
        .unwrap()
        .to_float(c.dtype());
    let cur = c.full([1, 4], 14.0 + 4.0 * (0.3 * k).sin());
    net.add_input("lif", inp.matmul(w) + cur.expand([rows, 4]))
        .unwrap();
    let s = net
        .group("lif")
        .unwrap()
        .spike()
        .unwrap()
        .to_float(c.dtype());
    let w2 = c.tensor(
        (0..12).map(|i| 0.5 + 0.25 * (i % 5) as f64).collect(),
        [4, 3],
    );
    net.add_input("out", s.matmul(w2)).unwrap();
    net.step(DT).unwrap();
}

fn run(net: &mut Network, c: &Ctx, steps: usize) -> Vec<StateDict> {
    (0..steps)
        .map(|_| {
            drive(net, c);
            net.state_dict().unwrap()
        })
        .collect()
}

fn assert_same(what: &str, got: &StateDict, want: &StateDict) {
    assert!(
        got.bit_eq(want),
        "{what}: entries differ: {:?} (step {:?} vs {:?})",
        got.diff_keys(want),
        got.step_index,
        want.step_index
    );
}

fn shape(sd: &StateDict, key: &str) -> Vec<usize> {
    sd.get(key)
        .unwrap_or_else(|| panic!("no {key}"))
        .data
        .shape()
        .to_vec()
}

#[test]
fn state_dict_holds_params_and_states_in_brainpy_shapes() {
    let dir = scratch("shapes");
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        for mode in [Mode::NonBatching, Mode::Batching { batch_size: 3 }] {
            let mut net = build(&c, mode);
            run(&mut net, &c, 7);
            let sd = net.state_dict().unwrap();
            let want_keys = [
                "inp.spike",
                "lif.V_rest",
                "lif.V_reset",
                "lif.V_th",
                "lif.R",
                "lif.tau",
                "lif.tau_ref",
                "lif.noise",
                // A model's own states in declaration order, then `input` and `spike`.
                "lif.V",
                "lif.t_last_spike",
                "lif.input",
                "lif.spike",
                "out.V_rest",
                "out.R",
                "out.tau",
                "out.noise",
                "out.V",
                "out.input",
            ];
            assert_eq!(sd.keys(), want_keys, "{backend} {mode:?}");
            let b: Vec<usize> = mode.batch_size().into_iter().collect();
            let with_batch = |n: usize| [b.clone(), vec![n]].concat();
            assert_eq!(shape(&sd, "lif.V"), with_batch(4));
            assert_eq!(shape(&sd, "lif.t_last_spike"), with_batch(4));
            assert_eq!(shape(&sd, "inp.spike"), with_batch(5));
            assert_eq!(shape(&sd, "out.V"), with_batch(3));
            assert_eq!(shape(&sd, "lif.V_rest"), vec![4], "per-neuron: varshape");
            assert_eq!(shape(&sd, "out.noise"), vec![3]);
            assert_eq!(shape(&sd, "lif.tau"), Vec::<usize>::new(), "scalar: ()");
            assert_eq!(
                sd.get("lif.tau").unwrap().data.dtype(),
                DType::F64,
                "host constant"
            );
            assert_eq!(
                sd.get("lif.V").unwrap().data.dtype(),
                c.dtype(),
                "states in the model's precision"
            );
            assert!(matches!(
                sd.get("lif.spike").unwrap().data.dtype(),
                DType::Bool(_)
            ));
            assert_eq!(sd.get("lif.V").unwrap().kind, EntryKind::State);
            assert_eq!(sd.get("lif.V_th").unwrap().kind, EntryKind::Param);
            assert_eq!(sd.step_index, Some(7));
            // File round trip into a freshly built network (reset state, step 0).
            let path = dir.join(format!("{backend}-{}.bpk", b.len()));
            net.save(&path).unwrap();
            let mut fresh = build(&c, mode);
            let r = fresh.load(&path).unwrap();
            assert!(r.missing_keys.is_empty() && r.unexpected_keys.is_empty());
            assert_same(
                &format!("{backend} {mode:?} reload"),
                &fresh.state_dict().unwrap(),
                &sd,
            );
            assert_eq!(fresh.step_index(), 7);
            // In-memory bytes round trip.
            let again = StateDict::from_bytes(&sd.to_bytes().unwrap(), "memory").unwrap();
            assert_same("bytes", &again, &sd);
            assert_eq!(again.members.len(), 3);
            assert_eq!(again.precision, Some(PRECISION));
            assert_eq!(again.mode, Some(mode));
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Missing keys are the target's keys absent from the dict, in the target's order; unexpected
/// keys are the dict's keys absent from the target, in the dict's order (BrainPy 2.4.6 returns
/// them swapped). Strict loading refuses both, naming them.
#[test]
fn strict_and_lenient_loading_report_keys_the_right_way_round() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mode = Mode::Batching { batch_size: 2 };
        let mut src = build(&c, mode);
        run(&mut src, &c, 5);
        let mut sd = src.state_dict().unwrap();
        let v = sd.remove("lif.V").unwrap();
        let t = sd.remove("out.input").unwrap();
        sd.insert(Entry {
            key: "lif.bogus".into(),
            ..v.clone()
        })
        .unwrap();
        sd.insert(Entry {
            key: "aaa.first".into(),
            ..t
        })
        .unwrap();
        let mut target = build(&c, mode);
        let before = target.state_dict().unwrap();
        match target.load_state_dict(&sd) {
            Err(Error::KeyMismatch {
                missing,
                unexpected,
            }) => {
                assert_eq!(missing, vec!["lif.V", "out.input"]);
                assert_eq!(unexpected, vec!["lif.bogus", "aaa.first"]);
            }
            other => panic!("{backend}: strict load gave {other:?}"),
        }
        assert_same(
            "strict failure leaves the target",
            &target.state_dict().unwrap(),
            &before,
        );
        let r = target
            .load_state_dict_with(&sd, &LoadOptions::lenient())
            .unwrap();
        assert_eq!(r.missing_keys, vec!["lif.V", "out.input"]);
        assert_eq!(r.unexpected_keys, vec!["lif.bogus", "aaa.first"]);
        let now = target.state_dict().unwrap();
        // The matching keys were loaded, the missing ones kept.
        for e in now.entries() {
            let want = if r.missing_keys.contains(&e.key) {
                before.get(&e.key).unwrap()
            } else {
                sd.get(&e.key).unwrap()
            };
            assert!(e.bit_eq(want), "{backend}: {}", e.key);
        }
        assert_eq!(target.step_index(), 5);

        // A dict of a network with other members: strict names both member lists.
        let mut other = Network::new(&c, mode).unwrap();
        other
            .add(Lif::named(2, LifConfig::default(), Some("x"), &c, mode).unwrap())
            .unwrap();
        let e = target
            .load_state_dict(&other.state_dict().unwrap())
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, Error::OtherNetwork(_)) && msg.contains("\"x\"") && msg.contains("\"lif\""),
            "{msg}"
        );
        let r = target
            .load_state_dict_with(&other.state_dict().unwrap(), &LoadOptions::lenient())
            .unwrap();
        assert_eq!(
            r.unexpected_keys.first().map(String::as_str),
            Some("x.V_rest")
        );
        assert_eq!(r.missing_keys.len(), before.len());
    }
}

/// The target decides what is trainable: a trained scalar loads into a network with a constant
/// and the other way round; parameters keep their id; spikes saved outside Training need the
/// explicit conversion to load into a Training model.
#[test]
fn trainability_comes_from_the_target() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION).autodiff();
        let mode = Mode::Training { batch_size: 2 };
        let mk = |tau: ParamSpec, c: &Ctx, mode: Mode| {
            let mut n = Network::new(c, mode).unwrap();
            let cfg = LifConfig {
                tau,
                ..Default::default()
            };
            n.add(Lif::named(3, cfg, Some("lif"), c, mode).unwrap())
                .unwrap();
            n
        };
        let trained = mk(trainable(7.25), &c, mode);
        let mut constant = mk(12.0.into(), &c, mode);
        constant
            .load_state_dict(&trained.state_dict().unwrap())
            .unwrap();
        assert!(constant.train_vars().is_empty());
        let tau = constant
            .group("lif")
            .unwrap()
            .params()
            .get("tau")
            .as_const();
        assert_eq!(tau, Some(7.25));
        let mut trained2 = mk(trainable(1.0), &c, mode);
        let id = trained2.train_vars()[0].1.id;
        trained2
            .load_state_dict(&constant.state_dict().unwrap())
            .unwrap();
        let vars = trained2.train_vars();
        assert_eq!(vars.len(), 1);
        assert_eq!(vars[0].1.id, id, "the parameter keeps its identity");
        assert!(vars[0].1.val().is_require_grad());
        assert_eq!(
            brainburn::tensor_io::to_f64_vec(vars[0].1.val()).unwrap(),
            vec![7.25]
        );
        // Bool spikes (Batching) into float spikes (Training).
        let plain = ctx(backend, PRECISION);
        let batching = Mode::Batching { batch_size: 2 };
        let mut b = mk(12.0.into(), &plain, batching);
        b.add_input("lif", plain.full([2, 3], 400.0)).unwrap();
        b.step(1.0).unwrap();
        let sd = b.state_dict().unwrap();
        let e = constant.load_state_dict(&sd).unwrap_err();
        assert!(e.to_string().contains("lif.spike"), "{e}");
        constant
            .load_state_dict_with(&sd, &LoadOptions::default().with_dtype_conversion())
            .unwrap();
        let s = constant.group("lif").unwrap().spike().unwrap();
        assert!(matches!(s, Spikes::Float(_)));
        assert_eq!(
            brainburn::tensor_io::to_f64_vec(s.to_float(c.dtype())).unwrap(),
            vec![1.0; 6]
        );
    }
}

/// A network simulated on flex, saved, loaded on every target backend (the CPU backends in
/// the CPU binaries, wgpu in the wgpu binary) continues bit-identically to the uninterrupted
/// run on that backend; the same holds after `Module::to_device`. States compared bitwise
/// after every step, parameters and step index included.
#[test]
fn flex_checkpoint_continues_bit_identically_on_every_backend() {
    use brainburn::burn::module::Module;
    let dir = scratch("xbackend");
    let (n1, n2) = (20, 20);
    let mode = Mode::Batching { batch_size: 2 };
    let src_ctx = ctx(BackendKind::Flex, PRECISION);
    let mut src = build(&src_ctx, mode);
    let src_trace = run(&mut src.clone(), &src_ctx, n1 + n2);
    run(&mut src, &src_ctx, n1);
    let path = dir.join("flex.bpk");
    src.save(&path).unwrap();
    let saved = src.state_dict().unwrap();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut uninterrupted = build(&c, mode);
        let want = run(&mut uninterrupted, &c, n1 + n2);
        // The backends agree on the dynamics themselves (host-exact arithmetic only).
        for (k, (a, b)) in want.iter().zip(&src_trace).enumerate() {
            assert_same(&format!("{backend} vs flex, step {k}"), a, b);
        }
        let mut loaded = build(&c, mode);
        loaded.load(&path).unwrap();
        assert_same(
            &format!("flex file loaded on {backend}"),
            &loaded.state_dict().unwrap(),
            &saved,
        );
        let got = run(&mut loaded, &c, n2);
        for (k, (a, b)) in got.iter().zip(&want[n1..]).enumerate() {
            assert_same(&format!("{backend} continuation, step {}", n1 + k), a, b);
        }
        let mut moved = src.clone().to_device(&c.device);
        assert_eq!(moved.ctx().backend, backend);
        let got = run(&mut moved, &c, n2);
        for (k, (a, b)) in got.iter().zip(&want[n1..]).enumerate() {
            assert_same(
                &format!("flex → {backend} to_device, step {}", n1 + k),
                a,
                b,
            );
        }
        println!(
            "flex → {backend} {PRECISION}: checkpoint and to_device continue bit-identically over {n2} steps ({} entries per step)",
            saved.len()
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A file saved on wgpu loads on flex bit-exactly, and both continue identically.
#[test]
fn wgpu_checkpoint_loads_on_flex_bit_exactly() {
    if !IS_WGPU {
        return;
    }
    let dir = scratch("wgpu2flex");
    let mode = Mode::Batching { batch_size: 2 };
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut net = build(&c, mode);
        run(&mut net, &c, 15);
        let path = dir.join("wgpu.bpk");
        net.save(&path).unwrap();
        let saved = net.state_dict().unwrap();
        let flex = ctx(BackendKind::Flex, PRECISION);
        let mut on_flex = build(&flex, mode);
        on_flex.load(&path).unwrap();
        assert_same("wgpu file on flex", &on_flex.state_dict().unwrap(), &saved);
        let a = run(&mut net, &c, 10);
        let b = run(&mut on_flex, &flex, 10);
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_same(&format!("wgpu vs flex after loading, step {k}"), y, x);
        }
        println!("{backend} → flex {PRECISION}: bit-exact load, identical continuation");
    }
    std::fs::remove_dir_all(dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Damaged files

enum Input {
    Bytes(Vec<u8>),
    Path(PathBuf),
}

struct Case {
    name: String,
    input: Input,
    /// A piece of the error message that names the problem (lower case).
    expect: String,
}

fn case(name: impl Into<String>, input: Input, expect: &str) -> Case {
    Case {
        name: name.into(),
        input,
        expect: expect.to_lowercase(),
    }
}

/// A burnpack written by hand (valid checksum unless `sealed` is false).
fn raw_pack(
    tensors: Vec<(&str, DType, Vec<usize>, Vec<u8>)>,
    meta: &[(&str, &str)],
    sealed: bool,
) -> Vec<u8> {
    let ts = tensors
        .into_iter()
        .map(|(n, d, s, b)| {
            burn_pack::Tensor::new(
                n.to_string(),
                d,
                s,
                None,
                burn_pack::Bytes::from_bytes_vec(b),
            )
        })
        .collect();
    let mut w = burn_pack::Writer::new(ts);
    for (k, v) in meta {
        w = w.with_metadata(k, v);
    }
    let body = w.into_bytes().unwrap().to_vec();
    if sealed { seal(body) } else { body }
}

fn edited(sd: &StateDict, f: impl FnOnce(&mut StateDict)) -> Vec<u8> {
    let mut sd = sd.clone();
    f(&mut sd);
    sd.to_bytes().unwrap()
}

fn with_data(sd: &mut StateDict, key: &str, data: TensorData) {
    let e = sd.get_mut(key).unwrap();
    e.data = data;
}

fn damaged_cases(good: &[u8], sd: &StateDict, c: &Ctx, dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let len = good.len();
    // Truncations at many offsets (including the empty file and one byte short).
    let mut offsets: Vec<usize> = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 32, 64];
    offsets.extend((1..=30).map(|i| i * len / 31));
    offsets.extend([len - 9, len - 8, len - 7, len - 4, len - 1]);
    offsets.sort_unstable();
    offsets.dedup();
    for o in offsets {
        let expect = match o {
            0 => "empty",
            1..=7 => "too short",
            _ => "truncated",
        };
        cases.push(case(
            format!("truncated at {o}"),
            Input::Bytes(good[..o].to_vec()),
            expect,
        ));
    }
    // Single bit flips spread over the whole file, the first and last byte included.
    let flips = 64;
    for i in 0..flips {
        let pos = i * (len - 1) / (flips - 1);
        let mut b = good.to_vec();
        b[pos] ^= 1 << (i % 8);
        let expect = if pos >= len - 8 && pos < len - 4 {
            "trailer"
        } else {
            "checksum"
        };
        cases.push(case(
            format!("bit {} of byte {pos} flipped", i % 8),
            Input::Bytes(b),
            expect,
        ));
    }
    let f_dtype = c.dtype();
    let other_float = if f_dtype == DType::F32 {
        DType::F64
    } else {
        DType::F32
    };
    let vals = |n: usize| -> Vec<f64> { (0..n).map(|i| i as f64 * 0.5).collect() };
    let float = |dtype: DType, shape: Vec<usize>| {
        let n = shape.iter().product();
        TensorData::new(vals(n), shape).convert_dtype(dtype)
    };
    // Wrong shapes (checksums valid): the last state too, so that a partial load would show.
    for (key, shape) in [
        ("lif.V", vec![4]),
        ("lif.V", vec![2, 5]),
        ("lif.V_rest", vec![5]),
        ("lif.V_th", vec![2, 4]),
        ("out.noise", vec![]),
        ("lif.tau", vec![1]),
        ("inp.spike", vec![2, 4]),
        ("out.input", vec![3, 3]),
    ] {
        let dtype = sd.get(key).unwrap().data.dtype();
        let data = if matches!(dtype, DType::Bool(_)) {
            TensorData::new(vec![false; shape.iter().product()], shape.clone())
        } else {
            float(dtype, shape.clone())
        };
        let b = edited(sd, |s| with_data(s, key, data));
        cases.push(case(
            format!("{key} with shape {shape:?}"),
            Input::Bytes(b),
            &format!("shape mismatch for `{key}`"),
        ));
    }
    // Wrong dtypes.
    let bool_data = |shape: Vec<usize>| TensorData::new(vec![true; shape.iter().product()], shape);
    for (key, data) in [
        ("lif.V", float(other_float, vec![2, 4])),
        ("lif.V", bool_data(vec![2, 4])),
        ("lif.V", TensorData::new(vec![1i32; 8], [2, 4])),
        ("lif.spike", float(f_dtype, vec![2, 4])),
        ("lif.V_rest", float(other_float, vec![4])),
        ("out.input", TensorData::new(vec![1i64; 6], [2, 3])),
        ("lif.t_last_spike", TensorData::new(vec![3u8; 8], [2, 4])),
        ("lif.tau", TensorData::new(vec![10i32], Vec::<usize>::new())),
    ] {
        let what = format!("{key} as {:?}", data.dtype());
        let b = edited(sd, |s| with_data(s, key, data));
        cases.push(case(
            what,
            Input::Bytes(b),
            &format!("dtype mismatch for `{key}`"),
        ));
    }
    // Missing and extra keys (strict).
    for key in ["inp.spike", "lif.V", "lif.tau", "out.input"] {
        let b = edited(sd, |s| {
            s.remove(key);
        });
        cases.push(case(format!("missing {key}"), Input::Bytes(b), key));
    }
    for key in ["lif.extra", "zzz.V", "out.V2"] {
        let b = edited(sd, |s| {
            let e = s.get("out.V").unwrap().clone();
            s.insert(Entry {
                key: key.to_string(),
                ..e
            })
            .unwrap();
        });
        cases.push(case(format!("extra {key}"), Input::Bytes(b), key));
    }
    // A parameter stored as a state.
    let b = edited(sd, |s| {
        s.get_mut("lif.V_th").unwrap().kind = EntryKind::State
    });
    cases.push(case(
        "parameter saved as a state",
        Input::Bytes(b),
        "lif.V_th",
    ));
    // Member class mismatch and a file of another network.
    let b = edited(sd, |s| {
        s.members[1] = MemberInfo {
            name: "lif".into(),
            class: "LeakyIntegrator".into(),
        }
    });
    cases.push(case(
        "member of another class",
        Input::Bytes(b),
        "another network",
    ));
    let mode = sd.mode.unwrap();
    let mut other = Network::new(c, mode).unwrap();
    other
        .add(Lif::named(4, LifConfig::default(), Some("a"), c, mode).unwrap())
        .unwrap();
    other
        .add(
            LeakyIntegrator::named(3, LeakyIntegratorConfig::default(), Some("b"), c, mode)
                .unwrap(),
        )
        .unwrap();
    cases.push(case(
        "a file of another network",
        Input::Bytes(other.state_dict().unwrap().to_bytes().unwrap()),
        "another network",
    ));
    // A single group's checkpoint has no step index.
    let lif_only = Lif::named(4, LifConfig::default(), Some("lif"), c, mode).unwrap();
    cases.push(case(
        "a group checkpoint",
        Input::Bytes(lif_only.state_dict().unwrap().to_bytes().unwrap()),
        "step_index",
    ));
    // Hand-built containers with valid checksums.
    let meta_ok: Vec<(&str, &str)> = vec![
        ("format", "brainburn.state_dict"),
        ("format_version", "1"),
        ("brainburn_version", "0.1.0"),
        ("members", "[]"),
    ];
    let entries = r#"[{"key":"lif.spike","kind":"state"}]"#;
    let spike = |bytes: Vec<u8>| {
        vec![(
            "lif.spike",
            DType::Bool(brainburn::burn::tensor::BoolStore::Native),
            vec![2, 4],
            bytes,
        )]
    };
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        let mut m: Vec<(&str, &str)> = meta_ok.clone();
        m.extend_from_slice(extra);
        m
    };
    cases.push(case(
        "plain burnpack without trailer",
        Input::Bytes(raw_pack(
            spike(vec![0; 8]),
            &with(&[("entries", entries)]),
            false,
        )),
        "trailer",
    ));
    cases.push(case(
        "invalid boolean byte",
        Input::Bytes(raw_pack(
            spike(vec![0, 1, 2, 0, 0, 0, 0, 0]),
            &with(&[("entries", entries)]),
            true,
        )),
        "invalid boolean",
    ));
    let mut m = with(&[("entries", entries)]);
    m[0] = ("format", "something.else");
    cases.push(case(
        "another format",
        Input::Bytes(raw_pack(spike(vec![0; 8]), &m, true)),
        "not a brainburn state dict",
    ));
    let mut m = with(&[("entries", entries)]);
    m[1] = ("format_version", "99");
    cases.push(case(
        "a future format version",
        Input::Bytes(raw_pack(spike(vec![0; 8]), &m, true)),
        "format version 99",
    ));
    let mut m = with(&[("entries", entries)]);
    m.remove(0);
    cases.push(case(
        "no format metadata",
        Input::Bytes(raw_pack(spike(vec![0; 8]), &m, true)),
        "metadata `format`",
    ));
    cases.push(case(
        "key list names a missing tensor",
        Input::Bytes(raw_pack(
            spike(vec![0; 8]),
            &with(&[("entries", r#"[{"key":"lif.V","kind":"state"}]"#)]),
            true,
        )),
        "key list",
    ));
    cases.push(case(
        "corrupt key list",
        Input::Bytes(raw_pack(
            spike(vec![0; 8]),
            &with(&[("entries", "[{")]),
            true,
        )),
        "entries",
    ));
    cases.push(case(
        "bad step index",
        Input::Bytes(raw_pack(
            spike(vec![0; 8]),
            &with(&[("entries", entries), ("step_index", "-3")]),
            true,
        )),
        "step_index",
    ));
    cases.push(case(
        "bad precision",
        Input::Bytes(raw_pack(
            spike(vec![0; 8]),
            &with(&[("entries", entries), ("precision", "f16")]),
            true,
        )),
        "precision",
    ));
    cases.push(case(
        "garbage with a valid trailer",
        Input::Bytes(seal(b"this is not a burnpack container at all".to_vec())),
        "burnpack",
    ));
    cases.push(case(
        "only a trailer",
        Input::Bytes(seal(Vec::new())),
        "burnpack",
    ));
    cases.push(case(
        "text file",
        Input::Bytes(b"V = 1.0\n".to_vec()),
        "trailer",
    ));
    // Paths that are not files.
    cases.push(case(
        "a directory",
        Input::Path(dir.to_path_buf()),
        "directory",
    ));
    cases.push(case(
        "a missing file",
        Input::Path(dir.join("no-such-file.bpk")),
        "no-such-file.bpk",
    ));
    cases
}

/// More than a hundred damaged inputs: each is an error naming the problem, none panics, and
/// the target network is left exactly as it was (every parameter and state bitwise, parameter
/// ids, step index).
#[test]
fn damaged_files_fail_cleanly_and_leave_the_network_untouched() {
    let dir = scratch("damaged");
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mode = Mode::Batching { batch_size: 2 };
        let mut src = build(&c, mode);
        run(&mut src, &c, 9);
        let sd = src.state_dict().unwrap();
        let good = sd.to_bytes().unwrap();
        let mut target = build(&c, mode);
        run(&mut target, &c, 4);
        let before = target.state_dict().unwrap();
        let ids: Vec<_> = target
            .members()
            .iter()
            .flat_map(|m| {
                m.params()
                    .iter()
                    .filter_map(|(_, p)| match p {
                        NParam::Tensor(t) => Some(t.id),
                        NParam::Const(_) => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let cases = damaged_cases(&good, &sd, &c, &dir);
        let file = dir.join(format!("damaged-{backend}.bpk"));
        let (mut panics, mut tried) = (0, 0);
        for cs in &cases {
            let path = match &cs.input {
                Input::Bytes(b) => {
                    std::fs::write(&file, b).unwrap();
                    file.clone()
                }
                Input::Path(p) => p.clone(),
            };
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target.load(&path)));
            tried += 1;
            let err = match outcome {
                Err(_) => {
                    panics += 1;
                    eprintln!("{backend}: `{}` panicked", cs.name);
                    continue;
                }
                Ok(Ok(r)) => panic!("{backend}: `{}` loaded ({r:?})", cs.name),
                Ok(Err(e)) => e.to_string(),
            };
            assert!(
                err.to_lowercase().contains(&cs.expect),
                "{backend}: `{}`: error `{err}` does not mention `{}`",
                cs.name,
                cs.expect
            );
            assert_same(
                &format!("{backend}: target after `{}`", cs.name),
                &target.state_dict().unwrap(),
                &before,
            );
            assert_eq!(target.step_index(), 4);
            // StateDict::load alone never panics either.
            assert!(std::panic::catch_unwind(|| StateDict::load(&path)).is_ok());
        }
        let now: Vec<_> = target
            .members()
            .iter()
            .flat_map(|m| {
                m.params()
                    .iter()
                    .filter_map(|(_, p)| match p {
                        NParam::Tensor(t) => Some(t.id),
                        NParam::Const(_) => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(now, ids, "parameter identities unchanged");
        assert_eq!(
            panics, 0,
            "{backend}: {panics} of {tried} damaged inputs panicked"
        );
        assert!(tried >= 100, "only {tried} damaged inputs");
        // The good file still loads after all that.
        std::fs::write(&file, &good).unwrap();
        target.load(&file).unwrap();
        assert_same("good file", &target.state_dict().unwrap(), &sd);
        println!(
            "{backend} {PRECISION}: {tried} damaged inputs, all rejected with a named error, 0 panics, target untouched"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A `#[derive(Module)]`-style Burn module (here a network) round-trips through
/// `StateDict::from_module` / `load_into_module`; a wrong shape leaves it unchanged.
#[test]
fn burn_module_parameters_round_trip() {
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let layer = brainburn::burn::nn::LinearConfig::new(3, 2).init(&c.device);
        let sd = StateDict::from_module(&layer).unwrap();
        assert_eq!(sd.keys(), vec!["weight", "bias"]);
        let fresh = brainburn::burn::nn::LinearConfig::new(3, 2).init(&c.device);
        let bytes = sd.to_bytes().unwrap();
        let back = StateDict::from_bytes(&bytes, "mem").unwrap();
        let (loaded, r) = back
            .load_into_module(&fresh, &LoadOptions::default())
            .unwrap();
        assert!(r.missing_keys.is_empty() && r.unexpected_keys.is_empty());
        assert_same(
            "module round trip",
            &StateDict::from_module(&loaded).unwrap(),
            &sd,
        );
        let mut bad = back.clone();
        with_data(
            &mut bad,
            "bias",
            TensorData::new(vec![0.0f64; 3], [3]).convert_dtype(c.dtype()),
        );
        let e = bad
            .load_into_module(&fresh, &LoadOptions::default())
            .unwrap_err();
        assert!(e.to_string().contains("bias"), "{e}");
        let t: Tensor<2> = fresh.weight.val();
        assert_eq!(t.dims(), [3, 2]);
    }
}

/// Conductance-based neurons (WangBuzsakiModel with its h, n gates; CondNeuGroup with HH
/// channels, whose parameters and gates are keyed `name.channel.var`): saved mid-run, loaded
/// into a freshly built network, they continue bit-identically to the uninterrupted run.
#[test]
fn conductance_neurons_continue_bit_identically_after_loading() {
    use brainburn::channel::{Channel, IKHH1952, IL, INaHH1952};
    let dir = scratch("conductance");
    // lavapipe costs ~50 µs per op and a read-back per key and step: fewer steps there.
    let (n1, n2) = if IS_WGPU { (10, 8) } else { (60, 20) };
    let dt = 0.05;
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mode = Mode::Batching { batch_size: 2 };
        let mk = || {
            let mut net = Network::new(&c, mode).unwrap();
            let wb = WangBuzsakiConfig {
                v_initializer: Initializer::uniform(-70.0, -50.0, 4),
                ..Default::default()
            };
            net.add(WangBuzsakiModel::named(3, wb, Some("wb"), &c, mode).unwrap())
                .unwrap();
            let channels: Vec<(&str, Box<dyn Channel>)> = vec![
                ("INa", Box::new(INaHH1952::default())),
                ("IK", Box::new(IKHH1952::default())),
                ("IL", Box::new(IL::default())),
            ];
            net.add(
                CondNeuGroup::named(
                    2,
                    CondNeuGroupConfig::default(),
                    channels,
                    Some("hh"),
                    &c,
                    mode,
                )
                .unwrap(),
            )
            .unwrap();
            net
        };
        let step = |net: &mut Network| {
            net.add_input("wb", c.full([2, 3], 2.0)).unwrap();
            net.add_input("hh", c.full([2, 2], 10.0)).unwrap();
            net.step(dt).unwrap();
            net.state_dict().unwrap()
        };
        let mut full = mk();
        let want: Vec<StateDict> = (0..n1 + n2).map(|_| step(&mut full)).collect();
        let mut first = mk();
        for _ in 0..n1 {
            step(&mut first);
        }
        let path = dir.join(format!("cond-{backend}.bpk"));
        first.save(&path).unwrap();
        let sd = first.state_dict().unwrap();
        for key in ["wb.h", "wb.n", "wb.V", "hh.INa.g_max", "hh.V"] {
            assert!(
                sd.get(key).is_some(),
                "{backend}: no {key} in {:?}",
                sd.keys()
            );
        }
        assert!(
            sd.keys()
                .iter()
                .any(|k| k.starts_with("hh.INa.") && sd.get(k).unwrap().kind == EntryKind::State)
        );
        let mut loaded = mk();
        loaded.load(&path).unwrap();
        for (k, w) in want[n1..].iter().enumerate() {
            let got = step(&mut loaded);
            assert_same(
                &format!("{backend} conductance continuation step {}", n1 + k),
                &got,
                w,
            );
        }
        println!(
            "{backend} {PRECISION}: WB + CondNeuGroup(HH) checkpoint continues bit-identically ({} keys)",
            sd.len()
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A synapse with a delay: its conductance `g`, weights `g_max` and delay buffer
/// (`GABAa.delay_buffer`, shape `[L, batch, pre]`) are in the state dict; a checkpoint taken
/// mid-run (spikes in flight in the buffer) continues bit-identically, and a wrong buffer shape
/// is an error naming the key that leaves the network as it was.
#[test]
fn synapse_delay_buffers_checkpoint_and_continue() {
    let dir = scratch("synapse");
    let (n1, n2) = (15, 20);
    let delay = 5;
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mode = Mode::Batching { batch_size: 2 };
        let mk = || {
            let mut net = Network::new(&c, mode).unwrap();
            let pre = PoissonGroup::named(
                4,
                PoissonGroupConfig {
                    freqs: vec![400.0],
                    seed: 9,
                },
                Some("pre"),
                &c,
                mode,
            )
            .unwrap();
            let post = Lif::named(3, LifConfig::default(), Some("post"), &c, mode).unwrap();
            let mut cfg = GabaaConfig::new(Connector::All2All { include_self: true });
            cfg.delay_step = Some(DelayStep::Steps(delay));
            cfg.g_max = 0.5.into();
            let syn = Gabaa::named(&pre, &post, cfg, Some("gaba")).unwrap();
            net.add(pre).unwrap();
            net.add(post).unwrap();
            net.connect(syn).unwrap();
            net
        };
        let step = |net: &mut Network| {
            net.add_input("post", c.full([2, 3], 15.0)).unwrap();
            net.step(0.1).unwrap();
            net.state_dict().unwrap()
        };
        let mut full = mk();
        let want: Vec<StateDict> = (0..n1 + n2).map(|_| step(&mut full)).collect();
        let mut first = mk();
        for _ in 0..n1 {
            step(&mut first);
        }
        let sd = first.state_dict().unwrap();
        assert_eq!(shape(&sd, "gaba.delay_buffer"), vec![delay as usize, 2, 4]);
        assert!(
            sd.get("gaba.g").is_some() && sd.get("gaba.g_max").is_some(),
            "{:?}",
            sd.keys()
        );
        let buf = &sd.get("gaba.delay_buffer").unwrap().data;
        let in_flight = buf
            .clone()
            .try_to_vec_as::<f64>()
            .unwrap()
            .iter()
            .filter(|x| **x != 0.0)
            .count();
        assert!(
            in_flight > 0,
            "{backend}: no spikes in flight at the checkpoint"
        );
        let path = dir.join(format!("syn-{backend}.bpk"));
        first.save(&path).unwrap();
        let mut loaded = mk();
        loaded.load(&path).unwrap();
        for (k, w) in want[n1..].iter().enumerate() {
            let got = step(&mut loaded);
            assert_same(
                &format!("{backend} synapse continuation step {}", n1 + k),
                &got,
                w,
            );
        }
        // A buffer of the wrong length: an error naming it, nothing changed.
        let mut bad = sd.clone();
        bad.get_mut("gaba.delay_buffer").unwrap().data =
            TensorData::new(vec![false; 4 * 2 * 4], [4, 2, 4]);
        let before = loaded.state_dict().unwrap();
        let e = loaded.load_state_dict(&bad).unwrap_err();
        assert!(e.to_string().contains("gaba.delay_buffer"), "{e}");
        assert_same("after a bad buffer", &loaded.state_dict().unwrap(), &before);
        println!(
            "{backend} {PRECISION}: GABAa with delay {delay}: {in_flight} spikes in flight at the checkpoint, continuation bit-identical"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A network with a dense FixedProb GABAa synapse, per-neuron delays and per-synapse weights,
/// saved on flex mid-run: on every target backend, the network moved there with
/// `Module::to_device` and a fresh network loaded from the file continue identically (bitwise),
/// and the file loads bit-exactly.
#[test]
fn synapse_networks_move_and_load_across_backends() {
    use brainburn::burn::module::Module;
    let dir = scratch("synapse-xbackend");
    let (n1, n2) = (12, 10);
    let mode = Mode::Batching { batch_size: 2 };
    let mk = |c: &Ctx| {
        let mut net = Network::new(c, mode).unwrap();
        let pre = PoissonGroup::named(
            4,
            PoissonGroupConfig {
                freqs: vec![500.0],
                seed: 21,
            },
            Some("pre"),
            c,
            mode,
        )
        .unwrap();
        let post = Lif::named(3, LifConfig::default(), Some("post"), c, mode).unwrap();
        let mut cfg = GabaaConfig::new(Connector::FixedProb {
            prob: 0.6,
            include_self: true,
            seed: 4,
        });
        cfg.delay_step = Some(DelayStep::PerNeuron(vec![1, 3, 0, 4]));
        cfg.g_max = Initializer::uniform(0.1, 0.5, 3).into();
        let syn = Gabaa::named(&pre, &post, cfg, Some("gaba")).unwrap();
        net.add(pre).unwrap();
        net.add(post).unwrap();
        net.connect(syn).unwrap();
        net
    };
    let step = |net: &mut Network, c: &Ctx| {
        net.add_input("post", c.full([2, 3], 15.0)).unwrap();
        net.step(0.1).unwrap();
        net.state_dict().unwrap()
    };
    let flex = ctx(BackendKind::Flex, PRECISION);
    let mut src = mk(&flex);
    for _ in 0..n1 {
        step(&mut src, &flex);
    }
    let path = dir.join("syn.bpk");
    src.save(&path).unwrap();
    let saved = src.state_dict().unwrap();
    for backend in crate::backends() {
        let c = ctx(backend, PRECISION);
        let mut loaded = mk(&c);
        loaded.load(&path).unwrap();
        assert_same(
            &format!("flex synapse file on {backend}"),
            &loaded.state_dict().unwrap(),
            &saved,
        );
        let mut moved = src.clone().to_device(&c.device);
        for k in 0..n2 {
            let a = step(&mut loaded, &c);
            let b = step(&mut moved, &c);
            assert_same(
                &format!("{backend}: loaded vs moved, step {}", n1 + k),
                &a,
                &b,
            );
        }
        println!(
            "flex → {backend} {PRECISION}: synapse network loads bit-exactly; loaded and moved copies agree over {n2} steps"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}
