//! The COBA E/I benchmark network (Vogels & Abbott 2005; Brette et al. 2007; BrainPy's
//! `examples/dynamics_simulation/COBA.py`): 3200 excitatory and 800 inhibitory LIF neurons
//! (V_rest −60, V_th −50, V_reset −60, τ 20 ms, τ_ref 5 ms, V₀ ~ N(−55, 2)), 2 % random
//! connectivity, exponential conductance synapses (E: g 0.6, τ 5 ms, E_rev 0; I: g 6.7,
//! τ 10 ms, E_rev −80), constant drive 20, dt 0.1 ms, 1 s.
//!
//! Writes `out/coba/raster.png` and prints the E and I rates (BrainPy 2.4.6 measured
//! E ≈ 21.2 Hz, I ≈ 21.6 Hz; the connectivity draw differs). Backend: `BRAINBURN_BACKEND`.
//!
//! Run: `cargo run --release --example coba`

use std::time::Instant;

use brainburn::prelude::*;
use brainburn::workloads;

fn main() -> Result<()> {
    let t0 = Instant::now();
    let backend: BackendKind = std::env::var("BRAINBURN_BACKEND")
        .unwrap_or_else(|_| "flex".into())
        .parse()?;
    let ctx = Ctx::new(backend, Precision::F32)?;
    let mode = Mode::NonBatching;
    let ((n_e, n_i), dt, duration) = (workloads::COBA_SIZES, workloads::COBA_DT, 1000.0);

    let mut net = workloads::coba(&ctx, mode, 1)?;

    let monitors = Runner::new(&mut net, dt)?
        .input("E", InputValue::Constant(workloads::COBA_INPUT))?
        .input("I", InputValue::Constant(workloads::COBA_INPUT))?
        .monitor("E.spike")?
        .monitor("I.spike")?
        .progress(true)
        .run(duration)?;

    let out = std::path::Path::new("out/coba");
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    monitors.plot_raster(
        &["E.spike", "I.spike"],
        "COBA E/I network (4000 LIF)",
        out.join("raster.png"),
    )?;
    let seconds = duration / 1000.0;
    let e_rate = monitors.spike_events("E.spike")?.len() as f64 / n_e as f64 / seconds;
    let i_rate = monitors.spike_events("I.spike")?.len() as f64 / n_i as f64 / seconds;
    println!(
        "COBA E/I network on {backend} ({} steps of {dt} ms)",
        (duration / dt).round()
    );
    println!("  engine      {}", monitors.engine());
    println!("  E rate      {e_rate:.1} Hz");
    println!("  I rate      {i_rate:.1} Hz");
    println!("  picture     {}/raster.png", out.display());
    println!("  wall time   {:.2} s", t0.elapsed().as_secs_f64());
    Ok(())
}
