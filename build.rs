//! Build-time switches that make skipped tests visible in the test summary (issue 18): a test
//! that cannot run here is compiled as `#[ignore]`d (counted as "ignored" by the harness)
//! instead of returning early as a pass.
//!
//! * `brainburn_no_wgpu`: set when `BRAINBURN_NO_WGPU=1` and not `CI=true`. The wgpu test
//!   binary then compiles no wgpu cases and reports one ignored test naming the reason; without
//!   it a missing adapter fails the wgpu cases (and always under `CI=true`).
//! * `brainburn_host_avx2`, `brainburn_host_avx512`: the building CPU has AVX2 / AVX-512F+VL
//!   (x86_64 builds for the host only); the lane bit-identity checks of that level are
//!   `#[ignore]`d without them.

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(brainburn_no_wgpu)");
    println!("cargo::rustc-check-cfg=cfg(brainburn_host_avx2)");
    println!("cargo::rustc-check-cfg=cfg(brainburn_host_avx512)");
    println!("cargo::rerun-if-env-changed=BRAINBURN_NO_WGPU");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-changed=build.rs");

    let ci = env::var("CI").is_ok_and(|v| v == "true");
    if env::var("BRAINBURN_NO_WGPU").is_ok_and(|v| v == "1") {
        if ci {
            println!(
                "cargo::warning=BRAINBURN_NO_WGPU=1 is ignored under CI=true: the wgpu cases are compiled and need an adapter"
            );
        } else {
            println!("cargo::rustc-cfg=brainburn_no_wgpu");
        }
    }

    // The features of the CPU running this build script, when the build is for this machine.
    let native = env::var("HOST").ok() == env::var("TARGET").ok();
    #[cfg(target_arch = "x86_64")]
    if native {
        if std::arch::is_x86_feature_detected!("avx2") {
            println!("cargo::rustc-cfg=brainburn_host_avx2");
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            println!("cargo::rustc-cfg=brainburn_host_avx512");
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = native;
}
