#!/usr/bin/env python3
"""brainburn vs BrainPy 2.4.6 on the CPU, side by side (issue 7, targets 1 and 2).

For each workload: BrainPy builds and JIT-compiles its network once in this process, then
`--repeats` rounds alternate one timed BrainPy run (1 s simulated, compile excluded) with one
brainburn run as a fresh process (`examples/bench_wb_gamma` / `bench_coba`, whole process
wall time: start-up, build and run). Reports medians, the ratio brainburn/BrainPy, and the
load average around every measurement (the 2-core machine is shared), and stores beside the
timings what each side computed: BrainPy's spike counts of its first run (all neurons, and the
neurons brainburn watches) with their mean rate, and brainburn's spike counts and rate from its
reports (both runs start from the initial state; the initial V come from different generators,
so the two agree statistically: the same rhythm, not the same spikes). The markdown table at the
end is what docs/benchmarks.md shows.

  cargo build --release --example bench_wb_gamma --example bench_coba
  /tmp/bp/bin/python benchmarks/compare.py --repeats 5 --out benchmarks/results.json

Options: --workloads wb100,wb1000,wb4000,coba  --target-dir DIR (default: target)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brainpy_cpu import Bench  # noqa: E402


def brainburn_cmd(target, workload):
    ex = os.path.join(target, "release", "examples")
    if workload.startswith("wb"):
        return [os.path.join(ex, "bench_wb_gamma"), "--n", workload[2:]]
    return [os.path.join(ex, "bench_coba")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workloads", default="wb100,wb1000,wb4000,coba")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", "target"))
    p.add_argument("--out", default=None)
    a = p.parse_args()
    results = []
    for w in a.workloads.split(","):
        cmd = brainburn_cmd(a.target_dir, w)
        bp_bench = Bench(w)
        rec = dict(workload=w, brainburn_cmd=" ".join(cmd), brainpy_build_s=bp_bench.build_s,
                   brainpy_first_run_incl_compile_s=bp_bench.compile_s,
                   brainpy_spikes_first_run=bp_bench.spikes_first,
                   brainpy_watched=bp_bench.watched_n,
                   brainpy_watched_spikes_first_run=bp_bench.watched_first,
                   brainpy_rate_hz_first_run=bp_bench.rate_hz_first,
                   brainpy_s=[], brainburn_process_s=[], brainburn_report=[], loadavg=[])
        for _ in range(a.repeats):
            load0 = os.getloadavg()[0]
            rec["brainpy_s"].append(bp_bench.run())
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rec["brainburn_process_s"].append(time.perf_counter() - t0)
            rec["brainburn_report"].append(json.loads(out.stdout.strip().splitlines()[-1]))
            rec["loadavg"].append([load0, os.getloadavg()[0]])
        bp_med = statistics.median(rec["brainpy_s"])
        bb_med = statistics.median(rec["brainburn_process_s"])
        rec.update(brainpy_median_s=bp_med, brainburn_median_s=bb_med, ratio=bb_med / bp_med,
                   brainburn_watched=rec["brainburn_report"][0]["monitored"],
                   brainburn_spikes=sorted({r["spikes"] for r in rec["brainburn_report"]}),
                   brainburn_rate_hz=statistics.median(r["rate_hz"]
                                                       for r in rec["brainburn_report"]))
        results.append(rec)
        print(json.dumps(dict(workload=w, brainpy_median_s=round(bp_med, 4),
                              brainburn_median_s=round(bb_med, 4), ratio=round(bb_med / bp_med, 3),
                              brainpy_rate_hz=round(bp_bench.rate_hz_first, 2),
                              brainburn_rate_hz=round(rec["brainburn_rate_hz"], 2),
                              brainpy_s=[round(x, 4) for x in rec["brainpy_s"]],
                              brainburn_s=[round(x, 4) for x in rec["brainburn_process_s"]],
                              loadavg=[[round(x, 2) for x in l] for l in rec["loadavg"]])),
              flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(machine=dict(cpus=os.cpu_count(), uname=list(os.uname())),
                           results=results), f, indent=1)
    print("\n| workload | BrainPy 2.4.6 median (s) | brainburn median, whole process (s) | ratio "
          "| BrainPy first call incl. JIT compile (s) | BrainPy rate (Hz) | brainburn rate (Hz) |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['workload']} | {r['brainpy_median_s']:.3f} | {r['brainburn_median_s']:.3f} "
              f"| {r['ratio']:.2f} | {r['brainpy_first_run_incl_compile_s']:.2f} "
              f"| {r['brainpy_rate_hz_first_run']:.2f} | {r['brainburn_rate_hz']:.2f} |")


if __name__ == "__main__":
    main()
