#!/usr/bin/env python3
"""Generic one-definition fused steps vs the hand-written kernels they replaced (issue 12).

Runs two builds of `examples/bench_overhead` side by side, alternating, and compares the
"fused (µs/step)" column per (model, N): BASE is a binary built from the last commit with
hand-written kernels (de5ff61), NEW one built from this checkout. Each run's figure is already
the minimum over its rounds; the table gives the median over runs and the ratio new/base.

    git worktree add /tmp/base de5ff61 && (cd /tmp/base && cargo build --release --example bench_overhead)
    cargo build --release --example bench_overhead
    python3 benchmarks/compare_generic.py /tmp/base/target/release/examples/bench_overhead \
        target/release/examples/bench_overhead --runs 5

Environment variables are passed through, so BRAINBURN_GENERIC_ONLY=1 measures the generic
step without the float32 overrides of WB and HH (it only affects NEW).
"""
import argparse
import json
import statistics
import subprocess


def run(binary, rounds):
    out = subprocess.run([binary, "--rounds", str(rounds)], capture_output=True, text=True,
                         check=True).stdout
    simd = out.splitlines()[0]
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in ("lif", "wb", "hh"):
            rows[(cells[0], int(cells[1]))] = float(cells[2])
    return simd, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="write the medians and ratios here")
    a = ap.parse_args()
    base, new = {}, {}
    simd = None
    for _ in range(a.runs):
        for which, store in ((a.base, base), (a.new, new)):
            simd, rows = run(which, a.rounds)
            for k, v in rows.items():
                store.setdefault(k, []).append(v)
    print(simd)
    print("| model | N | hand kernel (µs/step) | generic (µs/step) | generic/hand |")
    print("|---|---|---|---|---|")
    result = []
    for key in sorted(base, key=lambda k: (["lif", "wb", "hh"].index(k[0]), k[1])):
        b, n = statistics.median(base[key]), statistics.median(new[key])
        print(f"| {key[0]} | {key[1]} | {b:.2f} | {n:.2f} | {n / b:.2f} |")
        result.append({"model": key[0], "n": key[1], "hand_us": b, "generic_us": n,
                       "ratio": n / b, "hand_runs": base[key], "generic_runs": new[key]})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"simd": simd, "runs": a.runs, "rows": result}, f, indent=1)


if __name__ == "__main__":
    main()
