//! The standard networks of the benchmarks and examples, built in one place.
//!
//! * [`wb_gamma`]: Wang & Buzsáki (1996) — N Wang–Buzsáki neurons, GABAa all-to-all without
//!   self-connections (g_max = 0.1/N, α 12, β 0.1, COBA E −75 mV), V₀ = −70 + 20·N(0, 1),
//!   h₀ 0.6, n₀ 0.32, driven by [`WB_INPUT`] = 1 µA/cm² at [`WB_DT`] = 0.01 ms.
//! * [`coba`]: the Vogels–Abbott COBA E/I network (Brette et al. 2007) — 3200 E + 800 I LIF
//!   (V_rest −60, V_th −50, V_reset −60, τ 20 ms, τ_ref 5 ms, V₀ ~ N(−55, 2)), FixedProb 0.02
//!   Exponential COBA synapses (E: 0.6, τ 5 ms, E_rev 0; I: 6.7, τ 10 ms, E_rev −80), driven by
//!   [`COBA_INPUT`] = 20 at [`COBA_DT`] = 0.1 ms.
//! * [`coba_hh`]: COBA-HH — 3200 E + 800 I Traub–Miles HH `CondNeuGroup`s (INa_TM1991 g 100,
//!   IK_TM1991 g 30, V_sh −63; IL E −60, g 0.05; V_th −20; V₀ ~ N(−65, 5)), FixedProb 0.02
//!   Exponential COBA synapses (E: 0.03, τ 5 ms; I: 0.335, τ 10 ms), no input, 0.1 ms.
//!
//! Groups are named `wb`, `E`, `I`; synapses `gaba`, `E2E`, `E2I`, `I2E`, `I2I`.

use crate::backend::Ctx;
use crate::channel::{Channel, IKTM1991, IL, INaTM1991};
use crate::error::Result;
use crate::init::Initializer;
use crate::mode::Mode;
use crate::network::Network;
use crate::neuron::{
    CondNeuGroup, CondNeuGroupConfig, Lif, LifConfig, WangBuzsakiConfig, WangBuzsakiModel,
};
use crate::synapse::{Connector, Exponential, ExponentialConfig, Gabaa, GabaaConfig, Output};

/// Step size of the Wang–Buzsáki network (ms).
pub const WB_DT: f64 = 0.01;
/// Constant drive of the Wang–Buzsáki network (µA/cm²).
pub const WB_INPUT: f64 = 1.0;
/// Step size of the COBA networks (ms).
pub const COBA_DT: f64 = 0.1;
/// Constant drive of the COBA LIF network.
pub const COBA_INPUT: f64 = 20.0;
/// Sizes of the COBA populations (E, I).
pub const COBA_SIZES: (usize, usize) = (3200, 800);

/// The Wang–Buzsáki gamma network of `n` neurons (group `wb`, synapse `gaba`); `seed` draws V₀.
pub fn wb_gamma(ctx: &Ctx, mode: Mode, n: usize, seed: u64) -> Result<Network> {
    let mut net = Network::new(ctx, mode)?;
    let wb = WangBuzsakiConfig {
        v_initializer: Initializer::normal(-70.0, 20.0, seed),
        h_initializer: Initializer::constant(0.6),
        n_initializer: Initializer::constant(0.32),
        ..Default::default()
    };
    net.add(WangBuzsakiModel::named(n, wb, Some("wb"), ctx, mode)?)?;
    let gaba = GabaaConfig {
        g_max: (0.1 / n as f64).into(),
        alpha: 12.0.into(),
        beta: 0.1.into(),
        output: Output::coba(-75.0),
        ..GabaaConfig::new(Connector::All2All {
            include_self: false,
        })
    };
    let syn = Gabaa::named(net.group("wb")?, net.group("wb")?, gaba, Some("gaba"))?;
    net.connect(syn)?;
    Ok(net)
}

/// The four E/I Exponential COBA projections with 2 % random connectivity.
fn coba_synapses(net: &mut Network, g_e: f64, g_i: f64, seed: u64) -> Result<()> {
    for (k, (pre, post, g, tau, e)) in [
        ("E", "E", g_e, 5.0, 0.0),
        ("E", "I", g_e, 5.0, 0.0),
        ("I", "E", g_i, 10.0, -80.0),
        ("I", "I", g_i, 10.0, -80.0),
    ]
    .into_iter()
    .enumerate()
    {
        let cfg = ExponentialConfig {
            g_max: g.into(),
            tau: tau.into(),
            output: Output::coba(e),
            ..ExponentialConfig::new(Connector::FixedProb {
                prob: 0.02,
                include_self: true,
                seed: seed + k as u64,
            })
        };
        let name = format!("{pre}2{post}");
        let syn = Exponential::named(net.group(pre)?, net.group(post)?, cfg, Some(&name))?;
        net.connect(syn)?;
    }
    Ok(())
}

/// The COBA E/I LIF network (groups `E`, `I`); `seed` draws V₀ and the connectivity.
pub fn coba(ctx: &Ctx, mode: Mode, seed: u64) -> Result<Network> {
    let mut net = Network::new(ctx, mode)?;
    for (k, (name, size)) in [("E", COBA_SIZES.0), ("I", COBA_SIZES.1)]
        .into_iter()
        .enumerate()
    {
        let cfg = LifConfig {
            v_rest: (-60.0).into(),
            v_reset: (-60.0).into(),
            v_th: (-50.0).into(),
            tau: 20.0.into(),
            tau_ref: 5.0.into(),
            v_initializer: Initializer::normal(-55.0, 2.0, seed + k as u64),
            ..Default::default()
        };
        net.add(Lif::named(size, cfg, Some(name), ctx, mode)?)?;
    }
    coba_synapses(&mut net, 0.6, 6.7, seed + 10)?;
    Ok(net)
}

/// The COBA-HH network (groups `E`, `I` of Traub–Miles CondNeuGroups); `seed` draws V₀ and the
/// connectivity.
pub fn coba_hh(ctx: &Ctx, mode: Mode, seed: u64) -> Result<Network> {
    let mut net = Network::new(ctx, mode)?;
    for (k, (name, size)) in [("E", COBA_SIZES.0), ("I", COBA_SIZES.1)]
        .into_iter()
        .enumerate()
    {
        let cfg = CondNeuGroupConfig {
            v_th: (-20.0).into(),
            v_initializer: Initializer::normal(-65.0, 5.0, seed + k as u64),
            ..Default::default()
        };
        let channels: Vec<(&str, Box<dyn Channel>)> = vec![
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
            ctx,
            mode,
        )?)?;
    }
    coba_synapses(&mut net, 0.03, 0.335, seed + 10)?;
    Ok(net)
}

/// The LIF-layer training step of the peer benchmark (`PEERS_H100.md`), built and ready to
/// run: `Linear(n, n)` (no bias) feeding a `LIF(n)` in Training mode, `t` steps, batch `b`,
/// loss = mean spike count; the weights and the per-step inputs (seeded host-drawn uniforms in
/// [0, 1), one tensor per step) are on the device. [`LifTraining::run`] is the timed part.
pub struct LifTraining {
    ctx: Ctx,
    w: burn::tensor::Tensor<2>,
    lif: Lif,
    inputs: Vec<burn::tensor::Tensor<2>>,
    n: usize,
    b: usize,
}

/// Builds [`LifTraining`]; `ctx` must have autodiff.
pub fn lif_layer_training(
    ctx: &Ctx,
    n: usize,
    t: usize,
    b: usize,
    seed: u64,
) -> Result<LifTraining> {
    use crate::integrate::noise::step_uniforms;
    let scale = 2.0 / (n as f64).sqrt();
    let w0: Vec<f64> = step_uniforms(seed, 0, n * n)
        .into_iter()
        .map(|u| (u - 0.5) * scale)
        .collect();
    let w = ctx.tensor(w0, [n, n]).require_grad();
    let cfg = LifConfig {
        v_th: 1.0.into(),
        v_reset: 0.0.into(),
        tau: 2.0.into(),
        ..Default::default()
    };
    let lif = Lif::new(n, cfg, ctx, Mode::Training { batch_size: b })?;
    let inputs = (0..t)
        .map(|k| ctx.tensor(step_uniforms(seed, k as u64 + 1, b * n), [b, n]))
        .collect();
    Ok(LifTraining {
        ctx: ctx.clone(),
        w,
        lif,
        inputs,
        n,
        b,
    })
}

impl LifTraining {
    /// One forward + backward pass; returns the loss.
    pub fn run(mut self) -> Result<f64> {
        use crate::dynamics::StepTime;
        use crate::neuron::NeuronGroup;
        let (n, b, t) = (self.n, self.b, self.inputs.len());
        let mut total: Option<burn::tensor::Tensor<1>> = None;
        for (k, x) in self.inputs.into_iter().enumerate() {
            self.lif.step_with(
                &StepTime::new(k as u64, 1.0),
                Some(x.matmul(self.w.clone())),
            )?;
            let s = self
                .lif
                .spike()
                .map(|s| s.to_float(self.ctx.dtype()))
                .unwrap_or_else(|| self.ctx.zeros([b, n]));
            let term = s.sum();
            total = Some(match total {
                None => term,
                Some(acc) => acc + term,
            });
        }
        let Some(total) = total else { return Ok(0.0) };
        let loss = total / (b * t * n) as f64;
        let _grads = loss.backward();
        Ok(crate::tensor_io::to_f64_vec(loss)?[0])
    }
}
