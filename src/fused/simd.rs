//! Run-time choice of the instruction set for the fused loops.
//!
//! The crate is built for the SSE2 baseline (changing RUSTFLAGS would rebuild Burn and break
//! other CPUs). Hot loops are `#[inline(always)]` functions called through [`dispatch`], which
//! runs them inside a `#[target_feature(enable = "avx2")]` function when the CPU has AVX2, so
//! LLVM inlines them there and emits 256-bit vector code; elsewhere they run as SSE2 code.
//! FMA is deliberately not enabled: Rust never contracts `a * b + c`, so both versions round
//! identically and results do not depend on the machine.

use std::sync::atomic::{AtomicU8, Ordering};

/// 0 = not probed, 1 = baseline, 2 = AVX2, 3 = AVX2 + AVX-512F/VL.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// The instruction-set level of this CPU (probed once; `BRAINBURN_NO_AVX2=1` forces the
/// baseline, `BRAINBURN_NO_AVX512=1` stops at AVX2).
fn level() -> u8 {
    match LEVEL.load(Ordering::Relaxed) {
        0 => {
            let env = |k: &str| std::env::var(k).is_ok_and(|v| v == "1");
            #[cfg(target_arch = "x86_64")]
            let l = if env("BRAINBURN_NO_AVX2") || !std::arch::is_x86_feature_detected!("avx2") {
                1
            } else if !env("BRAINBURN_NO_AVX512")
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vl")
            {
                3
            } else {
                2
            };
            #[cfg(not(target_arch = "x86_64"))]
            let l = {
                let _ = env;
                1
            };
            LEVEL.store(l, Ordering::Relaxed);
            l
        }
        l => l,
    }
}

/// Whether the AVX2 versions run.
pub fn has_avx2() -> bool {
    level() >= 2
}

/// Whether the AVX-512 versions (sixteen f32 lanes, 32 vector registers) run.
pub fn has_avx512() -> bool {
    level() >= 3
}

/// Runs `f` compiled for the best instruction set available (see the module docs).
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked by `has_avx2`).
        return unsafe { avx2(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// A kernel whose loop is written once over a lane type; [`super::HostFloat::run_lanes`]
/// instantiates it with the best lanes of the CPU (AVX2 or portable) and runs it.
pub trait LaneKernel<E, A> {
    /// The loop over lanes `L` (mark it `#[inline(always)]`, so that it compiles into the
    /// AVX2 version).
    fn run<L: super::lanes::Lanes<E = E>>(&mut self, args: A);
}

/// Runs `k` with AVX2 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn run_avx2<A, K: LaneKernel<f32, A>>(k: &mut K, args: A) {
    k.run::<super::lanes::Avx8>(args)
}

/// Runs `k` with AVX-512 lanes (sixteen f32).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
pub(crate) unsafe fn run_avx512<A, K: LaneKernel<f32, A>>(k: &mut K, args: A) {
    k.run::<super::lanes::Avx16>(args)
}

/// A kernel written once over lanes that are also [`Num`](crate::math::Num)s — a model's
/// generic step; [`super::HostFloat::run_num_lanes`] runs it with the best lanes of the CPU.
pub trait NumKernel<E, A> {
    /// The loop over lanes `L` (mark it `#[inline(always)]`, so that it compiles into the
    /// AVX2 / AVX-512 versions).
    fn run<L: super::lanes::Lanes<E = E>>(&mut self, args: A);
}

/// Runs `k` with AVX2 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn run_num_avx2<A, K: NumKernel<f32, A>>(k: &mut K, args: A) {
    k.run::<super::lanes::Avx8>(args)
}

/// Runs `k` with AVX-512 lanes (sixteen f32).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
pub(crate) unsafe fn run_num_avx512<A, K: NumKernel<f32, A>>(k: &mut K, args: A) {
    k.run::<super::lanes::Avx16>(args)
}
