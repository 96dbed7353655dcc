//! COBA-HH (Brette et al. 2007 benchmark; BrainPy's COBAHH notebook, implementation 2):
//! 3200 excitatory and 800 inhibitory Traub–Miles Hodgkin–Huxley neurons built as
//! `CondNeuGroup`s with `INa_TM1991` (g_max 100, V_sh −63), `IK_TM1991` (g_max 30, V_sh −63)
//! and `IL` (E −60, g_max 0.05); 2 % random exponential conductance synapses (E: g 0.03, τ 5 ms,
//! E_rev 0; I: g 0.335, τ 10 ms, E_rev −80); no external input (self-sustained activity);
//! V₀ ~ N(−65, 5); spike = upward crossing of −20 mV; dt 0.1 ms, 1 s.
//!
//! BrainPy 2.4.6 turns one neuron's V into NaN within this second (the IK_TM1991 rate is 0/0
//! at V = −48 exactly); brainburn's rates are guarded, and this example checks that no state is
//! NaN at the end. Writes `out/coba_hh/raster.png`, prints the E and I rates.
//!
//! Run: `cargo run --release --example coba_hh`

use std::time::Instant;

use brainburn::channel::{IKTM1991, IL, INaTM1991};
use brainburn::prelude::*;
use brainburn::synapse::{Connector, Exponential, ExponentialConfig, Output};
use brainburn::tensor_io::to_f64_vec;

fn main() -> Result<()> {
    let t0 = Instant::now();
    let backend: BackendKind = std::env::var("BRAINBURN_BACKEND")
        .unwrap_or_else(|_| "flex".into())
        .parse()?;
    let ctx = Ctx::new(backend, Precision::F32)?;
    let mode = Mode::NonBatching;
    let (n_e, n_i, dt, duration) = (3200usize, 800usize, 0.1, 1000.0);

    let mut net = Network::new(&ctx, mode)?;
    for (name, size, seed) in [("E", n_e, 1), ("I", n_i, 2)] {
        let cfg = CondNeuGroupConfig {
            v_th: (-20.0).into(),
            v_initializer: Initializer::normal(-65.0, 5.0, seed),
            ..Default::default()
        };
        let channels: Vec<(&str, Box<dyn brainburn::channel::Channel>)> = vec![
            (
                "INa",
                Box::new(INaTM1991 {
                    g_max: 100.0.into(),
                    v_sh: (-63.0).into(),
                    ..Default::default()
                }),
            ),
            (
                "IK",
                Box::new(IKTM1991 {
                    g_max: 30.0.into(),
                    v_sh: (-63.0).into(),
                    ..Default::default()
                }),
            ),
            (
                "IL",
                Box::new(IL {
                    e: (-60.0).into(),
                    g_max: 0.05.into(),
                }),
            ),
        ];
        net.add(CondNeuGroup::named(
            size,
            cfg,
            channels,
            Some(name),
            &ctx,
            mode,
        )?)?;
    }
    let mut seed = 20;
    for (pre, post, g, tau, e) in [
        ("E", "E", 0.03, 5.0, 0.0),
        ("E", "I", 0.03, 5.0, 0.0),
        ("I", "E", 0.335, 10.0, -80.0),
        ("I", "I", 0.335, 10.0, -80.0),
    ] {
        seed += 1;
        let cfg = ExponentialConfig {
            g_max: g.into(),
            tau: tau.into(),
            output: Output::coba(e),
            ..ExponentialConfig::new(Connector::FixedProb {
                prob: 0.02,
                include_self: true,
                seed,
            })
        };
        let name = format!("{pre}2{post}");
        let syn = Exponential::named(net.group(pre)?, net.group(post)?, cfg, Some(&name))?;
        net.connect(syn)?;
    }

    let monitors = Runner::new(&mut net, dt)?
        .monitor("E.spike")?
        .monitor("I.spike")?
        .progress(true)
        .run(duration)?;

    let out = std::path::Path::new("out/coba_hh");
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    monitors.plot_raster(
        &["E.spike", "I.spike"],
        "COBA-HH network (4000 Traub-Miles HH)",
        out.join("raster.png"),
    )?;
    let seconds = duration / 1000.0;
    let e_rate = monitors.spike_events("E.spike")?.len() as f64 / n_e as f64 / seconds;
    let i_rate = monitors.spike_events("I.spike")?.len() as f64 / n_i as f64 / seconds;
    let mut nan = 0usize;
    for g in ["E", "I"] {
        for (_, s) in net.group(g)?.states().iter() {
            if let brainburn::state::StateTensor::Float(t) = s {
                nan += to_f64_vec(t.clone())?
                    .iter()
                    .filter(|x| !x.is_finite())
                    .count();
            }
        }
    }
    println!(
        "COBA-HH network on {backend} ({} steps of {dt} ms)",
        (duration / dt).round()
    );
    println!("  E rate           {e_rate:.1} Hz");
    println!("  I rate           {i_rate:.1} Hz");
    println!("  non-finite states {nan}");
    println!("  picture          {}/raster.png", out.display());
    println!("  wall time        {:.2} s", t0.elapsed().as_secs_f64());
    if nan > 0 {
        return Err(Error::Backend(format!("{nan} states are not finite")));
    }
    Ok(())
}
