"""BrainPy 2.4.6 float64 reference of the Wang-Buzsaki gamma network (examples/networks/
wb_gamma.toml, `brainburn::workloads::wb_gamma`) over a whole run: 100 WangBuzsakiModel
neurons, GABAa All2All without self (g_max 0.1/N, alpha 12, beta 0.1, T 1, T_duration 1,
COBA E -75), input 1, dt 0.01 ms, 500 ms. V0 = -70 + 20 N(0, 1) is drawn here (numpy seed 0) and
stored (also as the bits of each float64, `v0_bits`, so that no decimal parser can move
an ulp), so both sides start from the same state. Stored: every neuron's spike steps, the final
V/h/n, and per step a 32-bit digest of the bits of all 100 V values (FNV-1a over the 64-bit
words, low 32 bits; `tests/cases/fused.rs::wb_gamma_matches_brainpy_f64` computes the same), so
the first step at which the trajectories differ in any bit is known.

    /work/venv-bp/bin/python tools/oracle_extra/wb_gamma.py > tests/data/oracle_extra/wb_gamma_f64.json
"""
import json
import sys

import numpy as np
import brainpy as bp
import brainpy.math as bm

bm.enable_x64()
bm.set_platform('cpu')

N, DT, MS = 100, 0.01, 500.0
bm.set_dt(DT)
v0 = -70.0 + 20.0 * np.random.default_rng(0).standard_normal(N)
neu = bp.neurons.WangBuzsakiModel(N, V_initializer=bp.init.Constant(0.0),
                                  h_initializer=bp.init.Constant(0.6),
                                  n_initializer=bp.init.Constant(0.32))
neu.V.value = bm.asarray(v0)
syn = bp.synapses.GABAa(pre=neu, post=neu, conn=bp.connect.All2All(include_self=False),
                        g_max=0.1 / N, alpha=12.0, beta=0.1, T=1.0, T_duration=1.0,
                        output=bp.synouts.COBA(E=-75.0))
net = bp.Network(neu=neu, syn=syn)
r = bp.DSRunner(net, monitors={'V': neu.V, 'spike': neu.spike}, inputs=[('neu.input', 1.0)],
                progress_bar=False)
r.run(MS)
V = np.asarray(r.mon['V'], dtype=np.float64)
spk = np.asarray(r.mon['spike'])
bits = V.view(np.uint64)
h = np.full(V.shape[0], 0xcbf29ce484222325, dtype=np.uint64)
with np.errstate(over='ignore'):
    for j in range(N):
        h = (h ^ bits[:, j]) * np.uint64(0x100000001b3)
digest = ''.join('%08x' % (int(x) & 0xffffffff) for x in h)
out = dict(brainpy=bp.__version__, precision='float64', n=N, dt=DT, duration_ms=MS,
           n_steps=int(V.shape[0]),
           network='examples/networks/wb_gamma.toml with V_initializer = the values v0',
           v0=[float(x) for x in v0],
           v0_bits=['%016x' % int(x) for x in v0.view(np.uint64)],
           spike_steps=[[int(k) for k in np.nonzero(spk[:, j])[0]] for j in range(N)],
           final_V_bits=['%016x' % int(x) for x in V[-1].view(np.uint64)],
           final=dict(V=[float(x) for x in V[-1]], h=[float(x) for x in np.asarray(neu.h)],
                      n=[float(x) for x in np.asarray(neu.n)]),
           v_digest_rule='per step: h = 0xcbf29ce484222325; for each V (bits as u64, neuron '
                         'order): h = (h ^ bits) * 0x100000001b3 mod 2^64; the low 32 bits as 8 '
                         'hex digits, steps concatenated',
           v_digest=digest)
print('spikes', int(spk.sum()), 'steps', V.shape[0], file=sys.stderr)
json.dump(out, sys.stdout)
print()
