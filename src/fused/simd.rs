//! Run-time choice of the instruction set for the fused loops.
//!
//! The crate is built for the SSE2 baseline (changing RUSTFLAGS would rebuild Burn and break
//! other CPUs). Hot loops are `#[inline(always)]` functions called through [`dispatch`], which
//! runs them inside a `#[target_feature(enable = "avx2")]` function when the CPU has AVX2, so
//! LLVM inlines them there and emits 256-bit vector code; elsewhere they run as SSE2 code.
//! FMA is deliberately not enabled: Rust never contracts `a * b + c`, so both versions round
//! identically and results do not depend on the machine.

use std::sync::atomic::{AtomicU8, Ordering};

/// 0 = not probed, 1 = baseline, 2 = AVX2.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Whether the AVX2 versions run (probed once; `BRAINBURN_NO_AVX2=1` forces the baseline).
pub fn has_avx2() -> bool {
    match LEVEL.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let forced_off = std::env::var("BRAINBURN_NO_AVX2").is_ok_and(|v| v == "1");
            #[cfg(target_arch = "x86_64")]
            let yes = !forced_off && std::arch::is_x86_feature_detected!("avx2");
            #[cfg(not(target_arch = "x86_64"))]
            let yes = {
                let _ = forced_off;
                false
            };
            LEVEL.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
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
