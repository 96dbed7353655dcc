//! Wang & Buzsáki (1996): a gamma rhythm emerges in a random network of fast-spiking
//! interneurons. 100 Wang–Buzsáki neurons, all-to-all GABAa inhibition without self-connections
//! (α = 12, β = 0.1, E_syn = −75 mV, total conductance 0.1 mS/cm², so g_max = 0.1/N), constant
//! drive 1 µA/cm², random initial V = −70 + 20·N(0, 1), dt = 0.01 ms, 500 ms.
//!
//! Writes `out/wang_buzsaki_gamma/raster.png` (raster + population rate) and `V.png`, and prints
//! the mean rate, the dominant frequency of the population rate and Wang–Buzsáki's synchrony
//! coefficient. Backend: `BRAINBURN_BACKEND` (flex by default; ndarray, wgpu, cuda).
//!
//! Run: `cargo run --release --example wang_buzsaki_gamma`

use std::time::Instant;

use brainburn::measure::{cross_correlation, dominant_frequency, population_rate};
use brainburn::prelude::*;

fn main() -> Result<()> {
    let t0 = Instant::now();
    let backend: BackendKind = std::env::var("BRAINBURN_BACKEND")
        .unwrap_or_else(|_| "flex".into())
        .parse()?;
    let ctx = Ctx::new(backend, Precision::F32)?;
    let mode = Mode::NonBatching;
    let (n, dt, duration) = (100usize, brainburn::workloads::WB_DT, 500.0);

    let mut net = brainburn::workloads::wb_gamma(&ctx, mode, n, 0)?;

    let monitors = Runner::new(&mut net, dt)?
        .input("wb", InputValue::Constant(brainburn::workloads::WB_INPUT))?
        .monitor("wb.spike")?
        .monitor_with("wb.V", Some(vec![0, 1, 2, 3]), 10)?
        .progress(true)
        .run(duration)?;

    let out = std::path::Path::new("out/wang_buzsaki_gamma");
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    monitors.plot_raster(
        &["wb.spike"],
        "Wang-Buzsaki network (N = 100, GABAa all-to-all)",
        out.join("raster.png"),
    )?;
    monitors.plot_trace("wb.V", 4, out.join("V.png"))?;

    // Host spike matrix [step][neuron] for the measures.
    let steps = (duration / dt).round() as usize;
    let mut spikes = vec![vec![false; n]; steps];
    for (step, _, i) in monitors.spike_events("wb.spike")? {
        spikes[step as usize][i] = true;
    }
    let total: usize = spikes
        .iter()
        .map(|r| r.iter().filter(|&&s| s).count())
        .sum();
    let mean_rate = total as f64 / n as f64 / (duration / 1000.0);
    let settled = &spikes[steps / 5..]; // after the first 100 ms
    let rate = population_rate(settled, dt, 1.0);
    let freq = dominant_frequency(&rate, 1.0, 10.0, 200.0);
    let sync = cross_correlation(&spikes[2 * steps / 5..], dt, 2.0);

    println!(
        "Wang-Buzsaki gamma network on {backend} ({} steps of {dt} ms)",
        steps
    );
    println!("  engine               {}", monitors.engine());
    println!("  mean rate            {mean_rate:.1} Hz");
    match freq {
        Some((f, _)) => println!("  dominant frequency   {f:.1} Hz (population rate, 100-500 ms)"),
        None => println!("  dominant frequency   none (no rhythm)"),
    }
    match sync {
        Some(k) => println!(
            "  synchrony (kappa)    {k:.3} (Wang-Buzsaki coefficient, 2-ms bins, 200-500 ms)"
        ),
        None => println!("  synchrony (kappa)    undefined (silent neurons)"),
    }
    println!(
        "  pictures             {}/raster.png, {}/V.png",
        out.display(),
        out.display()
    );
    println!("  wall time            {:.2} s", t0.elapsed().as_secs_f64());
    Ok(())
}
