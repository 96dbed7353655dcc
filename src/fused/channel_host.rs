//! The fused engine's kernel for any [`ChannelModel`]: the channel's one definition on lanes.
//!
//! A [`ChannelHost`] holds one channel's parameters and gates of a
//! [`CondNeuGroup`](crate::neuron::CondNeuGroup) as host arrays and offers the group's kernel
//! ([`super::cond_host`]) the two things a step needs, each one pass over the group in the best
//! lanes of the CPU: the current (and its derivative along V, by dual numbers) at a membrane
//! potential, and one step of the gates at the old V. Library and user channels run through
//! it alike; the group calls each channel once per pass through the [`HostChannel`] trait.

use super::host::{HParam, HostFloat, ParamLanes, StateLanes, StoreLanes, read_float};
use super::lanes::Lanes;
use super::simd::NumKernel;
use crate::channel::{ChannelModel, cast_fields, step_gates};
use crate::dynamics::{Core, StepTime};
use crate::error::Result;
use crate::math::Dual;
use crate::model::Fields;

/// One channel of a group on host arrays (`rows × num`, row-major).
pub trait HostChannel<E: HostFloat>: Send {
    /// Adds the current at `v` into `sum`; with `dsum`, also its derivative along V — written
    /// into `dsum` when `first` (the first channel), added to it otherwise.
    fn add_current(&mut self, v: &[E], sum: &mut [E], dsum: Option<(&mut [E], bool)>);
    /// One step of the gates with the channel's method at the old membrane potential `v`.
    fn step_gates(&mut self, v: &[E], ts: &StepTime);
    /// The gate `key` (the channel's local key, `p`).
    fn gate(&self, key: &str) -> Option<&[E]>;
}

/// A channel kernel in the group's precision.
pub enum HostChannelKernel {
    /// float32.
    F32(Box<dyn HostChannel<f32>>),
    /// float64.
    F64(Box<dyn HostChannel<f64>>),
}

/// A [`ChannelModel`] on host arrays (see the module docs).
pub struct ChannelHost<C: ChannelModel, E: HostFloat> {
    channel: C,
    rows: usize,
    num: usize,
    params: Vec<HParam<E>>,
    all_scalar: bool,
    gates: Vec<Vec<E>>,
}

impl<C: ChannelModel, E: HostFloat> ChannelHost<C, E> {
    /// The kernel of `channel` in the group `core`, its parameters and gates under
    /// `prefix.key`.
    pub fn new(channel: &C, core: &Core, prefix: &str) -> Result<Self> {
        let rows = core.states.rows();
        let num = core.states.get("V").dims()[1];
        let params = <C::Params<f64> as Fields<f64>>::KEYS
            .iter()
            .map(|k| HParam::of_core(core, &format!("{prefix}.{k}"), num))
            .collect::<Result<Vec<_>>>()?;
        let gates = <C::Gates<f64> as Fields<f64>>::KEYS
            .iter()
            .map(|k| read_float::<E>(core, &format!("{prefix}.{k}")))
            .collect::<Result<Vec<_>>>()?;
        Ok(ChannelHost {
            channel: channel.clone(),
            rows,
            num,
            all_scalar: params.iter().all(|p| p.scalar().is_some()),
            params,
            gates,
        })
    }
}

/// The arguments of a current pass.
struct CurrentArgs<'a, E> {
    v: &'a [E],
    sum: &'a mut [E],
    dsum: Option<(&'a mut [E], bool)>,
}

/// The arguments of a gate pass.
struct GateArgs<'a, E> {
    v: &'a [E],
    ts: &'a StepTime,
}

impl<'a, C: ChannelModel, E: HostFloat> NumKernel<E, CurrentArgs<'a, E>> for ChannelHost<C, E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, args: CurrentArgs<'a, E>) {
        let CurrentArgs { v, sum, mut dsum } = args;
        let (rows, num) = (self.rows, self.num);
        let shared: Option<C::Params<L>> = self.all_scalar.then(|| {
            C::Params::<L>::from_source(&mut ParamLanes {
                params: &self.params,
                j: 0,
            })
        });
        let zero = E::of(0.0);
        for row in 0..rows {
            let o = row * num;
            for j in (0..num).step_by(L::N) {
                let p = match &shared {
                    Some(p) => p.cloned(),
                    None => C::Params::<L>::from_source(&mut ParamLanes {
                        params: &self.params,
                        j,
                    }),
                };
                let g = C::Gates::<L>::from_source(&mut StateLanes {
                    states: &self.gates,
                    o,
                    num,
                    j,
                });
                let vr = &v[o..o + num];
                let x = L::load(vr, j, vr[0]);
                let sr = &mut sum[o..o + num];
                let s0 = L::load(sr, j, zero);
                match &mut dsum {
                    None => {
                        let i = self.channel.current(x, &g, &p);
                        (s0 + i).store(sr, j);
                    }
                    Some((d, first)) => {
                        let gd: C::Gates<Dual<L>> = cast_fields(&g);
                        let pd: C::Params<Dual<L>> = cast_fields(&p);
                        let i = self.channel.current(Dual::var(x), &gd, &pd);
                        (s0 + i.v).store(sr, j);
                        let dr = &mut d[o..o + num];
                        let di = i.d.unwrap_or_else(|| L::cst(0.0));
                        if *first {
                            di.store(dr, j);
                        } else {
                            (L::load(dr, j, zero) + di).store(dr, j);
                        }
                    }
                }
            }
        }
    }
}

impl<'a, C: ChannelModel, E: HostFloat> NumKernel<E, GateArgs<'a, E>> for ChannelHost<C, E> {
    #[inline(always)]
    fn run<L: Lanes<E = E>>(&mut self, args: GateArgs<'a, E>) {
        let GateArgs { v, ts } = args;
        let (rows, num) = (self.rows, self.num);
        let shared: Option<C::Params<L>> = self.all_scalar.then(|| {
            C::Params::<L>::from_source(&mut ParamLanes {
                params: &self.params,
                j: 0,
            })
        });
        for row in 0..rows {
            let o = row * num;
            for j in (0..num).step_by(L::N) {
                let p = match &shared {
                    Some(p) => p.cloned(),
                    None => C::Params::<L>::from_source(&mut ParamLanes {
                        params: &self.params,
                        j,
                    }),
                };
                let gates = &mut self.gates;
                let g = C::Gates::<L>::from_source(&mut StateLanes {
                    states: gates,
                    o,
                    num,
                    j,
                });
                let vr = &v[o..o + num];
                let x = L::load(vr, j, vr[0]);
                step_gates(&self.channel, x, g, &p, ts).into_sink(&mut StoreLanes {
                    states: gates,
                    o,
                    num,
                    j,
                });
            }
        }
    }
}

impl<C: ChannelModel, E: HostFloat> HostChannel<E> for ChannelHost<C, E> {
    fn add_current(&mut self, v: &[E], sum: &mut [E], dsum: Option<(&mut [E], bool)>) {
        E::run_num_lanes(self, CurrentArgs { v, sum, dsum });
    }
    fn step_gates(&mut self, v: &[E], ts: &StepTime) {
        if !self.gates.is_empty() {
            E::run_num_lanes(self, GateArgs { v, ts });
        }
    }
    fn gate(&self, key: &str) -> Option<&[E]> {
        <C::Gates<f64> as Fields<f64>>::index_of(key).map(|k| &self.gates[k][..])
    }
}
