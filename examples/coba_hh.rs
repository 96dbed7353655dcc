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

use brainburn::prelude::*;
use brainburn::tensor_io::to_f64_vec;
use brainburn::workloads;

fn main() -> Result<()> {
    let t0 = Instant::now();
    let backend: BackendKind = std::env::var("BRAINBURN_BACKEND")
        .unwrap_or_else(|_| "flex".into())
        .parse()?;
    let ctx = Ctx::new(backend, Precision::F32)?;
    let mode = Mode::NonBatching;
    let ((n_e, n_i), dt, duration) = (workloads::COBA_SIZES, workloads::COBA_DT, 1000.0);

    let mut net = workloads::coba_hh(&ctx, mode, 1)?;

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
    println!("  engine           {}", monitors.engine());
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
