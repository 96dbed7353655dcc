"""Which sums of BrainPy's compiled WB step are fused multiply-adds.

Replays the optimised HLO (`dump_hlo.py > wb_hlo.txt`) in exact IEEE arithmetic (glibc exp,
as XLA's), with each candidate add/subtract of a product either plain or contracted, and keeps
the choices that reproduce BrainPy's own jitted step on random and on trajectory states.

    python find_fma.py wb_hlo.txt
"""
import sys

import jax
import numpy as np
import brainpy as bp
import brainpy.math as bm

from hlofma import candidates, parse, run

bm.enable_x64()
comps, entry = parse(open(sys.argv[1] if len(sys.argv) > 1 else 'wb_hlo.txt').read())
cands = candidates(comps)
neu = bp.neurons.WangBuzsakiModel(1)
rng = np.random.RandomState(1)
N = 4000
V, h, n, I = (rng.uniform(-80, 40, N), rng.uniform(0, 1, N), rng.uniform(0, 1, N),
              rng.uniform(0, 20, N))
f = jax.jit(lambda V, h, n, I: neu.integral(V, h, n, 0., I, 0.05))
want = [np.asarray(x) for x in f(V, h, n, I)]


def score(flags):
    got = run(comps, entry, [V, h, n, I], flags)
    return sum(int((g != w).sum()) for g, w in zip(got, want))


flags = {}
print('no contraction: mismatches', score(flags))
improved = True
while improved:
    improved = False
    for v in sorted(set(v for v, _ in cands)):
        best = (score(flags), flags.get(v))
        for opt in [None] + [k for vv, k in cands if vv == v]:
            trial = dict(flags)
            if opt is None:
                trial.pop(v, None)
            else:
                trial[v] = opt
            s = score(trial)
            if s < best[0]:
                best, improved = (s, opt), True
        if best[1] is None:
            flags.pop(v, None)
        else:
            flags[v] = best[1]
print('mismatches', score(flags), 'with contractions (node: contracted operand)', flags)
