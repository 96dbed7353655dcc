//! Hand-written plain Rust loops doing the arithmetic of one fused LIF / Wang–Buzsáki / HH
//! step (float32, `exp_auto`, scalar parameters) on plain `Vec<f32>` state: the reference of
//! target 3 ("a fused step ≤ 1.5× a plain Rust loop doing the same arithmetic on the same
//! data"). One element at a time, no intrinsics. Each loop exists twice: `step` compiled for
//! the crate's SSE2 baseline (what a user writing the loop by hand gets), and `step_native`,
//! the same code compiled for the instruction set the fused step runs with on this CPU
//! (`#[target_feature]` copies for AVX2 and AVX-512F/VL, chosen at run time by
//! `brainburn::fused::simd::has_avx512` / `has_avx2`, as the fused engine chooses its lanes),
//! so that a fused/plain ratio compares like with like. `EXP = cephes` uses the same
//! polynomial exponential as the fused kernels (LLVM may vectorise such a loop itself);
//! `EXP = libm` calls `f32::exp` (the usual hand-written loop).
#![allow(dead_code)]
// `!(v >= v_th)` as in the kernels: a NaN V counts as below threshold.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

/// Cephes `expf` on one value (the fused lanes' polynomial, scalar).
#[inline(always)]
pub fn expf_cephes(x: f32) -> f32 {
    let x = x.clamp(-87.336_55, 88.722_83);
    const MAGIC: f32 = 12_582_912.0;
    let tm = x * std::f32::consts::LOG2_E + MAGIC;
    let n = tm - MAGIC;
    let ni = tm.to_bits() as i32 - MAGIC.to_bits() as i32;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 0.166_666_65)
        * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    let h = ni >> 1;
    let a = f32::from_bits(((h + 127) as u32) << 23);
    let b = f32::from_bits(((ni - h + 127) as u32) << 23);
    y * a * b
}

/// The exponential a plain loop uses.
pub trait Exp {
    fn exp(x: f32) -> f32;
}
/// The fused kernels' polynomial.
pub struct Cephes;
/// The standard library's.
pub struct Libm;
impl Exp for Cephes {
    #[inline(always)]
    fn exp(x: f32) -> f32 {
        expf_cephes(x)
    }
}
impl Exp for Libm {
    #[inline(always)]
    fn exp(x: f32) -> f32 {
        x.exp()
    }
}

/// Adds `step_native`: `step` compiled for the fused engine's instruction set on this CPU.
macro_rules! native_step {
    ($T:ident, $name:ident ($($arg:ident: $ty:ty),*) $(, $X:ident)?) => {
        impl $T {
            /// [`Self::step`], compiled for the instruction set the fused step uses here
            /// (AVX-512F/VL, AVX2 or the SSE2 baseline, selected at run time).
            pub fn step_native$(<$X: Exp>)?(&mut self, $($arg: $ty),*) {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx2,avx512f,avx512vl")]
                    fn avx512$(<$X: Exp>)?(p: &mut $T, $($arg: $ty),*) {
                        p.$name$(::<$X>)?($($arg),*)
                    }
                    #[target_feature(enable = "avx2")]
                    fn avx2$(<$X: Exp>)?(p: &mut $T, $($arg: $ty),*) {
                        p.$name$(::<$X>)?($($arg),*)
                    }
                    if brainburn::fused::simd::has_avx512() {
                        // SAFETY: the CPU has AVX-512F/VL (checked above).
                        return unsafe { avx512$(::<$X>)?(self, $($arg),*) };
                    }
                    if brainburn::fused::simd::has_avx2() {
                        // SAFETY: the CPU has AVX2 (checked above).
                        return unsafe { avx2$(::<$X>)?(self, $($arg),*) };
                    }
                }
                self.$name$(::<$X>)?($($arg),*)
            }
        }
    };
}

native_step!(Lif, step_inline(t: f32, dt: f64));
native_step!(Wb, step_inline(dt: f32), X);
native_step!(Hh, step_inline(dt: f32), X);

/// `(eˣ − 1)/x`: series below |x| = 1, the quotient above.
#[inline(always)]
fn exprel<X: Exp>(x: f32) -> f32 {
    if x.abs() < 1.0 / 16.0 {
        1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x / 120.0)))
    } else if x.abs() < 1.0 {
        let mut s = 1.0 / 39916800.0f32;
        for c in [
            1.0 / 3628800.0,
            1.0 / 362880.0,
            1.0 / 40320.0,
            1.0 / 5040.0,
            1.0 / 720.0,
            1.0 / 120.0,
            1.0 / 24.0,
            1.0 / 6.0,
            0.5,
            1.0,
        ] {
            s = s * x + c;
        }
        s
    } else {
        (X::exp(x) - 1.0) / x
    }
}

/// `x/(eˣ − 1)` and its derivative, from `ex = eˣ`.
#[inline(always)]
fn x_over_expm1<X: Exp>(x: f32, ex: f32) -> (f32, f32) {
    if x.abs() < 1.0 {
        let e = exprel::<X>(x);
        let mut d = 11.0 / 479001600.0f32;
        for c in [
            10.0 / 39916800.0,
            9.0 / 3628800.0,
            8.0 / 362880.0,
            7.0 / 40320.0,
            6.0 / 5040.0,
            5.0 / 720.0,
            4.0 / 120.0,
            3.0 / 24.0,
            2.0 / 6.0,
            0.5,
        ] {
            d = d * x + c;
        }
        let a = 1.0 / e;
        (a, -(d * a * a))
    } else {
        let inv = 1.0 / (ex - 1.0);
        let a = x * inv;
        (a, inv * (1.0 - a * ex))
    }
}

/// LIF state.
pub struct Lif {
    pub v: Vec<f32>,
    pub t_last: Vec<f32>,
    pub spike: Vec<bool>,
    pub input: Vec<f32>,
}

impl Lif {
    pub fn new(n: usize) -> Self {
        Lif {
            v: (0..n).map(|j| 20.0 * (j as f32 / n as f32)).collect(),
            t_last: vec![-1e7; n],
            spike: vec![false; n],
            input: vec![25.0; n],
        }
    }

    /// One exp_auto step of BrainPy's LIF (V_rest 0, R 1, τ 10, τ_ref 0, V_th 20, V_reset −5),
    /// compiled for the baseline.
    pub fn step(&mut self, t: f32, dt: f64) {
        self.step_inline(t, dt)
    }

    #[inline(always)]
    fn step_inline(&mut self, t: f32, dt: f64) {
        let (v_rest, r, tau, tau_ref, v_th, v_reset) =
            (0.0f32, 1.0f32, 10.0f32, 0.0f32, 20.0f32, -5.0f32);
        let c = ((-dt / 10.0).exp_m1() / (-dt / 10.0) * dt) as f32;
        for j in 0..self.v.len() {
            let v = self.v[j];
            let mut v1 = v + (-v + v_rest + r * self.input[j]) / tau * c;
            if -self.t_last[j] + t <= tau_ref {
                v1 = v;
            }
            let fired = v1 >= v_th;
            self.spike[j] = fired;
            self.v[j] = if fired { v_reset } else { v1 };
            if fired {
                self.t_last[j] = t;
            }
        }
    }
}

/// Wang–Buzsáki state.
pub struct Wb {
    pub v: Vec<f32>,
    pub h: Vec<f32>,
    pub n: Vec<f32>,
    pub spike: Vec<bool>,
    pub input: Vec<f32>,
}

impl Wb {
    pub fn new(n: usize) -> Self {
        Wb {
            v: (0..n)
                .map(|j| -70.0 + 20.0 * (j as f32 / n as f32))
                .collect(),
            h: vec![0.6; n],
            n: vec![0.32; n],
            spike: vec![false; n],
            input: vec![1.0; n],
        }
    }

    /// One exp_auto step with BrainPy's default parameters (the fused kernel's arithmetic),
    /// compiled for the baseline.
    pub fn step<X: Exp>(&mut self, dt: f32) {
        self.step_inline::<X>(dt)
    }

    #[inline(always)]
    fn step_inline<X: Exp>(&mut self, dt: f32) {
        let (e_na, g_na, e_k, g_k, e_l, g_l, phi, inv_c, v_th) = (
            55.0f32, 35.0f32, -90.0f32, 9.0f32, -65.0f32, 0.1f32, 5.0f32, 1.0f32, 20.0f32,
        );
        let (e01, e07) = (0.1f32.exp(), 0.7f32.exp());
        for j in 0..self.v.len() {
            let (v, h, n, i) = (self.v[j], self.h[j], self.n[j], self.input[j]);
            let xm = (v + 35.0) * -0.1;
            let em = X::exp(xm);
            let (am, am_dx) = x_over_expm1::<X>(xm, em);
            let am_d = am_dx * -0.1;
            let bm = X::exp((v + 60.0) * (-1.0 / 18.0)) * 4.0;
            let bm_d = bm * (-1.0 / 18.0);
            let q = 1.0 / (am + bm);
            let m = am * q;
            let m_d = (am_d - m * (am_d + bm_d)) * q;
            let ah = X::exp((v + 58.0) * (-1.0 / 20.0)) * 0.07;
            let bh = 1.0 / (em * e07 + 1.0);
            let xn = (v + 34.0) * -0.1;
            let an = x_over_expm1::<X>(xn, em * e01).0 * 0.1;
            let bn = X::exp((v + 44.0) * (-1.0 / 80.0)) * 0.125;
            let m2 = m * m;
            let m3 = m * m2;
            let n2 = n * n;
            let n4 = n2 * n2;
            let dna = v - e_na;
            let gk_n4 = g_k * n4;
            let fv = (-(g_na * m3 * h * dna) - gk_n4 * (v - e_k) - g_l * (v - e_l) + i) * inv_c;
            let av = (-(g_na * h * (m_d * m2 * 3.0 * dna + m3)) - gk_n4 - g_l) * inv_c;
            let fh = phi * (ah * (1.0 - h) - bh * h);
            let a_h = -(ah + bh) * phi;
            let fnn = phi * (an * (1.0 - n) - bn * n);
            let a_n = -(an + bn) * phi;
            let v1 = v + exprel::<X>(av * dt) * dt * fv;
            self.h[j] = h + exprel::<X>(a_h * dt) * dt * fh;
            self.n[j] = n + exprel::<X>(a_n * dt) * dt * fnn;
            self.spike[j] = v1 >= v_th && !(v >= v_th);
            self.v[j] = v1;
        }
    }
}

/// Classic HH state.
pub struct Hh {
    pub v: Vec<f32>,
    pub m: Vec<f32>,
    pub h: Vec<f32>,
    pub n: Vec<f32>,
    pub spike: Vec<bool>,
    pub input: Vec<f32>,
}

impl Hh {
    pub fn new(n: usize) -> Self {
        Hh {
            v: (0..n)
                .map(|j| -70.0 + 10.0 * (j as f32 / n as f32))
                .collect(),
            m: vec![0.05; n],
            h: vec![0.6; n],
            n: vec![0.32; n],
            spike: vec![false; n],
            input: vec![1.0; n],
        }
    }

    /// One exp_auto step with BrainPy's default parameters (the fused kernel's arithmetic),
    /// compiled for the baseline.
    pub fn step<X: Exp>(&mut self, dt: f32) {
        self.step_inline::<X>(dt)
    }

    #[inline(always)]
    fn step_inline<X: Exp>(&mut self, dt: f32) {
        let (e_na, g_na, e_k, g_k, e_l, g_l, inv_c, v_th) = (
            50.0f32, 120.0f32, -77.0f32, 36.0f32, -54.387f32, 0.03f32, 1.0f32, 20.0f32,
        );
        let (e05, e_15) = (0.5f32.exp(), (-1.5f32).exp());
        let gate = |x: f32, a: f32, b: f32| {
            let f = a * (1.0 - x) - b * x;
            x + exprel::<X>(-(a + b) * dt) * dt * f
        };
        for j in 0..self.v.len() {
            let (v, m, h, n, i) = (self.v[j], self.m[j], self.h[j], self.n[j], self.input[j]);
            let xm = (v + 40.0) * (-1.0 / 10.0);
            let em = X::exp(xm);
            let am = x_over_expm1::<X>(xm, em).0;
            let u = v + 65.0;
            let bm = X::exp(u * (-1.0 / 18.0)) * 4.0;
            let ah = X::exp(u * (-1.0 / 20.0)) * 0.07;
            let bh = 1.0 / (em * e05 + 1.0);
            let xn = (v + 55.0) * (-1.0 / 10.0);
            let an = x_over_expm1::<X>(xn, em * e_15).0 * 0.1;
            let bn = X::exp(u * (-1.0 / 80.0)) * 0.125;
            let m3 = m * (m * m);
            let n2 = n * n;
            let n4 = n2 * n2;
            let gna = g_na * m3 * h;
            let gk = g_k * n4;
            let fv = (-(gna * (v - e_na)) - gk * (v - e_k) - g_l * (v - e_l) + i) * inv_c;
            let av = (-gna - gk - g_l) * inv_c;
            let v1 = v + exprel::<X>(av * dt) * dt * fv;
            self.m[j] = gate(m, am, bm);
            self.h[j] = gate(h, ah, bh);
            self.n[j] = gate(n, an, bn);
            self.spike[j] = v1 >= v_th && !(v >= v_th);
            self.v[j] = v1;
        }
    }
}
