//! The fused engine's kernel for any [`NeuronModel`]: the model's one step on SIMD lanes.
//!
//! [`ModelHost`] holds a group's parameters and states as host arrays and runs
//! [`NeuronModel::step`] over them, [`Lanes::N`] neurons at a time, in the best lanes of the CPU
//! (AVX-512, AVX2 or the portable baseline, chosen at run time: [`super::simd`]). No model has
//! a kernel of its own: built-in and user models run through this one. Scalar parameters are
//! splatted once per step; per-neuron ones are loaded with the states. A row's last partial
//! vector is padded with the row's first element (a valid state) and its extra lanes are never
//! stored.
//!
//! In float64 a model may replace its step by a documented override
//! ([`NeuronModel::has_f64_override`]), run element by element on host floats.

use super::host::{
    HParam, HostFloat, HostGroup, HostSlice, ParamLanes, StateLanes, StoreLanes, read_float,
    read_spikes,
};
use super::lanes::Lanes;
use super::neurons::{noise_step, store_mask};
use super::simd::NumKernel;
use crate::backend::Precision;
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::math::Num;
use crate::model::group::{crossing, heaviside};
use crate::model::{Fields, NeuronModel, Spike, StepCx};
use crate::surrogate::{SpikeFunction, TwoInputSurrogate};

/// A neuron group of model `M` on host arrays (see the module docs).
pub struct ModelHost<M: NeuronModel, E: HostFloat> {
    model: M,
    rows: usize,
    num: usize,
    params: Vec<HParam<E>>,
    all_scalar: bool,
    states: Vec<Vec<E>>,
    spike: Vec<bool>,
    noise: Option<HParam<E>>,
    noise_seed: u64,
    xi: Vec<E>,
    f64_override: bool,
    v_index: Option<usize>,
    /// The input 0 of a model without input ([`NeuronModel::INPUT`]); empty otherwise.
    zeros: Vec<E>,
}

impl<M: NeuronModel, E: HostFloat> ModelHost<M, E> {
    /// The kernel of a group with core `core` (the parameters and states the group declared
    /// under the model's keys), model `model` and noise seed `noise_seed`.
    pub fn new(core: &Core, model: M, noise_seed: u64) -> Result<Self> {
        let rows = core.states.rows();
        let pkeys = <M::Params<f64> as Fields<f64>>::KEYS;
        let skeys = <M::State<f64> as Fields<f64>>::KEYS;
        let num = core
            .states
            .get(if M::INPUT { "input" } else { skeys[0] })
            .dims()[1];
        let params = pkeys
            .iter()
            .map(|k| HParam::of_core(core, k, num))
            .collect::<Result<Vec<_>>>()?;
        let all_scalar = params.iter().all(|p| p.scalar().is_some());
        let states = skeys
            .iter()
            .map(|k| read_float::<E>(core, k))
            .collect::<Result<Vec<_>>>()?;
        let spike = if M::SPIKES {
            read_spikes(core, "spike")?
        } else {
            Vec::new()
        };
        let noise = HParam::try_of_core(core, "noise", num)?;
        let f64_override = E::PRECISION == Precision::F64 && model.has_f64_override();
        Ok(ModelHost {
            v_index: <M::State<f64> as Fields<f64>>::index_of("V"),
            model,
            rows,
            num,
            params,
            all_scalar,
            states,
            spike,
            noise,
            noise_seed,
            xi: Vec::new(),
            zeros: if M::INPUT {
                Vec::new()
            } else {
                vec![E::default(); rows * num]
            },
            f64_override,
        })
    }

    /// The float64 override, element by element.
    fn run_override(&mut self, ts: &StepTime, input: &[E]) {
        let num = self.num;
        let has_noise = self.noise.is_some();
        for k in 0..self.rows * num {
            let j = k % num;
            let p = M::Params::<f64>::from_fn(|q| self.params[q].at(j).to_f64());
            let mut s = M::State::<f64>::from_fn(|q| self.states[q][k].to_f64());
            let mut cx = HostCx {
                t: ts.t,
                dt: ts.dt,
                noise: has_noise.then(|| self.xi[k].to_f64()),
            };
            let out = self.model.step_f64(&p, &mut s, input[k].to_f64(), &mut cx);
            let states = &mut self.states;
            s.each(|q, x| states[q][k] = E::of(x));
            match out {
                Spike::None => {}
                Spike::Mask(m) => self.spike[k] = m,
                Spike::Float(f) => self.spike[k] = f > 0.0,
            }
        }
    }
}

/// Whether `BRAINBURN_GENERIC_ONLY=1` asks the fused engine to run every model's generic step,
/// not its documented float32 lane override (read once; for measuring what an override gains,
/// `docs/benchmarks.md`).
pub fn overrides_off() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| std::env::var("BRAINBURN_GENERIC_ONLY").is_ok_and(|v| v == "1"))
}

/// The arguments of one step.
#[derive(Clone, Copy)]
struct Args<'a, E> {
    ts: &'a StepTime,
    input: &'a [E],
}

impl<'a, M: NeuronModel, E: HostFloat> NumKernel<E, Args<'a, E>> for ModelHost<M, E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, args: Args<'a, E>) {
        let Args { ts, input } = args;
        let (rows, num) = (self.rows, self.num);
        let ModelHost {
            model,
            params,
            all_scalar,
            states,
            spike,
            noise,
            xi,
            ..
        } = self;
        let shared: Option<M::Params<L>> =
            all_scalar.then(|| M::Params::<L>::from_source(&mut ParamLanes { params, j: 0 }));
        let has_noise = noise.is_some();
        let generic_only = overrides_off();
        let zero = E::of(0.0);
        for row in 0..rows {
            let o = row * num;
            let ir = &input[o..o + num];
            for j in (0..num).step_by(L::N) {
                let p = match &shared {
                    Some(p) => p.cloned(),
                    None => M::Params::<L>::from_source(&mut ParamLanes { params, j }),
                };
                let mut s = M::State::<L>::from_source(&mut StateLanes { states, o, num, j });
                let i = <L as Lanes>::load(ir, j, zero);
                let mut cx = HostCx {
                    t: ts.t,
                    dt: ts.dt,
                    noise: has_noise.then(|| <L as Lanes>::load(&xi[o..o + num], j, zero)),
                };
                let out = if generic_only {
                    model.step(&p, &mut s, i, &mut cx)
                } else {
                    model.step_lanes(&p, &mut s, i, &mut cx)
                };
                s.into_sink(&mut StoreLanes { states, o, num, j });
                match out {
                    Spike::None => {}
                    Spike::Mask(m) => store_mask::<L>(m, &mut spike[o..o + num], j),
                    Spike::Float(f) => {
                        let m = <L as Num>::gt(&f, &<L as Num>::cst(0.0));
                        store_mask::<L>(m, &mut spike[o..o + num], j)
                    }
                }
            }
        }
    }
}

impl<M: NeuronModel, E: HostFloat> HostGroup<E> for ModelHost<M, E> {
    fn update(&mut self, ts: &StepTime, input: &[E]) {
        if let Some(sigma) = &self.noise {
            noise_step(
                sigma,
                self.noise_seed,
                ts,
                self.rows,
                self.num,
                &mut self.xi,
            );
        }
        let zeros = std::mem::take(&mut self.zeros);
        let input = if M::INPUT { input } else { &zeros[..] };
        if self.f64_override {
            self.run_override(ts, input);
        } else {
            E::run_num_lanes(self, Args { ts, input });
        }
        self.zeros = zeros;
    }
    fn spike(&self) -> Option<&[bool]> {
        M::SPIKES.then_some(&self.spike[..])
    }
    fn v(&self) -> Option<&[E]> {
        self.v_index.map(|k| &self.states[k][..])
    }
    fn v_mut(&mut self) -> Option<&mut [E]> {
        self.v_index.map(|k| &mut self.states[k][..])
    }
    fn var(&self, key: &str) -> Option<HostSlice<'_, E>> {
        if key == "spike" {
            return M::SPIKES.then(|| HostSlice::b(&self.spike));
        }
        <M::State<f64> as Fields<f64>>::index_of(key).map(|k| HostSlice::f(&self.states[k]))
    }
}

/// The host step context of one vector of lanes (or one element, for the float64 override):
/// no gradients, so spikes are Heaviside steps.
struct HostCx<R> {
    t: f64,
    dt: f64,
    noise: Option<R>,
}

impl<R: Num> StepCx<R> for HostCx<R> {
    #[inline(always)]
    fn t(&self) -> f64 {
        self.t
    }
    #[inline(always)]
    fn dt(&self) -> f64 {
        self.dt
    }
    #[inline(always)]
    fn training(&self) -> bool {
        false
    }
    #[inline(always)]
    fn noise(&mut self) -> Option<R> {
        self.noise.clone()
    }
    #[inline(always)]
    fn spike(&mut self, x: R, _f: &SpikeFunction) -> R {
        heaviside(x)
    }
    #[inline(always)]
    fn crossing_spike(&mut self, x_new: R, x_old: R, _f: &TwoInputSurrogate) -> R {
        crossing(x_new, x_old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fused::lanes::F32x8;
    use crate::integrate::Method;
    use crate::neuron::{HhConfig, HhModel, LifConfig, LifModel, WangBuzsakiConfig, WbModel};

    /// The defaults of a config's parameters as lanes.
    fn defaults<M: NeuronModel, L: Lanes>(
        params: M::Params<crate::param::ParamSpec>,
    ) -> M::Params<L> {
        M::Params::<L>::from_fn(|k| {
            let v = params.field(k).as_scalar().expect("scalar default");
            <L as Num>::cst(v)
        })
    }

    /// One generic step of `model` from `state` at input 1, every state and the spike as bits.
    #[inline(always)]
    fn one<M: NeuronModel, L: Lanes<E = f32>>(
        model: &M,
        p: &M::Params<L>,
        mut s: M::State<L>,
        dt: f64,
        out: &mut Vec<Vec<u32>>,
    ) {
        let mut cx = HostCx {
            t: 1.0,
            dt,
            noise: None,
        };
        let spike = model.step(p, &mut s, <L as Num>::cst(1.0), &mut cx);
        let mut lanes: Vec<L> = Vec::new();
        s.each(|_, x| lanes.push(x));
        if let Spike::Mask(m) = spike {
            lanes.push(<L as Num>::from_mask(&m));
        }
        out.push(
            (0..L::N)
                .flat_map(|k| lanes.iter().map(move |x| x.lane(k).to_bits()))
                .collect(),
        );
    }

    /// Every lane value of one step of LIF, WB and HH (each method) on a sweep of V.
    #[inline(always)]
    fn sweep<L: Lanes<E = f32>>(xs: &[f32]) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        for c in xs.chunks(L::N) {
            let v = L::load(c, 0, -65.0);
            for method in [Method::ExpAuto, Method::Euler, Method::Rk2, Method::Rk4] {
                let cfg = WangBuzsakiConfig {
                    method,
                    ..Default::default()
                };
                let parts = WbModel::build(&cfg).expect("defaults");
                let p = defaults::<WbModel, L>(parts.params);
                let s = crate::neuron::WbState {
                    v,
                    h: <L as Num>::cst(0.6),
                    n: <L as Num>::cst(0.32),
                };
                one(&parts.model, &p, s, 0.01, &mut out);
                let cfg = HhConfig {
                    method,
                    ..Default::default()
                };
                let parts = HhModel::build(&cfg).expect("defaults");
                let p = defaults::<HhModel, L>(parts.params);
                let s = crate::neuron::HhState {
                    v,
                    m: <L as Num>::cst(0.05),
                    h: <L as Num>::cst(0.6),
                    n: <L as Num>::cst(0.32),
                };
                one(&parts.model, &p, s, 0.01, &mut out);
                let cfg = LifConfig {
                    method,
                    tau_ref: 2.0.into(),
                    ..Default::default()
                };
                let parts = LifModel::build(&cfg).expect("defaults");
                let p = defaults::<LifModel, L>(parts.params);
                let s = crate::neuron::LifState {
                    v: v * 0.3 + 20.0,
                    t_last_spike: <L as Num>::cst(-0.5),
                };
                one(&parts.model, &p, s, 0.1, &mut out);
            }
        }
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn sweep_avx2(xs: &[f32]) -> Vec<Vec<u32>> {
        sweep::<crate::fused::lanes::Avx8>(xs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    unsafe fn sweep_avx512(xs: &[f32]) -> Vec<Vec<u32>> {
        sweep::<crate::fused::lanes::Avx16>(xs)
    }

    /// Flattens per-chunk outputs of lanes of width `n` into per-element rows.
    fn per_element(chunks: Vec<Vec<u32>>, n: usize, len: usize, per_chunk: usize) -> Vec<Vec<u32>> {
        // chunks: for each input chunk, `per_chunk` model runs, each `n × q` values (lane-major).
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); len];
        for (ci, group) in chunks.chunks(per_chunk).enumerate() {
            for run in group {
                let q = run.len() / n;
                for k in 0..n {
                    let e = ci * n + k;
                    if e < len {
                        rows[e].extend_from_slice(&run[k * q..(k + 1) * q]);
                    }
                }
            }
        }
        rows
    }

    /// The sweep on the portable eight-lane type (the reference of the two tests below).
    fn portable_sweep(xs: &[f32], runs: usize) -> Vec<Vec<u32>> {
        let portable = per_element(sweep::<F32x8>(xs), 8, xs.len(), runs);
        assert!(
            portable
                .iter()
                .flatten()
                .all(|b| f32::from_bits(*b).is_finite())
        );
        portable
    }

    /// V from −100 to 105 mV (every branch of the rate functions and of exprel).
    fn sweep_vs() -> Vec<f32> {
        (0..4001).map(|k| -100.0 + k as f32 * 0.05126).collect()
    }

    /// The AVX2 lanes compute a model's generic step exactly as the portable lanes do (the
    /// same operations in the same order, no FMA): LIF, WB and HH, every method, over V from
    /// −100 to 105 mV. Reported as ignored when the building CPU has no AVX2 (`build.rs`);
    /// fails if it runs on a CPU without it.
    #[test]
    #[cfg_attr(
        not(brainburn_host_avx2),
        ignore = "the building CPU has no AVX2 (build.rs)"
    )]
    fn generic_steps_are_bit_identical_in_avx2_lanes() {
        let xs = sweep_vs();
        let portable = portable_sweep(&xs, 12);
        #[cfg(target_arch = "x86_64")]
        {
            assert!(
                std::arch::is_x86_feature_detected!("avx2"),
                "this CPU has no AVX2 (the build's had): rebuild here"
            );
            // SAFETY: the CPU has AVX2.
            let got = per_element(unsafe { sweep_avx2(&xs) }, 8, xs.len(), 12);
            assert_eq!(got, portable, "AVX2 lanes differ from the portable ones");
        }
        #[cfg(not(target_arch = "x86_64"))]
        panic!("AVX2 exists on x86_64 only ({portable:?} unused)");
    }

    /// The same for the AVX-512 lanes (sixteen f32 lanes). Reported as ignored when the
    /// building CPU has no AVX-512F/VL.
    #[test]
    #[cfg_attr(
        not(brainburn_host_avx512),
        ignore = "the building CPU has no AVX-512F/VL (build.rs)"
    )]
    fn generic_steps_are_bit_identical_in_avx512_lanes() {
        let xs = sweep_vs();
        let portable = portable_sweep(&xs, 12);
        #[cfg(target_arch = "x86_64")]
        {
            assert!(
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl"),
                "this CPU has no AVX-512F/VL (the build's had): rebuild here"
            );
            // SAFETY: the CPU has AVX-512F/VL.
            let got = per_element(unsafe { sweep_avx512(&xs) }, 16, xs.len(), 12);
            assert_eq!(got, portable, "AVX-512 lanes differ from the portable ones");
        }
        #[cfg(not(target_arch = "x86_64"))]
        panic!("AVX-512 exists on x86_64 only ({portable:?} unused)");
    }
}
