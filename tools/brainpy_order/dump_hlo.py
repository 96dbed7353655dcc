"""Print XLA's optimised HLO of BrainPy 2.4.6's Wang-Buzsaki exp_auto step (float64, CPU).

    python dump_hlo.py [dt] > wb_hlo.txt        (in the BrainPy venv of docs/benchmarks.md)

`src/fused/neurons/wb_x64.rs` is this program written out; `find_fma.py` finds which of its
sums LLVM contracts into fused multiply-adds.
"""
import re
import sys

import jax
import jax.numpy as jnp
import brainpy as bp
import brainpy.math as bm

bm.enable_x64()
DT = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
neu = bp.neurons.WangBuzsakiModel(15)


def step(V, h, n, I):
    return neu.integral(V, h, n, 0., I, DT)


x = jnp.ones(15)
txt = jax.jit(step).lower(x, x, x, x).compile().as_text()
for line in txt.splitlines():
    line = re.sub(r', metadata=\{[^}]*\}', '', line)
    line = re.sub(r'f64\[15\]\{0\} ', '', line)
    line = re.sub(r'f64\[\] ', '', line)
    print(line)
