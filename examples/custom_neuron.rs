//! A neuron model that is not in the library — the adaptive exponential integrate-and-fire
//! neuron (Brette & Gerstner 2005) — defined here, once, and run by the fused engine at the
//! speed of a built-in model.
//!
//! ```sh
//! cargo run --release --example custom_neuron
//! ```
//!
//! It builds two 1000-neuron networks with the same random excitatory connectivity (one of
//! AdEx, one of the built-in LIF), runs them alternately (5 × 1000 steps each, dt = 0.1 ms),
//! prints which engine ran each and the median µs per step and ns per neuron-step side by
//! side, and draws the AdEx raster to `out/custom_neuron/raster.png`.

use std::time::Instant;

use brainburn::integrate::{Method, OdeSystem, integrate_array};
use brainburn::prelude::*;

// ---- The model: declaration, equations, step (the whole definition). ----

brainburn::model_config! {
    /// Configuration of an AdEx group (BrainPy's `AdExIF` defaults).
    pub struct AdExConfig;
    /// AdEx parameters.
    pub struct AdExParams {
        /// Resting potential (mV).
        v_rest: "V_rest" = -65.0, Any;
        /// Reset potential (mV).
        v_reset: "V_reset" = -68.0, Any;
        /// Spike cut-off (mV).
        v_th: "V_th" = -30.0, Any;
        /// Exponential threshold (mV).
        v_t: "V_T" = -59.9, Any;
        /// Slope factor (mV).
        delta_t: "delta_T" = 3.48, Positive;
        /// Subthreshold adaptation (nS-like).
        a: "a" = 1.0, Any;
        /// Spike-triggered adaptation.
        b: "b" = 1.0, Any;
        /// Membrane time constant (ms).
        tau: "tau" = 10.0, Positive;
        /// Adaptation time constant (ms).
        tau_w: "tau_w" = 30.0, Positive;
        /// Membrane resistance.
        r: "R" = 1.0, Any;
    }
    options {
        /// Integration method.
        method: Method = Method::ExpAuto;
    }
}

brainburn::model_states! {
    /// AdEx states.
    pub struct AdExState { v: "V", w: "w" }
}

/// `τ dV/dt = −(V − V_rest) + Δ_T e^{(V − V_T)/Δ_T} − R w + R I`, `τ_w dw/dt = a(V − V_rest) − w`.
struct AdExOde<R> {
    p: AdExParams<R>,
    i: R,
}

impl<R: Num> OdeSystem<R> for AdExOde<R> {
    #[inline(always)]
    fn n_vars(&self) -> usize {
        2
    }
    #[inline(always)]
    fn derivative<T: Num + From<R>>(&self, k: usize, x: &[T], _t: f64) -> T {
        let c = |r: &R| T::from(r.clone());
        let (v, w, p) = (x[0].clone(), x[1].clone(), &self.p);
        if k == 0 {
            let exp = ((v.clone() - c(&p.v_t)) / c(&p.delta_t)).exp() * c(&p.delta_t);
            (-(v - c(&p.v_rest)) + exp - c(&p.r) * w + c(&p.r) * c(&self.i)) / c(&p.tau)
        } else {
            (c(&p.a) * (v - c(&p.v_rest)) - w) / c(&p.tau_w)
        }
    }
}

/// The adaptive exponential integrate-and-fire model.
#[derive(Clone, Debug)]
pub struct AdEx {
    method: Method,
}

impl NeuronModel for AdEx {
    const CLASS: &'static str = "AdEx";
    type Config = AdExConfig;
    type Params<R> = AdExParams<R>;
    type State<R> = AdExState<R>;

    fn build(cfg: &AdExConfig) -> Result<ModelParts<Self>> {
        Ok(ModelParts {
            model: AdEx { method: cfg.method },
            params: cfg.params(),
            states: AdExState {
                v: StateStart::Init(Initializer::constant(-65.0)),
                w: StateStart::Init(Initializer::Zero),
            },
            noise: None,
            noise_seed: 0,
        })
    }

    #[inline(always)]
    fn step<R: Num, C: StepCx<R>>(
        &self,
        p: &AdExParams<R>,
        s: &mut AdExState<R>,
        input: R,
        cx: &mut C,
    ) -> Spike<R> {
        let sys = AdExOde {
            p: p.clone(),
            i: input,
        };
        let [v, w] = integrate_array(
            &sys,
            self.method,
            [s.v.clone(), s.w.clone()],
            cx.t(),
            cx.dt(),
        );
        let fired = v.ge(&p.v_th);
        s.v = R::select(&fired, p.v_reset.clone(), v);
        s.w = R::select(&fired, w.clone() + p.b.clone(), w);
        Spike::Mask(fired)
    }
}

// ---- Using it: a network of each model, side by side. ----

const N: usize = 1000;
const STEPS: u64 = 5000;
const DT: f64 = 0.1;

fn network(ctx: &Ctx, adex: bool) -> Result<Network> {
    let mode = Mode::NonBatching;
    let mut net = Network::new(ctx, mode)?;
    if adex {
        net.add(NeuGroup::<AdEx>::named(
            N,
            AdExConfig::default(),
            Some("g"),
            ctx,
            mode,
        )?)?;
    } else {
        let cfg = LifConfig {
            v_rest: (-65.0).into(),
            v_reset: (-68.0).into(),
            v_th: (-50.0).into(),
            ..Default::default()
        };
        net.add(Lif::named(N, cfg, Some("g"), ctx, mode)?)?;
    }
    let g = net.group("g")?;
    let mut syn = ExponentialConfig::new(Connector::fixed_prob(0.02, 7));
    syn.comp_method = CompMethod::Sparse;
    syn.g_max = 0.5.into();
    syn.output = Output::Cuba;
    let syn = Exponential::named(g, g, syn, Some("syn"))?;
    net.connect(syn)?;
    Ok(net)
}

/// One timed run of `steps` steps monitoring the spikes of the first `watched` neurons:
/// (µs per step, spike count, engine, monitors).
fn run(
    ctx: &Ctx,
    adex: bool,
    steps: u64,
    watched: usize,
) -> Result<(f64, usize, String, Monitors)> {
    let mut net = network(ctx, adex)?;
    let start = Instant::now();
    let mon = Runner::new(&mut net, DT)?
        .input("g", InputValue::Constant(if adex { 12.0 } else { 16.0 }))?
        .monitor_with("g.spike", Some((0..watched).collect()), 1)?
        .run_steps(steps)?;
    let us = start.elapsed().as_secs_f64() * 1e6 / steps as f64;
    let spikes = mon.spike_events("g.spike")?.len();
    // The engine that actually ran (a fallback names the member or monitor that caused it).
    Ok((us, spikes, mon.engine().to_string(), mon))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let ctx = Ctx::new(BackendKind::Flex, Precision::F32)?;
    let (mut t_adex, mut t_lif) = (Vec::new(), Vec::new());
    let (mut adex, mut lif) = (None, None);
    for _ in 0..5 {
        let (us, n, engine, _) = run(&ctx, true, STEPS, 100)?;
        t_adex.push(us);
        adex = Some((n, engine));
        let (us, n, engine, _) = run(&ctx, false, STEPS, 100)?;
        t_lif.push(us);
        lif = Some((n, engine));
    }
    let ((adex_spikes, adex_engine), (lif_spikes, lif_engine)) =
        (adex.expect("five runs"), lif.expect("five runs"));
    let (a, l) = (median(t_adex), median(t_lif));
    println!(
        "{N} neurons, {STEPS} steps of {DT} ms, float32, flex; spikes of the first 100 neurons"
    );
    println!("model  engine               µs/step  ns/neuron-step  spikes");
    println!(
        "AdEx   {adex_engine:20} {a:8.2} {:15.3} {adex_spikes:7}",
        a * 1e3 / N as f64
    );
    println!(
        "LIF    {lif_engine:20} {l:8.2} {:15.3} {lif_spikes:7}",
        l * 1e3 / N as f64
    );
    println!("AdEx / LIF per neuron-step: {:.2}", a / l);
    std::fs::create_dir_all("out/custom_neuron").map_err(|e| Error::io("out/custom_neuron", e))?;
    let (_, _, _, mon) = run(&ctx, true, 2000, N)?;
    mon.plot_raster(
        &["g.spike"],
        "AdEx network (custom model)",
        "out/custom_neuron/raster.png",
    )?;
    println!("raster: out/custom_neuron/raster.png");
    Ok(())
}
