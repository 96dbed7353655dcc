#!/usr/bin/env python3
"""Numerical oracle for brainburn's reservoir-computing / training-algorithm port,
generated from the real BrainPy 2.4.6 (jax 0.4.20, x64, CPU).

How to run
----------
    python3 -m venv /tmp/bp
    /tmp/bp/bin/pip install "brainpy==2.4.6" "jax[cpu]==0.4.20" "jaxlib==0.4.20" \
        "numpy<2" "scipy<1.13"
    # BrainPy 2.4.6 no longer ships `bp.datasets`; the Mackey-Glass and Lorenz
    # generators live in the separate `brainpy-datasets` package:
    /tmp/bp/bin/pip install --no-deps "brainpy-datasets==0.0.0.7"
    /tmp/bp/bin/pip install six requests      # imported by brainpy_datasets/__init__
    /tmp/bp/bin/python tools/oracle_extra/gen_reservoir.py            # both files
    /tmp/bp/bin/python tools/oracle_extra/gen_reservoir.py fit        # only fit_f64.json
    /tmp/bp/bin/python tools/oracle_extra/gen_reservoir.py examples   # only examples_f64.json

It writes tests/data/oracle_reservoir/{fit_f64.json, examples_f64.json} (paths are
relative to the repository root, found from this file's location).  Runs in about
15 s on one CPU core.  See tests/data/oracle_reservoir/README.md for the keys.

Nothing depends on BrainPy's RNG: every weight / initial array / data set comes
from numpy ``np.random.default_rng(seed)`` here and is written into the JSON.
Floats are written with ``repr`` (shortest round-trip, i.e. full f64 precision);
arrays are nested lists, C order, natural shapes.

What is patched, and why
------------------------
BrainPy 2.4.6 has bugs that make every iterative offline solver crash:

1. ``RegressionAlgorithm.gradient_descent_solve`` (used by LinearRegression /
   RidgeRegression / PolynomialRegression / PolynomialRidgeRegression with
   ``gradient_descent=True`` and always by LassoRegression / ElasticNetRegression)
   and ``LogisticRegression.call`` end their ``while_loop`` ``cond_fun`` with
   ``jnp.logical_and(...).value`` -> "DynamicJaxprTracer has no attribute value".
2. ``LogisticRegression.call`` does ``targets = targets.flatten()`` and then
   ``self.init_weights(inputs.shape[1], targets.shape[1])`` -> IndexError.

Both functions are replaced (monkeypatched on the class) by copies that differ
from BrainPy's source ONLY in:

  (a) ``.value`` removed at the end of ``cond_fun``;
  (b) logistic only: the initial parameter is ``init_weights(n_features, 1)``
      reshaped to ``(n_features,)`` (instead of the crashing ``targets.shape[1]``);
  (c) ``RegressionAlgorithm.init_weights`` is patched to return
      ``bm.asarray(self._oracle_W0)`` reshaped to ``(n_features, n_out)`` -- a fixed
      numpy array, written to the JSON as "W0" -- instead of
      ``bm.random.uniform(-1/sqrt(F), 1/sqrt(F), (F, n_out))`` (same type, bm.Array,
      so the while_loop carry has the same pytree structure as in BrainPy);
  (d) the final iteration counter ``i`` of the while_loop is also returned, by
      storing ``int(r[0])`` on the algorithm as ``self._oracle_iters`` (the return
      value of the functions is unchanged, so ``call`` keeps its signature);
      written to the JSON as "iters";
  (f) logistic Newton branch (gradient_descent=False) only: its update
      ``jnp.linalg.pinv(...).dot(...)`` returns a plain jax array while the carry
      holds a ``bm.Array`` (BrainPy's own init_weights returns one), so jax's
      while_loop rejects it ("body_fun output and input must have same type
      structure") -- a third BrainPy 2.4.6 bug.  The result is wrapped in
      ``bm.asarray(...)``; this changes no number.

Everything else (the while_loop, ``jnp.allclose`` default rtol=1e-5/atol=1e-8, the
initial carry ``(0, w - 1e-8, w)`` resp. ``(0, param + 1., param)``, the sum-not-mean
gradient, regularizer grads, polynomial_features with its trailing all-zero
column, row-wise normalize, the Newton/IRLS branch of logistic) is BrainPy's code.

Consequence worth knowing (BrainPy behaviour, not a patch): the generic
gradient-descent loop starts from ``(0, w - 1e-8, w)`` and
``allclose(w - 1e-8, w)`` is always True (|diff| = 1e-8 <= atol + rtol*|w|), so the
loop body never runs: every gd case returns W0 unchanged with iters == 0.  Because
that makes the gd oracle useless for checking the update rule, an extra key
"offline_gd_started" repeats the gd cases with ONE more documented patch:
  (e) the initial carry is ``(0, w + 1., w)`` (as LogisticRegression already does),
so the loop actually iterates; everything else is identical to (a)-(d).

The Mackey-Glass generator (brainpy_datasets.chaos.MackeyGlassEq) draws its delay
history from ``bm.random.RandomState(seed).random(shape)``.  While it is being
constructed, ``brainpy.math.random.RandomState`` is temporarily replaced by a stub
whose ``.random(shape)`` returns ``np.random.default_rng(seed).random(shape)``
(asserted to be called exactly once); the history is written to the JSON.
Everything else in the generator is BrainPy's code.

Not a patch, but a deviation from a plain setup: in the FORCE example the net's
``reset_state`` puts the reservoir state at a recorded ``state0`` instead of zeros
(with zero input, z = 0 and state 0 the reservoir never leaves tanh(0) = 0).

Each generated series is re-integrated by a pure-numpy transcription of the
method described in the JSON ("method" entries) and the max abs difference is
recorded ("numpy_port_max_abs_diff"), so the description is known to be exact.
"""

import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings('ignore')

import jax
import jax.numpy as jnp
from jax.lax import while_loop

import brainpy as bp
import brainpy.math as bm
from brainpy._src.context import share

bm.enable_x64()
bm.set_platform('cpu')

import brainpy.algorithms.offline as boff
from brainpy.algorithms.offline import (RegressionAlgorithm, LogisticRegression,
                                        _check_data_2d_atls)
from brainpy.algorithms.utils import polynomial_features, normalize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT_DIR = os.path.join(ROOT, 'tests', 'data', 'oracle_reservoir')

# ---------------------------------------------------------------------------
# patches (a)-(e), see module docstring
# ---------------------------------------------------------------------------
_GD_START_OFFSET = {'value': -1e-8}   # BrainPy: w - 1e-8 ; patch (e): w + 1.


def _patched_init_weights(self, n_features, n_out):
  # (c) fixed numpy array instead of bm.random.uniform(-limit, limit, (F, n_out))
  W0 = np.asarray(self._oracle_W0, dtype=np.float64)
  assert W0.size == n_features * n_out, (W0.shape, n_features, n_out)
  return bm.asarray(W0.reshape(n_features, n_out))


def _patched_gradient_descent_solve(self, targets, inputs, outputs=None):
  # checking
  inputs = _check_data_2d_atls(bm.as_jax(inputs))
  targets = _check_data_2d_atls(bm.as_jax(targets))

  # initialize weights
  w = self.init_weights(inputs.shape[1], targets.shape[1])

  def cond_fun(a):
    i, par_old, par_new = a
    return jnp.logical_and(jnp.logical_not(jnp.allclose(par_old, par_new)),
                           i < self.max_iter)  # (a) `.value` removed

  def body_fun(a):
    i, _, par_new = a
    # Gradient of regularization loss w.r.t w
    y_pred = inputs.dot(par_new)
    grad_w = jnp.dot(inputs.T, -(targets - y_pred)) + self.regularizer.grad(par_new)
    # Update the weights
    par_new2 = par_new - self.learning_rate * grad_w
    return i + 1, par_new, par_new2

  # Tune parameters for n iterations
  r = while_loop(cond_fun, body_fun, (0, w + _GD_START_OFFSET['value'], w))  # (e) only if offset != -1e-8
  self._oracle_iters = int(r[0])  # (d)
  return r[-1]


def _patched_logistic_call(self, targets, inputs, outputs=None):
  # prepare data
  inputs = _check_data_2d_atls(bm.as_jax(inputs))
  targets = _check_data_2d_atls(bm.as_jax(targets))
  if targets.shape[-1] != 1:
    raise ValueError(f'Target must be a scalar, but got multiple variables: {targets.shape}. ')
  targets = targets.flatten()

  # initialize parameters
  param = self.init_weights(inputs.shape[1], 1).reshape(inputs.shape[1])  # (b)

  def cond_fun(a):
    i, par_old, par_new = a
    return jnp.logical_and(jnp.logical_not(jnp.allclose(par_old, par_new)),
                           i < self.max_iter)  # (a) `.value` removed

  def body_fun(a):
    i, par_old, par_new = a
    # Make a new prediction
    y_pred = self.sigmoid(inputs.dot(par_new))
    if self.gradient_descent:
      # Move against the gradient of the loss function with
      # respect to the parameters to minimize the loss
      par_new2 = par_new - self.learning_rate * (y_pred - targets).dot(inputs)
    else:
      gradient = self.sigmoid.grad(inputs.dot(par_new))
      diag_grad = bm.zeros((gradient.size, gradient.size))
      diag = bm.arange(gradient.size)
      diag_grad[diag, diag] = gradient
      par_new2 = bm.asarray(  # (f) bm.asarray: type-only fix, see docstring
        jnp.linalg.pinv(inputs.T.dot(diag_grad).dot(inputs)).dot(inputs.T).dot(
          diag_grad.dot(inputs).dot(par_new) + targets - y_pred))
    return i + 1, par_new, par_new2

  # Tune parameters for n iterations
  r = while_loop(cond_fun, body_fun, (0, param + 1., param))
  self._oracle_iters = int(r[0])  # (d)
  return r[-1]


RegressionAlgorithm.init_weights = _patched_init_weights
RegressionAlgorithm.gradient_descent_solve = _patched_gradient_descent_solve
LogisticRegression.call = _patched_logistic_call


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def A(x):
  """to float64 numpy"""
  return np.asarray(bm.as_numpy(x) if isinstance(x, bm.Array) else x, dtype=np.float64)


def L(x):
  """numpy array -> nested list of python floats (json writes them with repr)"""
  return A(x).tolist()


def check_finite(name, *arrs):
  for a in arrs:
    if not np.all(np.isfinite(A(a))):
      raise FloatingPointError(f'{name}: non-finite values')


def dump(obj, path):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  # json.dumps uses float.__repr__ for floats -> full round-trip precision
  with open(path, 'w') as f:
    json.dump(obj, f, separators=(',', ':'), allow_nan=False)
    f.write('\n')
  print(f'wrote {path} ({os.path.getsize(path)} bytes)')


def meta():
  return {
    'generator': 'tools/oracle_extra/gen_reservoir.py',
    'brainpy': bp.__version__, 'jax': jax.__version__, 'numpy': np.__version__,
    'x64': True, 'platform': 'cpu',
  }


# ---------------------------------------------------------------------------
# fit_f64.json : data
# ---------------------------------------------------------------------------
def make_data():
  rng = np.random.default_rng(20261203)
  X = 0.5 * rng.normal(size=(2, 40, 3))
  M = rng.normal(size=(3, 2))
  noise = rng.normal(size=(2, 40, 2))
  Y = X @ M + 0.1 * noise
  Y[..., 0] += 0.3 * X[..., 0] * X[..., 1]
  Y[..., 1] += 0.2 * X[..., 2] ** 2
  v = rng.normal(size=(3,))
  nb = rng.normal(size=(2, 40))
  Yb = ((X @ v + 0.3 * nb) > 0).astype(np.float64)[..., None]
  Xtest = 0.5 * rng.normal(size=(1, 20, 3))
  data = dict(X=X, Y=Y, Yb=Yb, Xtest=Xtest)
  recipe = ('rng = np.random.default_rng(20261203); X = 0.5*rng.normal(size=(2,40,3)); '
            'M = rng.normal(size=(3,2)); noise = rng.normal(size=(2,40,2)); '
            'Y = X@M + 0.1*noise; Y[...,0] += 0.3*X[...,0]*X[...,1]; Y[...,1] += 0.2*X[...,2]**2; '
            'v = rng.normal(size=(3,)); nb = rng.normal(size=(2,40)); '
            'Yb = ((X@v + 0.3*nb) > 0) as float, shape (2,40,1); Xtest = 0.5*rng.normal(size=(1,20,3))')
  return data, recipe


# ---------------------------------------------------------------------------
# fit_f64.json : offline
# ---------------------------------------------------------------------------
OFFLINE_CASES = [
  # name, class, kwargs, targets, iterative
  ('linear', 'LinearRegression', {}, 'Y', False),
  ('ridge', 'RidgeRegression', {'alpha': 0.1}, 'Y', False),
  ('ridge0', 'RidgeRegression', {'alpha': 0.0}, 'Y', False),
  ('poly_cf', 'PolynomialRegression', {'degree': 2, 'gradient_descent': False}, 'Y', False),
  ('poly_cf_bias', 'PolynomialRegression', {'degree': 2, 'add_bias': True, 'gradient_descent': False}, 'Y', False),
  ('poly3_cf', 'PolynomialRegression', {'degree': 3, 'gradient_descent': False}, 'Y', False),
  ('polyridge_cf', 'PolynomialRidgeRegression', {'alpha': 1.0, 'degree': 2, 'gradient_descent': False}, 'Y', False),
  ('linear_gd', 'LinearRegression', {'gradient_descent': True}, 'Y', True),
  ('ridge_gd', 'RidgeRegression', {'alpha': 0.1, 'gradient_descent': True}, 'Y', True),
  ('poly_gd', 'PolynomialRegression', {}, 'Y', True),
  ('polyridge_gd', 'PolynomialRidgeRegression', {}, 'Y', True),
  ('lasso', 'LassoRegression', {}, 'Y', True),
  ('enet', 'ElasticNetRegression', {}, 'Y', True),
  ('logistic', 'LogisticRegression', {}, 'Yb', True),
  ('logistic_newton', 'LogisticRegression', {'gradient_descent': False}, 'Yb', True),
]


def solver_features(alg, X2):
  """The feature matrix the solver actually sees (for F' and for enet's pred)."""
  name = type(alg).__name__
  if name in ('PolynomialRegression', 'PolynomialRidgeRegression'):
    return A(polynomial_features(X2, degree=alg.degree, add_bias=alg.add_bias))
  if name == 'LassoRegression':
    return A(normalize(polynomial_features(X2, degree=alg.degree, add_bias=alg.add_bias)))
  if name == 'ElasticNetRegression':
    return A(normalize(polynomial_features(X2, degree=alg.degree)))  # call(): default add_bias=True
  return A(X2)


def run_offline(data, cases, gd_offset, seed_base):
  _GD_START_OFFSET['value'] = gd_offset
  X, Y, Yb, Xtest = data['X'], data['Y'], data['Yb'], data['Xtest']
  X2 = jnp.asarray(X.reshape(-1, 3))
  Xt2 = jnp.asarray(Xtest.reshape(20, 3))
  out = []
  for ci, (name, cls, kw, tname, iterative) in enumerate(cases):
    alg = getattr(bp.algorithms, cls)(**kw)
    T = data[tname]
    n_out = T.shape[-1]
    W0 = None
    seed = None
    if iterative:
      Fp = solver_features(alg, X2).shape[1]
      seed = seed_base + [c[0] for c in OFFLINE_CASES].index(name)
      r = np.random.default_rng(seed)
      lim = 1.0 / np.sqrt(Fp)
      shape = (Fp,) if cls == 'LogisticRegression' else (Fp, n_out)
      W0 = r.uniform(-lim, lim, size=shape)
      alg._oracle_W0 = W0
      alg._oracle_iters = None
    W = alg(jnp.asarray(T), jnp.asarray(X))
    W = A(W)
    rec = {'name': name, 'algorithm': cls, 'params': kw, 'targets': tname,
           'W0': None if W0 is None else L(W0),
           'W0_seed': seed,
           'W': L(W),
           'iters': alg._oracle_iters if iterative else None}
    if iterative and cls != 'LogisticRegression':
      rec['gd_start_offset'] = gd_offset  # initial carry (0, W0 + offset, W0)
    res = {'gradient_descent': bool(getattr(alg, 'gradient_descent', False))}
    for k in ('max_iter', 'learning_rate', 'degree', 'add_bias'):
      if getattr(alg, k, None) is not None:
        res[k] = getattr(alg, k)
    reg = getattr(alg, 'regularizer', None)
    if reg is not None:
      res['regularizer'] = type(reg).__name__
      res['regularizer_alpha'] = float(reg.alpha)
      if hasattr(reg, 'l1_ratio'):
        res['l1_ratio'] = float(reg.l1_ratio)
    if cls == 'ElasticNetRegression':
      res['add_bias_used_in_call'] = True
    rec['resolved'] = res
    rec['n_features_seen'] = int(solver_features(alg, X2).shape[1])
    if cls == 'ElasticNetRegression':
      feats = A(normalize(polynomial_features(Xt2, degree=alg.degree, add_bias=True)))
      pred = feats @ W
      rec['pred_note'] = ('BrainPy ElasticNetRegression.predict uses add_bias=self.add_bias (False) while '
                          'call() uses polynomial_features default add_bias=True, so alg.predict(W, Xtest) '
                          'fails with a shape error; pred = normalize(polynomial_features(Xtest, degree, '
                          'add_bias=True)) @ W instead.')
      # make sure BrainPy's predict really fails
      try:
        alg.predict(jnp.asarray(W), Xt2)
        raise AssertionError('ElasticNet predict unexpectedly worked')
      except (TypeError, ValueError):
        pass
    else:
      pred = A(alg.predict(jnp.asarray(W), Xt2))
    rec['pred'] = L(pred)
    check_finite(name, W, pred)
    out.append(rec)
    print(f'  offline {name:16s} W{W.shape} iters={rec["iters"]}')
  _GD_START_OFFSET['value'] = -1e-8
  return out


def numpy_offline_check(data, recs):
  """Independent numpy re-computation of the closed forms / gd loops (sanity only)."""
  X2 = data['X'].reshape(-1, 3)
  diffs = {}
  for r in recs:
    T = data[r['targets']].reshape(80, -1)
    kw = r['params']
    cls = r['algorithm']
    W = np.asarray(r['W'])

    def pf(Xa, degree, add_bias):
      return A(polynomial_features(jnp.asarray(Xa), degree=degree, add_bias=add_bias))

    if cls in ('PolynomialRegression', 'PolynomialRidgeRegression'):
      F = pf(X2, kw.get('degree', 2), kw.get('add_bias', False))
    elif cls == 'LassoRegression':
      F = pf(X2, 2, False)
      F = F / np.where(np.linalg.norm(F, axis=1) == 0, 1, np.linalg.norm(F, axis=1))[:, None]
    elif cls == 'ElasticNetRegression':
      F = pf(X2, 2, True)
      F = F / np.where(np.linalg.norm(F, axis=1) == 0, 1, np.linalg.norm(F, axis=1))[:, None]
    else:
      F = X2
    if r['iters'] is None:
      if cls in ('LinearRegression', 'PolynomialRegression'):
        ref = np.linalg.lstsq(F, T, rcond=None)[0]
      else:
        alpha = kw.get('alpha', 1e-7 if cls == 'RidgeRegression' else 1.0)
        G = F.T @ F
        if alpha > 0:
          G = G + alpha * np.eye(F.shape[1])
        ref = np.linalg.pinv(G) @ (F.T @ T)
    elif cls == 'LogisticRegression':
      t = T[:, 0]
      p_old, p = np.asarray(r['W0']) + 1.0, np.asarray(r['W0'])
      i = 0
      sig = lambda z: 1 / (1 + np.exp(-z))
      maxit = kw.get('max_iter', 4000)
      while (not np.allclose(p_old, p)) and i < maxit:
        yp = sig(F @ p)
        if kw.get('gradient_descent', True):
          pn = p - 0.1 * (yp - t) @ F
        else:
          g = np.exp(-(F @ p)) / (1 + np.exp(-(F @ p))) ** 2
          D = np.diag(g)
          pn = np.linalg.pinv(F.T @ D @ F) @ F.T @ (D @ F @ p + t - yp)
        i, p_old, p = i + 1, p, pn
      ref = p
      assert i == r['iters'], (r['name'], i, r['iters'])
    else:
      # generic gd loop, regularizer grads as in brainpy.algorithms.utils
      def reg(w):
        if cls in ('LinearRegression', 'PolynomialRegression'):
          return 0.0
        if cls in ('RidgeRegression', 'PolynomialRidgeRegression'):
          return kw.get('alpha', 1e-7 if cls == 'RidgeRegression' else 1.0) * w
        if cls == 'LassoRegression':
          return 1.0 * np.sign(w)
        return 1.0 * (0.5 * np.sign(w) + 0.5 * w)  # ElasticNet alpha=1, l1_ratio=0.5
      w = np.asarray(r['W0'])
      w_old = w + r['gd_start_offset']
      i = 0
      while (not np.allclose(w_old, w)) and i < 1000:
        g = F.T @ (-(T - F @ w)) + reg(w)
        i, w_old, w = i + 1, w, w - 0.001 * g
      ref = w
      assert i == r['iters'], (r['name'], i, r['iters'])
    diffs[r['name']] = float(np.max(np.abs(ref - W)))
  return diffs


# ---------------------------------------------------------------------------
# fit_f64.json : online (Dense + RLS / LMS)
# ---------------------------------------------------------------------------
def make_dense(W0, b0, bias):
  return bp.dnn.Dense(3, 2, W_initializer=jnp.asarray(W0),
                      b_initializer=(jnp.asarray(b0) if bias else None),
                      mode=bm.training_mode)


def make_online_alg(cls, params):
  return getattr(bp.algorithms, cls)(**params)


def run_online(data):
  X, Y = data['X'], data['Y']
  cases = [
    ('rls', 'RLS', {'alpha': 0.1}, True, False),
    ('force', 'RLS', {'alpha': 1.0}, True, False),
    ('rls_nobias', 'RLS', {'alpha': 0.1}, False, False),
    ('lms', 'LMS', {'alpha': 0.05}, True, False),
    ('rls_single', 'RLS', {'alpha': 0.1}, True, True),
    # extra (not in the brief): the batch-2 RLS cases above blow up (see README);
    # this one uses 0.5*X so a batch-2 RLS trajectory stays bounded.
    ('rls_x05', 'RLS', {'alpha': 0.1}, True, False),
  ]
  out = []
  for ci, (name, cls, params, bias, single) in enumerate(cases):
    r = np.random.default_rng(3000 + ci)
    W0 = r.uniform(-0.5, 0.5, size=(3, 2))
    b0 = r.uniform(-0.1, 0.1, size=(2,)) if bias else None
    Xc = X[0:1] if single else X
    Yc = Y[0:1] if single else Y
    if name == 'rls_x05':
      Xc = 0.5 * X

    # --- manual loop, as OnlineTrainer._step_func_fit does it
    dense = make_dense(W0, b0, bias)
    dense.online_fit_by = make_online_alg(cls, params)
    dense.online_init()
    outs, Ws, bs = [], [], []
    for t in range(Xc.shape[1]):
      share.save(t=t * bm.get_dt(), dt=bm.get_dt(), i=t, fit=True)
      o = dense(jnp.asarray(Xc[:, t]))
      outs.append(A(o))
      dense.online_fit(jnp.asarray(Yc[:, t]), dense.fit_record)
      Ws.append(A(dense.W.value))
      if bias:
        bs.append(A(dense.b.value))
    share.save(fit=False)
    outs, Ws = np.stack(outs), np.stack(Ws)
    bs = np.stack(bs) if bias else None

    # --- the real OnlineTrainer on a fresh Dense from the same arrays
    dense2 = make_dense(W0, b0, bias)
    trainer = bp.OnlineTrainer(dense2, fit_method=make_online_alg(cls, params), progress_bar=False)
    touts = A(trainer.fit([jnp.asarray(Xc), jnp.asarray(Yc)]))  # (B, T, 2): data_first_axis='B'
    tW = A(dense2.W.value)
    # relative to max(1, magnitude): the batch-2 RLS cases reach |W| ~ 1e20..1e50
    rel = lambda a, b: float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b))))
    dW = rel(tW, Ws[-1])
    dO = rel(touts, np.moveaxis(outs, 0, 1))
    db = rel(A(dense2.b.value), bs[-1]) if bias else 0.0
    assert dW < 1e-12 and db < 1e-12 and dO < 1e-12, (name, dW, db, dO)
    check_finite(name, outs, Ws)
    rec = {'name': name, 'algorithm': cls, 'params': params, 'bias': bias,
           'batch': int(Xc.shape[0]),
           'uses': 'X[0:1], Y[0:1]' if single else ('0.5*X, Y' if name == 'rls_x05' else 'X, Y'),
           'max_abs_W': float(np.max(np.abs(Ws))),
           'W0': L(W0), 'b0': L(b0) if bias else None,
           'out': L(outs), 'W': L(Ws), 'b': L(bs) if bias else None,
           'trainer_check_rel_diff': {'W': dW, 'b': db, 'out': dO}}
    out.append(rec)
    print(f'  online {name:12s} max|W| {np.max(np.abs(Ws)):.3g} trainer rel diffs W {dW:.1e} b {db:.1e} out {dO:.1e}')
  return out


# ---------------------------------------------------------------------------
# fit_f64.json : reservoir
# ---------------------------------------------------------------------------
def sparse_mat(r, shape, zero_frac, scale=1.0, kind='normal'):
  if kind == 'normal':
    M = scale * r.normal(size=shape)
  else:
    M = scale * r.uniform(-1, 1, size=shape)
  M[r.random(size=shape) < zero_frac] = 0.0
  return M


def run_reservoir_layer(res, xs, batch):
  """xs: (B, T, F) numpy. Step by step, after reset_state(batch)."""
  res.reset_state(batch)
  states = []
  for t in range(xs.shape[1]):
    states.append(A(res(jnp.asarray(xs[:, t]))))
  return np.stack(states, axis=1)


def run_reservoir(data):
  X = data['X']
  cases = [
    ('internal', dict(leaky_rate=0.3, activation='tanh', activation_type='internal', spectral_radius=None)),
    ('external_sr', dict(leaky_rate=0.5, activation='tanh', activation_type='external', spectral_radius=0.9)),
  ]
  out = []
  for ci, (name, params) in enumerate(cases):
    r = np.random.default_rng(4000 + ci)
    Win = sparse_mat(r, (3, 20), 0.5, kind='uniform')
    Wrec = sparse_mat(r, (20, 20), 0.5, scale=0.3)
    res = bp.dyn.Reservoir(input_shape=3, num_out=20, Win_initializer=jnp.asarray(Win),
                           Wrec_initializer=jnp.asarray(Wrec), in_connectivity=1.0,
                           rec_connectivity=1.0, mode=bm.batching_mode, **params)
    Wrec_used = A(res.Wrec)
    states = run_reservoir_layer(res, X, 2)
    check_finite(name, states)
    rec = {'name': name, 'params': dict(params, input_shape=3, num_out=20, in_connectivity=1.0,
                                        rec_connectivity=1.0, b_initializer='ZeroInit (default; never used)',
                                        noise_in=0.0, noise_rec=0.0, mode='batching'),
           'Win': L(Win), 'Wrec_given': L(Wrec), 'Wrec': L(Wrec_used), 'states': L(states)}
    # numpy re-implementation (row-vector convention: x @ Win, s @ Wrec)
    st = np.zeros((2, 20)); ref = []
    for t in range(X.shape[1]):
      h = X[:, t] @ Win + st @ Wrec_used
      if params['activation_type'] == 'internal':
        st = (1 - params['leaky_rate']) * st + params['leaky_rate'] * np.tanh(h)
      else:
        st = np.tanh((1 - params['leaky_rate']) * st + params['leaky_rate'] * h)
      ref.append(st)
    rec['numpy_check_max_abs_diff'] = float(np.max(np.abs(np.stack(ref, axis=1) - states)))
    if params['spectral_radius'] is not None:
      rec['sr_scale'] = float(params['spectral_radius'] / np.max(np.abs(np.linalg.eigvals(Wrec))))
      rec['numpy_eig_scaled_vs_brainpy_max_abs_diff'] = float(np.max(np.abs(Wrec * rec['sr_scale'] - Wrec_used)))
    out.append(rec)
    print(f'  reservoir {name}: states {states.shape}, |state| max {np.abs(states).max():.3f}')
  return out


# ---------------------------------------------------------------------------
# fit_f64.json : nvar
# ---------------------------------------------------------------------------
def run_nvar(data):
  X = data['X']
  cases = [
    ('a', dict(delay=2, order=2, stride=1, constant=False)),
    ('b', dict(delay=3, order=[2, 3], stride=2, constant=True)),
  ]
  out = []
  for name, params in cases:
    nv = bp.dyn.NVAR(num_in=3, mode=bm.batching_mode, **params)
    nv.reset_state(2)
    ys = np.stack([A(nv(jnp.asarray(X[:, t]))) for t in range(X.shape[1])], axis=1)
    check_finite(name, ys)
    rec = {'name': name, 'params': dict(params, num_in=3, mode='batching'), 'num_out': int(nv.num_out),
           'out': L(ys)}
    if name == 'b':
      rec['feature_names'] = nv.get_feature_names()
    out.append(rec)
    print(f'  nvar {name}: out {ys.shape}')
  return out


def gen_fit():
  data, recipe = make_data()
  print('offline ...')
  offline = run_offline(data, OFFLINE_CASES, -1e-8, 1000)
  gd_cases = [c for c in OFFLINE_CASES if c[4] and c[1] != 'LogisticRegression']
  started = run_offline(data, gd_cases, 1.0, 1000)  # same W0 seeds as in "offline"
  chk = numpy_offline_check(data, offline)
  chk2 = numpy_offline_check(data, started)
  print('  numpy cross-check max abs diffs:', chk, chk2)
  print('online ...')
  online = run_online(data)
  print('reservoir ...')
  reservoir = run_reservoir(data)
  print('nvar ...')
  nvar = run_nvar(data)
  obj = {'meta': meta(),
         'data': {k: L(v) for k, v in data.items()},
         'data_recipe': recipe,
         'offline': offline,
         'offline_gd_started': started,
         'numpy_crosscheck_max_abs_diff': {'offline': chk, 'offline_gd_started': chk2},
         'online': online,
         'reservoir': reservoir,
         'nvar': nvar}
  dump(obj, os.path.join(OUT_DIR, 'fit_f64.json'))


# ---------------------------------------------------------------------------
# examples_f64.json
# ---------------------------------------------------------------------------
import fractions


def fma(a, b, c):
  """exactly rounded a*b + c (python 3.11 has no math.fma)"""
  return float(fractions.Fraction(a) * fractions.Fraction(b) + fractions.Fraction(c))


class _HistoryRandomState:
  """Stand-in for bm.random.RandomState while MackeyGlassEq is constructed:
  .random(shape) returns np.random.default_rng(seed).random(shape)."""
  calls = []

  def __init__(self, seed=None):
    self.seed = seed

  def random(self, shape):
    if _HistoryRandomState.calls:
      raise RuntimeError('RandomState stub used more than once')
    a = np.random.default_rng(_HistoryRandomState.np_seed).random(shape)
    _HistoryRandomState.calls.append(a)
    return bm.asarray(a)


def brainpy_datasets():
  import brainpy_datasets as bd  # pip install --no-deps brainpy-datasets==0.0.0.7; six; requests
  return bd


MG_ARGS = dict(duration=900., dt=0.1, beta=2., gamma=1., tau=2., n=9.65, inits=1.2, method='rk4', seed=None)
MG_HIST_SEED = 20261204
MG_DISCARD = 1000      # integration steps dropped (transient, 100 time units)
MG_SUB = 5             # keep every 5th step (0.5 time units)
MG_LEN = 1600


def gen_mackey_glass():
  bd = brainpy_datasets()
  _HistoryRandomState.calls = []
  _HistoryRandomState.np_seed = MG_HIST_SEED
  orig = bm.random.RandomState
  bm.random.RandomState = _HistoryRandomState
  try:
    mg = bd.chaos.MackeyGlassEq(**MG_ARGS)
  finally:
    bm.random.RandomState = orig
  assert len(_HistoryRandomState.calls) == 1
  u = _HistoryRandomState.calls[0]            # (21, 1) uniform [0,1)
  hist = 1.2 + 0.2 * (u - 0.5)                  # what BrainPy writes into xdelay.data
  xs = A(mg.xs)[:, 0]
  ts = A(mg.ts)
  n_steps = xs.shape[0]

  # numpy transcription of what XLA executes (see "method")
  N = 21
  data = hist[:, 0].copy()
  idx, ct, x = 0, 0.0, 1.2
  C6, C3 = float('0.016666666666666666'), float('0.033333333333333333')
  port = np.empty(n_steps)
  n_clamped = 0
  for i in range(n_steps):
    t = i * 0.1

    def g(xst, off):
      nonlocal n_clamped
      diff = 2.0 - (ct - (t + off))
      req = int(np.round(diff * 10.0))        # round half to even
      j = idx + req
      if j < 0:
        j += N
      if j > N - 1:
        n_clamped += 1
      j = min(max(j, 0), N - 1)                # XLA dynamic-slice clamps
      xt = data[j]
      return (xt * 2.0) / (xt ** 9.65 + 1.0) - xst

    k1 = g(x, -2.0)
    k2 = g(fma(k1, 0.05, x), -1.95)
    k3 = g(fma(k2, 0.05, x), -1.95)
    k4 = g(fma(k3, 0.1, x), -1.9)
    x = fma(k4, C6, fma(k3, C3, fma(k2, C3, fma(k1, C6, x))))
    data[idx] = x
    ct = ct + 0.1
    idx = (idx + 1) % N
    port[i] = x
  port_diff = float(np.max(np.abs(port - xs)))
  assert np.all(ts == np.arange(n_steps) * 0.1 + 0.1) or np.max(np.abs(ts - (np.arange(n_steps) * 0.1 + 0.1))) < 1e-9

  series = xs[MG_DISCARD::MG_SUB][:MG_LEN]
  assert series.shape[0] == MG_LEN
  method = {
    'equation': 'dx/dt = beta*x(t-tau)/(1 + x(t-tau)**n) - gamma*x(t)',
    'params': {'beta': 2.0, 'gamma': 1.0, 'tau': 2.0, 'n': 9.65, 'dt': 0.1},
    'integrator': "BrainPy odeint(method='rk4', state_delays={'x': xdelay}), classical RK4 "
                  "(stage times t, t+dt/2, t+dt/2, t+dt), run by IntegratorRunner (jit'ed for_loop)",
    'history': "xdelay = bm.TimeDelay(inits=[1.2], delay_len=tau, dt=dt, interp_method='round'); "
               "num_delay_step = ceil(tau/dt)+1 = 21; its data buffer (21,1) is overwritten with "
               "1.2 + 0.2*(U - 0.5), U = 'history_uniform' (BrainPy: bm.random.RandomState(seed).random((21,1)); "
               "here np.random.default_rng(history_seed).random((21,1))). Ring buffer: idx=0, current_time=0.0. "
               "x(0) = 1.2 (NOT the buffer's last slot).",
    'delay_lookup': "xdelay(T) with T = stage_time - tau: diff = tau - (current_time - T); "
                    "k = int32(round_half_even(diff/dt)); value = data[clamp(idx + k, 0, 20)] "
                    "(no modulo: jax indexing clamps, so idx=20,k=1 reads slot 20). Stage k is 0 or 1.",
    'after_step': "data[idx] = x_new; current_time += dt (accumulated float64 sum, not i*dt); idx = (idx+1) % 21",
    'step_time': "t_i = i*dt (np.arange(0, duration, dt)), i = 0..num_steps-1; num_steps = 9000",
    'returned': "MackeyGlassEq.xs[i] = x after step i, i.e. x(t=(i+1)*dt) (ts = (i+1)*dt); "
                "x(0)=1.2 itself is not in xs. 'xs' below is xs[:,0] of all 9000 steps.",
    'exact_arithmetic_as_executed': (
      "Bit-exact recipe of what XLA-CPU (jax 0.4.20, x86-64 with FMA) actually executes after its algebraic "
      "simplification (constants folded/reassociated, /dt -> *10, a*b+c contracted to fma). "
      "Per step i: t = i*0.1; g(xs, off): diff = 2.0 - (ct - (t + off)); k = round_half_even(diff*10.0); "
      "j = idx+k (+21 if <0), clamped to [0,20]; xt = data[j]; return (xt*2.0)/(pow(xt,9.65)+1.0) - xs. "
      "k1 = g(x,-2.0); k2 = g(fma(k1,0.05,x),-1.95); k3 = g(fma(k2,0.05,x),-1.95); k4 = g(fma(k3,0.1,x),-1.9); "
      "x = fma(k4,C6,fma(k3,C3,fma(k2,C3,fma(k1,C6,x)))) with C6 = 0.016666666666666666 (=0.1/6), "
      "C3 = 0.033333333333333333 (=0.1/3); then data[idx]=x; ct = ct + 0.1; idx = (idx+1)%21. "
      "The generator runs exactly this in numpy (exact fma via fractions) and compares: "
      "numpy_port_max_abs_diff. NOTE the series is chaotic and stage-2/3 lookups sit exactly on the "
      "round-half boundary (diff*10 ~ 0.5), so without bit-exact arithmetic a port drifts away; "
      "tests that need the series should read it from this file."),
  }
  rec = {
    'generator': 'brainpy_datasets.chaos.MackeyGlassEq (brainpy-datasets 0.0.0.7; BrainPy 2.4.6 has no bp.datasets)',
    'args': dict(MG_ARGS, inits=1.2),
    'history_seed': MG_HIST_SEED,
    'history_uniform': L(u[:, 0]),
    'history': L(hist[:, 0]),
    'method': method,
    'num_steps': int(n_steps),
    'xs': L(xs),
    'numpy_port_max_abs_diff': port_diff,
    'numpy_port_lookups_clamped': int(n_clamped),
    'discard_steps': MG_DISCARD, 'subsample': MG_SUB,
    'series_def': f'series = xs[{MG_DISCARD}::{MG_SUB}][:{MG_LEN}]  (times (i+1)*0.1 for i = {MG_DISCARD}, '
                  f'{MG_DISCARD + MG_SUB}, ...)',
    'series': L(series),
  }
  print(f'  mackey_glass: {n_steps} steps, numpy port max diff {port_diff}, clamped lookups {n_clamped}')
  return rec, series


def esn_mg(series):
  r = np.random.default_rng(20261205)
  Win = r.uniform(-1, 1, size=(1, 100)) * 0.5
  Wrec = r.normal(size=(100, 100))
  Wrec[r.random(size=(100, 100)) < 0.9] = 0.0
  sr0 = float(np.max(np.abs(np.linalg.eigvals(Wrec))))
  Wrec = Wrec * (0.95 / sr0)

  used = series[:1501]
  mean, std = float(np.mean(used)), float(np.std(used))
  s = (used - mean) / std
  u_train = s[0:1000].reshape(1, 1000, 1)
  y_train = s[1:1001].reshape(1, 1000, 1)
  u_test = s[1000:1500].reshape(1, 500, 1)
  truth = s[1001:1501]

  res = bp.dyn.Reservoir(input_shape=1, num_out=100, leaky_rate=0.3, activation='tanh',
                         activation_type='internal', Win_initializer=jnp.asarray(Win),
                         Wrec_initializer=jnp.asarray(Wrec), in_connectivity=1.0, rec_connectivity=1.0,
                         spectral_radius=None, mode=bm.batching_mode)
  readout = bp.dnn.Dense(100, 1, W_initializer=bp.init.ZeroInit(), b_initializer=bp.init.ZeroInit(),
                         mode=bm.training_mode)
  model = bp.Sequential(res, readout, mode=bm.batching_mode)
  trainer = bp.RidgeTrainer(model, alpha=1e-6, progress_bar=False)
  fit_out = A(trainer.fit([jnp.asarray(u_train), jnp.asarray(y_train)], reset_state=True))
  W = A(readout.W.value)
  b = A(readout.b.value)
  pred = A(trainer.predict(jnp.asarray(u_test)))
  p = pred[0, :, 0]
  nmse = float(np.mean((p - truth) ** 2) / np.var(truth))

  # numpy re-implementation (sanity / documents the conventions)
  st = np.zeros((1, 100))
  S = []
  for t in range(1500):
    st = 0.7 * st + 0.3 * np.tanh(s[t:t + 1].reshape(1, 1) @ Win + st @ Wrec)
    S.append(st[0])
  S = np.array(S)
  Xb = np.concatenate([np.ones((1000, 1)), S[:1000]], axis=1)
  # jnp.linalg.pinv's default cutoff is rcond = 10*max(M,N)*eps (numpy's is 1e-15)
  Wnp = np.linalg.pinv(Xb.T @ Xb + 1e-6 * np.eye(101), rcond=10 * 101 * np.finfo(float).eps) @ (Xb.T @ y_train[0])
  pnp = S[1000:1500] @ W + b   # brainpy weights on numpy states
  check_finite('esn', W, b, pred)
  rec = {
    'Win': L(Win), 'Wrec': L(Wrec), 'Wrec_raw_spectral_radius': sr0,
    'Wrec_recipe': 'rng = default_rng(20261205); Win = rng.uniform(-1,1,(1,100))*0.5; W = rng.normal(size=(100,100)); '
                   'W[rng.random((100,100)) < 0.9] = 0; Wrec = W * (0.95 / max|eigvals(W)|)',
    'reservoir_params': dict(input_shape=1, num_out=100, leaky_rate=0.3, activation='tanh',
                             activation_type='internal', in_connectivity=1.0, rec_connectivity=1.0,
                             spectral_radius=None, mode='batching'),
    'readout': 'Dense(100, 1, W=ZeroInit, b=ZeroInit, mode=training)',
    'model': 'bp.Sequential(reservoir, readout, mode=bm.batching_mode)',
    'trainer': "bp.RidgeTrainer(model, alpha=1e-6, progress_bar=False).fit([u_train, y_train], reset_state=True); "
               "pred = trainer.predict(u_test) (no reset: the reservoir continues from the end of training)",
    'normalisation': 'used = series[0:1501]; s = (used - mean)/std, mean/std (ddof=0) over used',
    'mean': mean, 'std': std,
    's': L(s),
    'u_train': 's[0:1000]', 'y_train': 's[1:1001]', 'u_test': 's[1000:1500]', 'truth': 's[1001:1501]',
    'W': L(W), 'b': L(b),
    'fit_outputs': L(fit_out[0, :, 0]),
    'pred': L(p),
    'nmse': nmse,
    'nmse_def': 'mean((pred-truth)^2)/var(truth) (ddof=0)',
    'gram_condition_number': float(np.linalg.cond(Xb.T @ Xb + 1e-6 * np.eye(101))),
    'max_abs_W': float(np.max(np.abs(W))),
    'numpy_check': {
      'W_vs_numpy_ridge_max_abs_diff': float(np.max(np.abs(Wnp[1:] - W))),
      'b_vs_numpy_ridge_abs_diff': float(np.max(np.abs(Wnp[0] - b))),
      'pred_vs_numpy_states_max_abs_diff': float(np.max(np.abs(pnp[:, 0] - p))),
    },
  }
  print(f'  esn_mg: nmse {nmse:.4g}, numpy check {rec["numpy_check"]}')
  return rec


LZ_INITS = {'x': 17.67715816276679, 'y': 12.931379185960404, 'z': 43.91404334248268}
LZ_ARGS = dict(duration=75., dt=0.025, sigma=10, beta=8 / 3, rho=28, method='rk4')
LZ_WARM = 400
LZ_TRAIN = 400
LZ_TEST = 2000


def gen_lorenz():
  bd = brainpy_datasets()
  lz = bd.chaos.LorenzEq(inits=dict(LZ_INITS), **LZ_ARGS)
  xyz = np.stack([A(lz.xs)[:, 0], A(lz.ys)[:, 0], A(lz.zs)[:, 0]], axis=1)
  n = xyz.shape[0]
  # numpy transcription of what XLA executes
  Bc = 8 / 3
  X6, X3 = float('0.041666666666666664'), float('0.083333333333333329')
  Y6, Y3 = float('0.0041666666666666666'), float('0.0083333333333333332')
  fx = lambda x, y: y - x
  fy = lambda x, y, z: fma(x, 28.0 - z, -y)
  fz = lambda x, y, z: fma(x, y, -(z * Bc))
  x, y, z = LZ_INITS['x'], LZ_INITS['y'], LZ_INITS['z']
  port = np.empty((n, 3))
  for i in range(n):
    a1, b1, c1 = fx(x, y), fy(x, y, z), fz(x, y, z)
    x2, y2, z2 = fma(a1, 0.125, x), fma(b1, 0.0125, y), fma(c1, 0.0125, z)
    a2, b2, c2 = fx(x2, y2), fy(x2, y2, z2), fz(x2, y2, z2)
    x3, y3, z3 = fma(a2, 0.125, x), fma(b2, 0.0125, y), fma(c2, 0.0125, z)
    a3, b3, c3 = fx(x3, y3), fy(x3, y3, z3), fz(x3, y3, z3)
    x4, y4, z4 = fma(a3, 0.25, x), fma(b3, 0.025, y), fma(c3, 0.025, z)
    a4, b4, c4 = fx(x4, y4), fy(x4, y4, z4), fz(x4, y4, z4)
    x = fma(a4, X6, fma(a3, X3, fma(a2, X3, fma(a1, X6, x))))
    y = fma(b4, Y6, fma(b3, Y3, fma(b2, Y3, fma(b1, Y6, y))))
    z = fma(c4, Y6, fma(c3, Y3, fma(c2, Y3, fma(c1, Y6, z))))
    port[i] = (x, y, z)
  port_diff = float(np.max(np.abs(port - xyz)))
  method = {
    'equations': 'dx/dt = sigma*(y-x); dy/dt = x*(rho-z) - y; dz/dt = x*y - beta*z',
    'params': {'sigma': 10.0, 'rho': 28.0, 'beta': 8 / 3, 'dt': 0.025},
    'initial_condition': LZ_INITS,
    'integrator': "BrainPy odeint(JointEq([dx, dy, dz]), method='rk4'): classical RK4 on the joint system "
                  "(all three stage arguments advanced together), run by IntegratorRunner",
    'step_time': 't_i = i*dt (autonomous system, t unused)',
    'returned': 'LorenzEq.xs/ys/zs[i] = state after step i, i.e. at t=(i+1)*dt; the initial condition is not '
                'included. "xyz" below is [num_steps, 3] with columns x, y, z.',
    'exact_arithmetic_as_executed': (
      "Bit-exact recipe of what XLA-CPU (jax 0.4.20, x86-64 with FMA) executes (constants folded, fma "
      "contraction): fx = y - x (sigma folded into the weights); fy = fma(x, 28.0 - z, -y); "
      "fz = fma(x, y, -(z*B)), B = 2.6666666666666665; stage args: x + fx*(10*dt/2) -> fma(a,0.125,x), "
      "y/z: fma(b,0.0125,y); stage 4: fma(a3,0.25,x), fma(b3,0.025,y); final: "
      "x = fma(a4,X6,fma(a3,X3,fma(a2,X3,fma(a1,X6,x)))) with X6=0.041666666666666664 (=10*dt/6), "
      "X3=0.083333333333333329 (=10*dt/3); y,z likewise with Y6=0.0041666666666666666 (=dt/6), "
      "Y3=0.0083333333333333332 (=dt/3). Checked against BrainPy: numpy_port_max_abs_diff. "
      "The Lorenz system is chaotic: a port with different rounding (no fma, or a/6 instead of a*(dt/6)) "
      "agrees only for ~1000 steps; read the series from this file for the NVAR test."),
  }
  rec = {'generator': 'brainpy_datasets.chaos.LorenzEq (brainpy-datasets 0.0.0.7; BrainPy 2.4.6 has no bp.datasets)',
         'args': dict(LZ_ARGS, inits=LZ_INITS), 'method': method, 'num_steps': int(n),
         'xyz': L(xyz), 'numpy_port_max_abs_diff': port_diff}
  print(f'  lorenz: {n} steps, numpy port max diff {port_diff}')
  return rec, xyz


def nvar_lorenz(xyz):
  w = LZ_WARM
  x_train = xyz[w:w + LZ_TRAIN]
  dx_train = xyz[w + 1:w + LZ_TRAIN + 1] - x_train
  x_test = xyz[w + LZ_TRAIN:w + LZ_TRAIN + LZ_TEST]
  y_test = xyz[w + LZ_TRAIN + 1:w + LZ_TRAIN + LZ_TEST + 1]

  nvar = bp.dyn.NVAR(num_in=3, delay=2, order=2, stride=1, constant=True, mode=bm.batching_mode)
  readout = bp.dnn.Dense(nvar.num_out, 3, W_initializer=bp.init.ZeroInit(), b_initializer=None,
                         mode=bm.training_mode)
  model = bp.Sequential(nvar, readout, mode=bm.batching_mode)
  trainer = bp.RidgeTrainer(model, alpha=2.5e-6, progress_bar=False)
  trainer.fit([jnp.asarray(x_train[None]), jnp.asarray(dx_train[None])], reset_state=True)
  W = A(readout.W.value)
  dpred = A(trainer.predict(jnp.asarray(x_test[None])))[0]
  pred = x_test + dpred
  nmse_c = [float(np.mean((pred[:, k] - y_test[:, k]) ** 2) / np.var(y_test[:, k])) for k in range(3)]
  nmse = float(np.mean(nmse_c))

  # numpy check of the feature map + ridge
  def feats(xs):
    prev = np.zeros(3)
    out = []
    for v in xs:
      lin = np.concatenate([v, prev])
      quad = [lin[i] * lin[j] for i in range(6) for j in range(i, 6)]
      out.append(np.concatenate([[1.0], lin, quad]))
      prev = v
    return np.array(out)
  Fall = feats(np.concatenate([x_train, x_test]))
  Ftr = Fall[:LZ_TRAIN]
  nf = Ftr.shape[1]
  Gm = Ftr.T @ Ftr + 2.5e-6 * np.eye(nf)
  Wnp = np.linalg.pinv(Gm, rcond=10 * nf * np.finfo(float).eps) @ (Ftr.T @ dx_train)
  Wnp15 = np.linalg.pinv(Gm) @ (Ftr.T @ dx_train)   # numpy default rcond=1e-15
  nm3 = lambda Wx: float(np.mean([np.mean((x_test[:, k] + (Fall[LZ_TRAIN:] @ Wx)[:, k] - y_test[:, k]) ** 2)
                                  / np.var(y_test[:, k]) for k in range(3)]))
  check_finite('nvar_lorenz', W, pred)
  rec = {
    'nvar_params': dict(num_in=3, delay=2, order=2, stride=1, constant=True, mode='batching'),
    'num_features': int(nvar.num_out),
    'feature_names': nvar.get_feature_names(),
    'readout': f'Dense({nvar.num_out}, 3, W=ZeroInit, b_initializer=None, mode=training)',
    'model': 'bp.Sequential(nvar, readout, mode=bm.batching_mode)',
    'trainer': "bp.RidgeTrainer(model, alpha=2.5e-6, progress_bar=False).fit([x_train[None], dx_train[None]], "
               "reset_state=True); dpred = trainer.predict(x_test[None]) (no reset)",
    'warmup_steps_skipped': w,
    'slices': {'x_train': f'xyz[{w}:{w + LZ_TRAIN}]', 'dx_train': f'xyz[{w + 1}:{w + LZ_TRAIN + 1}] - x_train',
               'x_test': f'xyz[{w + LZ_TRAIN}:{w + LZ_TRAIN + LZ_TEST}]',
               'y_test': f'xyz[{w + LZ_TRAIN + 1}:{w + LZ_TRAIN + LZ_TEST + 1}]'},
    'series_slice_start': w, 'series_slice': L(xyz[w:w + LZ_TRAIN + LZ_TEST + 1]),
    'W': L(W),
    'pred': L(pred), 'pred_def': 'pred[t] = x_test[t] + model(x_test[t]) (teacher forced), compared with y_test[t]',
    'nmse_per_component': nmse_c, 'nmse': nmse,
    'nmse_def': 'mean over x,y,z of mean_t((pred-y)^2)/var_t(y) (ddof=0)',
    'gram_condition_number': float(np.linalg.cond(Gm)),
    'numpy_check': {'W_vs_numpy_ridge_max_abs_diff': float(np.max(np.abs(Wnp - W))),
                    'W_vs_numpy_pinv_rcond1e-15_max_abs_diff': float(np.max(np.abs(Wnp15 - W))),
                    'nmse_with_numpy_pinv_rcond1e-15_W': nm3(Wnp15),
                    'dpred_vs_numpy_features_max_abs_diff':
                      float(np.max(np.abs(Fall[LZ_TRAIN:] @ W - dpred)))},
  }
  print(f'  nvar_lorenz: nmse {nmse:.4g} {nmse_c}, numpy check {rec["numpy_check"]}')
  return rec


class ForceNet(bp.DynamicalSystem):
  def __init__(self, Win, Wrec, state0):
    super().__init__(mode=bm.batching_mode)
    self.state0 = np.asarray(state0)
    self.res = bp.dyn.Reservoir(input_shape=1, num_out=300, leaky_rate=0.1, activation='tanh',
                                activation_type='external', Win_initializer=jnp.asarray(Win),
                                Wrec_initializer=jnp.asarray(Wrec), in_connectivity=1.0,
                                rec_connectivity=1.0, spectral_radius=None, mode=bm.batching_mode)
    self.out = bp.dnn.Dense(300, 1, W_initializer=bp.init.ZeroInit(), b_initializer=None,
                            mode=bm.training_mode)
    self.z = bm.Variable(jnp.zeros((1, 1)), batch_axis=0)

  def reset_state(self, batch_size=None):
    # OnlineTrainer.fit(reset_state=True) calls only target.reset_state(num_batch)
    # (BrainPy >= 2.4.6 no longer recurses), so reset the children here.
    self.res.reset_state(batch_size)
    # deviation from the brief: with a zero input, zero z and a zero state the
    # reservoir sits on its fixed point tanh(0)=0 forever, so start it from state0
    self.res.state.value = jnp.asarray(np.broadcast_to(self.state0, self.res.state.shape))
    self.z.value = jnp.zeros((1 if batch_size is None else batch_size, 1))

  def update(self, x):
    r = self.res(self.z.value)
    y = self.out(r)
    self.z.value = y
    return y


def force_example():
  r = np.random.default_rng(20261206)
  Win = r.uniform(-1, 1, size=(1, 300))
  Wrec = r.normal(size=(300, 300)) * (1.5 / np.sqrt(300 * 0.1))
  Wrec[r.random(size=(300, 300)) < 0.9] = 0.0
  state0 = r.uniform(-0.5, 0.5, size=(1, 300))
  t = np.arange(3000)
  target = np.sin(2 * np.pi * t / 120) + 0.5 * np.sin(4 * np.pi * t / 120)
  net = ForceNet(Win, Wrec, state0)
  trainer = bp.ForceTrainer(net, alpha=1.0, progress_bar=False)
  fit_out = A(trainer.fit([jnp.zeros((1, 2000, 1)), jnp.asarray(target[:2000].reshape(1, 2000, 1))],
                          reset_state=True))[0, :, 0]
  W = A(net.out.W.value)
  pred = A(trainer.predict(jnp.zeros((1, 1000, 1))))[0, :, 0]
  tt = target[2000:3000]
  nmse = float(np.mean((pred - tt) ** 2) / np.var(tt))
  nm = lambda a, b: float(np.mean((a - b) ** 2) / np.var(b))
  nmse_first = nm(fit_out[:200], target[:200])
  nmse_last = nm(fit_out[1800:2000], target[1800:2000])

  # numpy re-implementation (sanity)
  s = state0.copy(); Wn = np.zeros((300, 1)); P = np.eye(300); z = np.zeros((1, 1)); on = []
  for k in range(3000):
    s = np.tanh(0.9 * s + 0.1 * (z @ Win + s @ Wrec))
    y = s @ Wn
    on.append(y[0, 0])
    if k < 2000:
      kk = P @ s.T; c = np.sum(1.0 / (1.0 + s @ kk)); P = P - c * (kk @ kk.T)
      Wn = Wn - c * kk @ (y - target[k])
    z = y
  on = np.array(on)
  check_finite('force', fit_out, pred, W)
  rec = {
    'Win': L(Win), 'Wrec': L(Wrec),
    'state0': L(state0),
    'Wrec_recipe': 'rng = default_rng(20261206); Win = rng.uniform(-1,1,(1,300)); '
                   'Wrec = rng.normal(size=(300,300)) * 1.5/sqrt(300*0.1); Wrec[rng.random((300,300)) < 0.9] = 0; '
                   'state0 = rng.uniform(-0.5,0.5,(1,300))',
    'state0_note': 'deviation from the brief: reset_state puts the reservoir state at state0 (not zeros); '
                   'with zero input, z=0 and state 0 the reservoir never leaves tanh(0)=0 and nothing is learned',
    'reservoir_params': dict(input_shape=1, num_out=300, leaky_rate=0.1, activation='tanh',
                             activation_type='external', in_connectivity=1.0, rec_connectivity=1.0,
                             spectral_radius=None, mode='batching'),
    'readout': 'Dense(300, 1, W=ZeroInit, b_initializer=None, mode=training)',
    'net': 'update(x): r = res(z); y = out(r); z = y; return y  (x is a dummy zero input [1,T,1]); '
           'z starts at zeros((1,1)); reservoir state starts at state0',
    'trainer': "bp.ForceTrainer(net, alpha=1.0, progress_bar=False) (= OnlineTrainer with RLS(alpha=1.0), P0 = I); "
               "fit([zeros(1,2000,1), target[0:2000] as (1,2000,1)], reset_state=True); "
               "pred = trainer.predict(zeros(1,1000,1)) (free running, no reset)",
    'target_def': 'target[t] = sin(2*pi*t/120) + 0.5*sin(4*pi*t/120), t = 0..2999 (step index)',
    'target': L(target),
    'fit_outputs': L(fit_out),
    'fit_outputs_def': 'output of step t during fit, before that step\'s RLS update, compared with target[t]',
    'W': L(W),
    'pred': L(pred), 'pred_truth': 'target[2000:3000]',
    'nmse': nmse,
    'nmse_train_first200': nmse_first, 'nmse_train_last200': nmse_last,
    'nmse_def': 'mean((a-b)^2)/var(b) (ddof=0)',
    'numpy_check': {'fit_outputs_max_abs_diff': float(np.max(np.abs(on[:2000] - fit_out))),
                    'pred_max_abs_diff': float(np.max(np.abs(on[2000:] - pred)))},
  }
  print(f'  force: nmse pred {nmse:.4g}, train first200 {nmse_first:.4g}, last200 {nmse_last:.4g}, '
        f'numpy check {rec["numpy_check"]}')
  return rec


def gen_examples():
  print('mackey_glass ...')
  mg, series = gen_mackey_glass()
  print('esn_mg ...')
  esn = esn_mg(series)
  print('lorenz ...')
  lz, xyz = gen_lorenz()
  print('nvar_lorenz ...')
  nv = nvar_lorenz(xyz)
  print('force ...')
  fo = force_example()
  obj = {'meta': meta(), 'mackey_glass': mg, 'esn_mg': esn, 'lorenz': lz, 'nvar_lorenz': nv, 'force': fo}
  dump(obj, os.path.join(OUT_DIR, 'examples_f64.json'))


if __name__ == '__main__':
  what = sys.argv[1] if len(sys.argv) > 1 else 'all'
  if what in ('all', 'fit'):
    gen_fit()
  if what in ('all', 'examples'):
    gen_examples()
