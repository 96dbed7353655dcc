"""BrainPy 2.4.6's input-current helpers (brainpy.inputs) in float64, for tests/cases/inputs.rs.

Run with the BrainPy venv (../shared/benchmarks/README.md):
    python tools/oracle_extra/gen_inputs.py tests/data/oracle_inputs/inputs_f64.json

Deterministic helpers: every array whole. Random helpers (wiener_process, ou_process): BrainPy's
generator is JAX's, so only statistics are compared: the sample mean and variance of long runs,
which show what BrainPy 2.4.6 draws (ou_process: uniform increments, rng.rand).
"""
import json
import sys

import brainpy as bp
import brainpy.math as bm
import numpy as np

bm.enable_x64()


def arr(x):
    return np.asarray(x, dtype=np.float64).tolist()


cases = []


def case(helper, args, value):
    cases.append({"helper": helper, "args": args, "value": arr(value)})


for values, durations, dt in [
    ([0.0, 1.0], [100.0, 100.0], 0.1),
    ([0.5, 1.0, [2.0, 3.0]], [0.25, 0.3, 0.2], 0.1),
    ([1.5, -2.0, 0.25], [10.0, 7.3, 3.33], 0.05),
    ([[1.0, 2.0, 3.0], 4.0], [0.7, 0.9], 0.3),
]:
    v = [np.asarray(x, dtype=np.float64) for x in values]
    case("section_input", {"values": [np.atleast_1d(x).tolist() for x in v],
                           "durations": durations, "dt": dt},
         bp.inputs.section_input(v, durations, dt=dt))

for pairs, dt in [([(0.0, 100.0), (1.0, 100.0)], 0.1), ([(2.0, 1.1), (-1.0, 0.7), (3.0, 0.45)], 0.1)]:
    cur, dur = bp.inputs.constant_input(pairs, dt=dt)
    cases.append({"helper": "constant_input",
                  "args": {"values": [[p[0]] for p in pairs], "durations": [p[1] for p in pairs], "dt": dt},
                  "value": arr(cur), "duration": float(dur)})

for times, lens, sizes, duration, dt in [
    ([10.0, 20.0, 30.0, 200.0, 300.0], 1.0, 0.5, 400.0, 0.1),
    ([0.2, 0.3, 0.9], 0.2, [1.0, 2.0, 3.0], 1.0, 0.1),
    ([1.0, 1.5, 4.0], [2.0, 0.5, 3.0], [1.0, -2.0, 4.5], 5.0, 0.25),
]:
    case("spike_input", {"sp_times": times, "sp_lens": np.atleast_1d(lens).tolist(),
                         "sp_sizes": np.atleast_1d(sizes).tolist(), "duration": duration, "dt": dt},
         bp.inputs.spike_input(times, lens, sizes, duration, dt=dt))

for c0, c1, duration, t0, t1, dt in [
    (0.0, 1.0, 10.0, 2.0, 7.0, 1.0),
    (-3.0, 5.0, 100.0, 10.0, 90.0, 0.1),
    (1.0, 0.2, 50.0, 0.0, None, 0.03),
    (2.0, 4.0, 10.0, 3.33, 3.4, 0.1),
]:
    case("ramp_input", {"c_start": c0, "c_end": c1, "duration": duration, "t_start": t0,
                        "t_end": t1, "dt": dt},
         bp.inputs.ramp_input(c0, c1, duration, t0, t1, dt=dt))

for amp, f, duration, dt, t0, t1, bias in [
    (1.0, 10.0, 100.0, 0.1, 0.0, None, False),
    (2.5, 40.0, 200.0, 0.05, 20.0, 150.0, True),
    (0.7, 3.0, 1000.0, 0.25, 100.0, 900.0, False),
]:
    case("sinusoidal_input", {"amplitude": amp, "frequency": f, "duration": duration, "dt": dt,
                              "t_start": t0, "t_end": t1, "bias": bias},
         bp.inputs.sinusoidal_input(amp, f, duration, dt=dt, t_start=t0, t_end=t1, bias=bias))
    case("square_input", {"amplitude": amp, "frequency": f, "duration": duration, "dt": dt,
                          "t_start": t0, "t_end": t1, "bias": bias},
         bp.inputs.square_input(amp, f, duration, dt=dt, bias=bias, t_start=t0, t_end=t1))

# Shapes BrainPy rejects.
errors = []
for helper, call in [
    ("sinusoidal_input dt=0.3", lambda: bp.inputs.sinusoidal_input(1.0, 10.0, 100.0, dt=0.3)),
    ("square_input dt=0.3", lambda: bp.inputs.square_input(1.0, 10.0, 100.0, dt=0.3)),
    ("section_input lengths", lambda: bp.inputs.section_input([1.0], [1.0, 2.0], dt=0.1)),
    ("ou_process t_end=None", lambda: bp.inputs.ou_process(0.5, 1.0, 10.0, 100.0, dt=0.1, n=2, seed=1)),
]:
    try:
        call()
        errors.append({"call": helper, "raises": False})
    except Exception as e:  # noqa: BLE001
        errors.append({"call": helper, "raises": True, "error": type(e).__name__})

# Random helpers: statistics of long runs.
stats = []
w = np.asarray(bp.inputs.wiener_process(900.0, dt=0.1, n=200, t_start=100.0, t_end=800.0, seed=3))
active = w[1000:8000]
stats.append({"helper": "wiener_process", "args": {"duration": 900.0, "dt": 0.1, "n": 200,
              "t_start": 100.0, "t_end": 800.0},
              "rows": w.shape[0], "zero_rows_before": int(np.all(w[:1000] == 0, axis=1).sum()),
              "zero_rows_after": int(np.all(w[8000:] == 0, axis=1).sum()),
              "mean": float(active.mean()), "var": float(active.var())})
mean, sigma, tau, dt = 0.5, 0.2, 10.0, 0.1
o = np.asarray(bp.inputs.ou_process(mean, sigma, tau, 900.0, dt=dt, n=200, t_end=900.0, seed=5))
tail = o[1000:]
stats.append({"helper": "ou_process", "args": {"mean": mean, "sigma": sigma, "tau": tau,
              "duration": 900.0, "dt": dt, "n": 200, "t_start": 0.0, "t_end": 900.0},
              "rows": o.shape[0], "first_row_mean": float(o[0].mean()),
              "burn_in_rows": 1000, "mean": float(tail.mean()), "var": float(tail.var())})

out = {"brainpy": bp.__version__, "x64": True, "cases": cases, "errors": errors, "stats": stats}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
print(len(cases), "cases;", errors, stats)

# bp.dyn.OUProcess (a group): statistics of x over a long run (exp_euler SDE step).
bm.set_dt(0.1)
ou = bp.dyn.OUProcess(200, mean=0.5, sigma=0.2, tau=10.0)
runner = bp.DSRunner(ou, monitors={"x": ou.x}, progress_bar=False, dt=0.1)
runner.run(900.0)
x = np.asarray(runner.mon["x"])
out["ou_group"] = {"N": 200, "mean": 0.5, "sigma": 0.2, "tau": 10.0, "dt": 0.1, "n_steps": int(x.shape[0]),
                   "burn_in": 1000, "x_mean": float(x[1000:].mean()), "x_var": float(x[1000:].var()),
                   "first_step_mean": float(x[0].mean()), "first_step_var": float(x[0].var())}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
print(out["ou_group"])
