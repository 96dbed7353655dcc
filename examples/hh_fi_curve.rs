//! f–I curves of conductance-based neurons, each from ONE batched run (one batch row per
//! input current): the Wang–Buzsáki interneuron, the classic Hodgkin–Huxley neuron and a
//! `CondNeuGroup` with BrainPy 2.4.6's HH channel defaults.
//!
//! Every model runs 500 ms at dt = 0.01 ms in Batching mode with 41 rows (I = 0, 0.5, ...,
//! 20 µA/cm²); spikes are counted on the device over 100–500 ms (after the onset transient)
//! and turned into rates. Two counts are kept for WB: its model spikes (`V_old < V_th ≤ V`,
//! V_th = 20 mV as in BrainPy) and upward crossings of 0 mV — at high currents the WB spike
//! peaks stay below 20 mV at dt = 0.01, so the model's own spike count collapses although the
//! neuron keeps firing (BrainPy's oracle shows the same: 2 spikes at I = 20).
//!
//! Writes `out/hh_fi_curve.png` and prints a table.
//! Run: `cargo run --release --example hh_fi_curve` (about 20 s on 2 cores).

use std::time::Instant;

use brainburn::burn::tensor::Tensor;
use brainburn::plot::{Series, line_chart};
use brainburn::prelude::*;
use brainburn::tensor_io::to_f64_vec;

const DT: f64 = 0.01;
const DURATION: f64 = 500.0;
const WARMUP: f64 = 100.0;

/// Runs `group` (one neuron, `currents.len()` batch rows) and returns, per row, the rate of
/// its spikes and the rate of upward 0 mV crossings over [WARMUP, DURATION).
fn rates(group: &mut dyn NeuronGroup, currents: &[f64], ctx: &Ctx) -> Result<(Vec<f64>, Vec<f64>)> {
    let rows = currents.len();
    let x = ctx.tensor(currents.to_vec(), [rows, 1]);
    let mut spikes: Tensor<2> = ctx.zeros([rows, 1]);
    let mut crossings: Tensor<2> = ctx.zeros([rows, 1]);
    let steps = (DURATION / DT).round() as u64;
    let first = (WARMUP / DT).round() as u64;
    let dtype = ctx.dtype();
    for k in 0..steps {
        let v_old = group.v().expect("these models have V");
        group.step_with(&StepTime::new(k, DT), Some(x.clone()))?;
        if k >= first {
            let s = group.spike().expect("these models spike").to_float(dtype);
            spikes = spikes + s;
            let v = group.v().expect("these models have V");
            let up = v
                .greater_equal_elem(0.0)
                .bool_and(v_old.lower_elem(0.0))
                .float()
                .cast(brainburn::spikes::float_dtype(dtype));
            crossings = crossings + up;
        }
    }
    let window_s = (DURATION - WARMUP) / 1000.0;
    let to_rate = |t: Tensor<2>| -> Result<Vec<f64>> {
        Ok(to_f64_vec(t)?.into_iter().map(|c| c / window_s).collect())
    };
    Ok((to_rate(spikes)?, to_rate(crossings)?))
}

fn main() -> Result<()> {
    let ctx = Ctx::cpu()?;
    let currents: Vec<f64> = (0..=40).map(|k| 0.5 * k as f64).collect();
    let batch = Mode::Batching {
        batch_size: currents.len(),
    };
    let t0 = Instant::now();

    let mut wb = WangBuzsakiModel::new(1, WangBuzsakiConfig::default(), &ctx, batch)?;
    let (wb_spikes, wb_zero) = rates(&mut wb, &currents, &ctx)?;
    let t_wb = t0.elapsed().as_secs_f64();

    let hh_cfg = HhConfig {
        v_initializer: Initializer::constant(-65.0),
        ..Default::default()
    };
    let mut hh = Hh::new(1, hh_cfg, &ctx, batch)?;
    let (hh_spikes, _) = rates(&mut hh, &currents, &ctx)?;
    let t_hh = t0.elapsed().as_secs_f64() - t_wb;

    let channels: Vec<(&str, Box<dyn Channel>)> = vec![
        ("INa", Box::new(INaHH1952::default())),
        ("IK", Box::new(IKHH1952::default())),
        ("IL", Box::new(IL::default())),
    ];
    let cond_cfg = CondNeuGroupConfig {
        v_initializer: Initializer::constant(-65.0),
        ..Default::default()
    };
    let mut cond = CondNeuGroup::new(1, cond_cfg, channels, &ctx, batch)?;
    let (cond_spikes, _) = rates(&mut cond, &currents, &ctx)?;
    let t_cond = t0.elapsed().as_secs_f64() - t_wb - t_hh;

    println!(
        "f–I curves, {} currents in one batched run per model, {DURATION} ms at dt = {DT} ms, rates over {WARMUP}–{DURATION} ms",
        currents.len()
    );
    println!(
        "run time: WB {t_wb:.1} s, HH {t_hh:.1} s, CondNeuGroup {t_cond:.1} s ({} backend, {})",
        ctx.backend, ctx.precision
    );
    println!();
    println!(
        "{:>8} {:>14} {:>14} {:>14} {:>18}",
        "I µA/cm²", "WB (V_th 20)", "WB (0 mV)", "HH (classic)", "CondNeuGroup 2.4.6"
    );
    for (k, i) in currents.iter().enumerate() {
        if k % 4 == 0 {
            println!(
                "{i:>8.1} {:>11.1} Hz {:>11.1} Hz {:>11.1} Hz {:>15.1} Hz",
                wb_spikes[k], wb_zero[k], hh_spikes[k], cond_spikes[k]
            );
        }
    }

    let points = |r: &[f64]| -> Vec<(f64, f64)> {
        currents.iter().copied().zip(r.iter().copied()).collect()
    };
    std::fs::create_dir_all("out").map_err(|e| Error::Io {
        path: "out".into(),
        source: e,
    })?;
    let path = "out/hh_fi_curve.png";
    line_chart(
        path,
        "f–I curves (one batched run per model, dt = 0.01 ms)",
        "input current I (µA/cm²)",
        "firing rate (Hz)",
        &[
            Series::new("Wang–Buzsáki, 0 mV crossings", points(&wb_zero)),
            Series::new(
                "Wang–Buzsáki, model spikes (V_th = 20 mV)",
                points(&wb_spikes),
            ),
            Series::new("Hodgkin–Huxley (classic, V_th = 20 mV)", points(&hh_spikes)),
            Series::new(
                "CondNeuGroup, 2.4.6 HH channels (V_th = 0 mV)",
                points(&cond_spikes),
            ),
        ],
        (900, 600),
    )?;
    println!();
    println!("wrote {path}");
    Ok(())
}
