use crate::math::{Dual, Num};

use super::Method;

/// A system of ordinary differential equations `dxᵢ/dt = fᵢ(x, t)`.
///
/// `R` is the value type of the states (tensors, floats). `derivative` is generic over the
/// number type `T` it is evaluated in: the integrator calls it with `T = R` and, for
/// `exp_auto`, with dual numbers `T = Dual<R>`; parameters held as `R` enter with `T::from`.
pub trait OdeSystem<R: Num> {
    /// Number of state variables.
    fn n_vars(&self) -> usize;

    /// `dxᵢ/dt` for variable `i` at states `x` (all variables) and time `t`.
    fn derivative<T: Num + From<R>>(&self, i: usize, x: &[T], t: f64) -> T;
}

/// The two evaluations of a right-hand side the integrators make — in the state type `R` and
/// on dual numbers over it — as an object-safe trait.
///
/// Every [`OdeSystem`] has them (blanket impl); implement this trait directly only for a system
/// whose right-hand side goes through trait objects and therefore cannot be generic over the
/// number type (a `CondNeuGroup` summing the currents of its `dyn Channel`s).
pub trait OdeRhs<R: Num> {
    /// Number of state variables.
    fn n_equations(&self) -> usize;
    /// `dxᵢ/dt` in the state type.
    fn rhs(&self, i: usize, x: &[R], t: f64) -> R;
    /// `dxᵢ/dt` on dual numbers (the value and the derivative along the seeded variable).
    fn rhs_dual(&self, i: usize, x: &[Dual<R>], t: f64) -> Dual<R>;
}

impl<R: Num, S: OdeSystem<R>> OdeRhs<R> for S {
    #[inline(always)]
    fn n_equations(&self) -> usize {
        self.n_vars()
    }
    #[inline(always)]
    fn rhs(&self, i: usize, x: &[R], t: f64) -> R {
        self.derivative::<R>(i, x, t)
    }
    #[inline(always)]
    fn rhs_dual(&self, i: usize, x: &[Dual<R>], t: f64) -> Dual<R> {
        self.derivative::<Dual<R>>(i, x, t)
    }
}

/// Values by index, for building containers in the hot loops without a closure: its method is
/// `#[inline(always)]` where implemented, so it always inlines into the SIMD kernels (a
/// closure the optimiser does not inline would run as a scalar-ISA call there).
pub trait Source<D> {
    /// Value `i`.
    fn get(&mut self, i: usize) -> D;
}

/// A closure as a [`Source`] (for code off the hot path).
pub struct FnSource<F>(pub F);

impl<D, F: FnMut(usize) -> D> Source<D> for FnSource<F> {
    #[inline(always)]
    fn get(&mut self, i: usize) -> D {
        (self.0)(i)
    }
}

/// A fixed or growable list of per-variable values: `Vec<R>` (tensors, any number of
/// variables) or `[R; N]` (the allocation-free fused host loops). The integration algorithms
/// are written once over it.
pub trait Vars<R>: Sized {
    /// The same container holding another type.
    type Of<D>: Vars<D>;
    /// Number of variables.
    fn n(&self) -> usize;
    /// The values as a slice.
    fn as_slice(&self) -> &[R];
    /// The values as a mutable slice.
    fn as_mut_slice(&mut self) -> &mut [R];
    /// A container of `n` values `src.get(0), src.get(1), ...` (`n` equals `self.n()`).
    fn build_with<D>(&self, src: &mut impl Source<D>) -> Self::Of<D>;
    /// A container of `n` values `f(0), f(1), ...` (off the hot path: see [`Source`]).
    #[inline(always)]
    fn build<D>(&self, f: impl FnMut(usize) -> D) -> Self::Of<D> {
        self.build_with(&mut FnSource(f))
    }
}

impl<R> Vars<R> for Vec<R> {
    type Of<D> = Vec<D>;
    #[inline(always)]
    fn n(&self) -> usize {
        self.len()
    }
    #[inline(always)]
    fn as_slice(&self) -> &[R] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [R] {
        self
    }
    #[inline(always)]
    fn build_with<D>(&self, src: &mut impl Source<D>) -> Vec<D> {
        (0..self.len()).map(|i| src.get(i)).collect()
    }
}

impl<R, const N: usize> Vars<R> for [R; N] {
    type Of<D> = [D; N];
    #[inline(always)]
    fn n(&self) -> usize {
        N
    }
    #[inline(always)]
    fn as_slice(&self) -> &[R] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [R] {
        self
    }
    #[inline(always)]
    fn build_with<D>(&self, src: &mut impl Source<D>) -> [D; N] {
        // Not `std::array::from_fn`: it is not always inlined, and what it builds must inline
        // into the SIMD kernels that call it.
        let mut slots: [Option<D>; N] = [const { None }; N];
        for (i, slot) in slots.iter_mut().enumerate() {
            *slot = Some(src.get(i));
        }
        slots.map(|s| s.unwrap_or_else(|| unreachable!("every slot was filled above")))
    }
}

/// One step of `method` from states `x` at time `t` over `dt`; returns the new states.
pub fn integrate<R: Num, S: OdeRhs<R> + ?Sized>(
    sys: &S,
    method: Method,
    x: &[R],
    t: f64,
    dt: f64,
) -> Vec<R> {
    integrate_vars(sys, method, x.to_vec(), t, dt)
}

/// [`integrate`] on a fixed-size array of variables: no allocation (the fused host loops).
#[inline(always)]
pub fn integrate_array<R: Num, S: OdeRhs<R> + ?Sized, const N: usize>(
    sys: &S,
    method: Method,
    x: [R; N],
    t: f64,
    dt: f64,
) -> [R; N] {
    integrate_vars(sys, method, x, t, dt)
}

/// [`integrate`] on any fixed container of variables ([`Vars`]: an array, or a model's declared
/// states or gates): no allocation.
///
/// The algorithms are written as loops over the variables rather than closures: the fused
/// engine compiles a model's whole step into its AVX2/AVX-512 loops, and a closure the
/// optimiser does not inline would run as a scalar-ISA call.
#[inline(always)]
pub fn integrate_vars<R: Num, S: OdeRhs<R> + ?Sized, V: Vars<R, Of<R> = V>>(
    sys: &S,
    method: Method,
    x: V,
    t: f64,
    dt: f64,
) -> V {
    assert_eq!(
        x.n(),
        sys.n_equations(),
        "state count must equal the system's variable count"
    );
    match method {
        Method::ExpAuto => exp_auto(sys, &x, t, dt),
        Method::Euler => {
            let k1 = eval(sys, &x, t);
            axpy(&x, &k1, dt)
        }
        Method::Rk2 => two_stage(sys, &x, t, dt, 2.0 / 3.0),
        Method::Heun2 => two_stage(sys, &x, t, dt, 1.0),
        Method::Midpoint => two_stage(sys, &x, t, dt, 0.5),
        Method::Rk4 => rk4(sys, &x, t, dt),
    }
}

/// A copy of the variables.
#[inline(always)]
fn copy<R: Clone, V: Vars<R, Of<R> = V>>(x: &V) -> V {
    x.build_with(&mut Copies(x.as_slice()))
}

/// The values of a slice, cloned (a [`Source`]).
pub struct Copies<'a, R>(pub &'a [R]);

impl<R: Clone> Source<R> for Copies<'_, R> {
    #[inline(always)]
    fn get(&mut self, i: usize) -> R {
        self.0[i].clone()
    }
}

/// The variables as dual numbers seeded along variable `seed`.
struct Seeded<'a, R> {
    xs: &'a [R],
    seed: usize,
}

impl<R: Num> Source<Dual<R>> for Seeded<'_, R> {
    #[inline(always)]
    fn get(&mut self, j: usize) -> Dual<R> {
        if j == self.seed {
            Dual::var(self.xs[j].clone())
        } else {
            Dual::cst(self.xs[j].clone())
        }
    }
}

/// The right-hand side of every variable at `x`.
#[inline(always)]
fn eval<R: Num, S: OdeRhs<R> + ?Sized, V: Vars<R, Of<R> = V>>(sys: &S, x: &V, t: f64) -> V {
    let mut k = copy(x);
    let ks = k.as_mut_slice();
    for (i, k) in ks.iter_mut().enumerate() {
        *k = sys.rhs(i, x.as_slice(), t);
    }
    k
}

/// `x + a·k` elementwise over the variables.
#[inline(always)]
fn axpy<R: Num, V: Vars<R, Of<R> = V>>(x: &V, k: &V, a: f64) -> V {
    let mut y = copy(x);
    let ks = k.as_slice();
    for (i, yi) in y.as_mut_slice().iter_mut().enumerate() {
        *yi = yi.clone() + ks[i].clone() * a;
    }
    y
}

#[inline(always)]
fn exp_auto<R: Num, S: OdeRhs<R> + ?Sized, V: Vars<R, Of<R> = V>>(
    sys: &S,
    x: &V,
    t: f64,
    dt: f64,
) -> V {
    let xs = x.as_slice();
    let mut out = copy(x);
    let os = out.as_mut_slice();
    for i in 0..os.len() {
        let duals = x.build_with(&mut Seeded { xs, seed: i });
        let y = sys.rhs_dual(i, duals.as_slice(), t);
        let f = y.v;
        os[i] = match y.d {
            // A = 0 exactly: φ = 1, plain Euler.
            None => xs[i].clone() + f * dt,
            Some(a) => xs[i].clone() + (a * dt).exprel() * dt * f,
        };
    }
    out
}

/// Generic explicit two-stage Runge–Kutta with parameter β (BrainPy's `rk2` tableau:
/// c = (0, β), a₂₁ = β, b = (1 − 1/(2β), 1/(2β))).
#[inline(always)]
fn two_stage<R: Num, S: OdeRhs<R> + ?Sized, V: Vars<R, Of<R> = V>>(
    sys: &S,
    x: &V,
    t: f64,
    dt: f64,
    beta: f64,
) -> V {
    let k1 = eval(sys, x, t);
    let x2 = axpy(x, &k1, beta * dt);
    let k2 = eval(sys, &x2, t + beta * dt);
    let b2 = 1.0 / (2.0 * beta);
    let b1 = 1.0 - b2;
    let (k1, k2) = (k1.as_slice(), k2.as_slice());
    let mut out = copy(x);
    for (i, o) in out.as_mut_slice().iter_mut().enumerate() {
        *o = o.clone() + (k1[i].clone() * b1 + k2[i].clone() * b2) * dt;
    }
    out
}

#[inline(always)]
fn rk4<R: Num, S: OdeRhs<R> + ?Sized, V: Vars<R, Of<R> = V>>(sys: &S, x: &V, t: f64, dt: f64) -> V {
    let k1 = eval(sys, x, t);
    let k2 = eval(sys, &axpy(x, &k1, dt / 2.0), t + dt / 2.0);
    let k3 = eval(sys, &axpy(x, &k2, dt / 2.0), t + dt / 2.0);
    let k4 = eval(sys, &axpy(x, &k3, dt), t + dt);
    let (k1, k2, k3, k4) = (k1.as_slice(), k2.as_slice(), k3.as_slice(), k4.as_slice());
    let mut out = copy(x);
    for (i, o) in out.as_mut_slice().iter_mut().enumerate() {
        let s = k1[i].clone() + k2[i].clone() * 2.0 + k3[i].clone() * 2.0 + k4[i].clone();
        *o = o.clone() + s * (dt / 6.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dx/dt = -x³ + sin(t) + a, the oracle's one-variable case (checked against BrainPy in
    /// `tests/parity_f64.rs`); here only the Euler and A = 0 algebra.
    struct Cubic {
        a: f64,
    }

    impl OdeSystem<f64> for Cubic {
        fn n_vars(&self) -> usize {
            1
        }
        fn derivative<T: Num + From<f64>>(&self, _i: usize, x: &[T], t: f64) -> T {
            let x0 = x[0].clone();
            -(x0.powi(3)) + T::from(t.sin() + self.a)
        }
    }

    #[test]
    fn euler_and_exp_auto_follow_their_formulas() {
        let s = Cubic { a: 0.5 };
        let (x0, t0, dt) = (1.3f64, 0.7f64, 0.1f64);
        let f = -x0 * x0 * x0 + t0.sin() + 0.5;
        let e = integrate(&s, Method::Euler, &[x0], t0, dt)[0];
        assert!((e - (x0 + dt * f)).abs() < 1e-15);
        let a = -3.0 * x0 * x0;
        let want = x0 + dt * ((dt * a).exp() - 1.0) / (dt * a) * f;
        let got = integrate(&s, Method::ExpAuto, &[x0], t0, dt)[0];
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }
}
