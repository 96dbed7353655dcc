#!/usr/bin/env python3
"""BrainPy 2.4.6 side of the brainburn CPU benchmarks (issue 7, targets 1 and 2).

The networks of `examples/bench_wb_gamma.rs` and `examples/bench_coba.rs`, in BrainPy's legacy
API as in BrainPy's own examples and `oracle/data/bench_brainpy_cpu.json`:

* `wb<N>`: N `bp.neurons.WangBuzsakiModel` (V0 = -70 + 20 N(0,1)), `bp.synapses.GABAa` All2All
  without self (g_max 0.1/N, alpha 12, beta 0.1, T 1, T_duration 1, COBA(E=-75)), input 1,
  dt 0.01 ms;
* `coba`: 3200 E + 800 I `bp.neurons.LIF` (V_rest -60, V_th -50, V_reset -60, tau 20, tau_ref 5,
  V0 ~ N(-55, 2)), four `bp.synapses.Exponential` (FixedProb 0.02 seeds 1..4, default
  comp_method 'sparse' = event-driven CSR; E: 0.6, tau 5, COBA(E=0); I: 6.7, tau 10, COBA(E=-80)),
  input 20 to both groups, dt 0.1 ms.

float32 (BrainPy's default), `DSRunner(jit=True)`, two scalars monitored per step: the spike
count of all neurons and of the neurons brainburn's bench examples watch (the first
min(N, 100) WB neurons, the first 100 E neurons). `Bench.run()` times `runner.run(duration)`
with block_until_ready; the first call (JIT compile + run from the initial state) is
`Bench.compile_s`, and its spike counts and the watched neurons' mean rate (`Bench.spikes_first`,
`Bench.watched_first`, `Bench.rate_hz_first`) are the ones to set beside brainburn's (whose
runs also start from the initial state; the initial V are drawn by different generators, so
the counts agree statistically, not spike for spike).

Install (outside the repository):
  python3 -m venv /tmp/bp && /tmp/bp/bin/pip install "brainpy==2.4.6" "jax[cpu]==0.4.20" \
      "jaxlib==0.4.20" "numpy<2" "scipy<1.13"
Run alone: /tmp/bp/bin/python benchmarks/brainpy_cpu.py wb100 coba --repeats 3
"""
import argparse
import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import brainpy as bp  # noqa: E402
import brainpy.math as bm  # noqa: E402


def wb_gamma(n):
    bm.set_dt(0.01)
    neu = bp.neurons.WangBuzsakiModel(n)
    neu.V[:] = -70.0 + bm.random.normal(size=n) * 20.0
    syn = bp.synapses.GABAa(
        pre=neu,
        post=neu,
        conn=bp.connect.All2All(include_self=False),
        g_max=0.1 / n,
        alpha=12.0,
        beta=0.1,
        T=1.0,
        T_duration=1.0,
        output=bp.synouts.COBA(E=-75.0),
    )
    net = bp.Network(neu=neu, syn=syn)
    runner = bp.DSRunner(
        net,
        monitors={"spikes": lambda: bm.sum(neu.spike),
                  "watched": lambda: bm.sum(neu.spike[:min(n, 100)])},
        inputs=[("neu.input", 1.0)],
        jit=True,
        progress_bar=False,
    )
    return runner, 0.01, min(n, 100)


def coba():
    bm.set_dt(0.1)
    pars = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0,
                V_initializer=bp.init.Normal(-55.0, 2.0))
    e = bp.neurons.LIF(3200, **pars)
    i = bp.neurons.LIF(800, **pars)

    def exp(pre, post, w, tau, rev, seed):
        return bp.synapses.Exponential(pre, post, bp.conn.FixedProb(0.02, seed=seed), g_max=w,
                                       tau=tau, output=bp.synouts.COBA(E=rev))

    net = bp.Network(exp(e, e, 0.6, 5.0, 0.0, 1), exp(e, i, 0.6, 5.0, 0.0, 2),
                     exp(i, e, 6.7, 10.0, -80.0, 3), exp(i, i, 6.7, 10.0, -80.0, 4), E=e, I=i)
    runner = bp.DSRunner(
        net,
        monitors={"spikes": lambda: bm.sum(e.spike) + bm.sum(i.spike),
                  "watched": lambda: bm.sum(e.spike[:100])},
        inputs=[("E.input", 20.0), ("I.input", 20.0)],
        jit=True,
        progress_bar=False,
    )
    return runner, 0.1, 100


class Bench:
    """One compiled BrainPy workload; `run()` times one more `duration_ms` of simulation."""

    def __init__(self, name, duration_ms=1000.0):
        self.name, self.duration = name, duration_ms
        t0 = time.perf_counter()
        if name.startswith("wb"):
            self.runner, self.dt, self.watched_n = wb_gamma(int(name[2:]))
        elif name == "coba":
            self.runner, self.dt, self.watched_n = coba()
        else:
            raise SystemExit(f"unknown workload {name}")
        self.build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.runner.run(duration_ms)
        jax.block_until_ready(self.runner.mon["spikes"])
        self.compile_s = time.perf_counter() - t0  # first call: JIT compile + run
        self.spikes_first = int(bm.as_numpy(self.runner.mon["spikes"]).sum())
        self.watched_first = int(bm.as_numpy(self.runner.mon["watched"]).sum())
        self.rate_hz_first = self.watched_first / self.watched_n / (duration_ms / 1000.0)

    def run(self):
        t0 = time.perf_counter()
        self.runner.run(self.duration)
        jax.block_until_ready(self.runner.mon["spikes"])
        return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workloads", nargs="+")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--ms", type=float, default=1000.0)
    a = p.parse_args()
    for w in a.workloads:
        b = Bench(w, a.ms)
        runs = [b.run() for _ in range(a.repeats)]
        print(json.dumps(dict(workload=w, ms=a.ms, build_s=b.build_s,
                              first_run_incl_compile_s=b.compile_s, runs_s=runs,
                              spikes_first_run=b.spikes_first,
                              watched_spikes_first_run=b.watched_first, watched=b.watched_n,
                              rate_hz_first_run=b.rate_hz_first, loadavg=os.getloadavg(),
                              versions=dict(brainpy=bp.__version__, jax=jax.__version__))),
              flush=True)


if __name__ == "__main__":
    main()
