"""float32 vs float64 spread of the zoo oracle (how far BrainPy's own float32 run is from its
float64 run), per case and CSV column, plus whether the spike steps agree.

    /work/venv-bp/bin/python tools/oracle_extra/zoo_spread.py tests/data/oracle_zoo \
        > tests/data/oracle_zoo/f32_vs_f64.json

Tests size float32 tolerances from these numbers (never from brainburn's own error).
"""
import csv
import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else 'tests/data/oracle_zoo'


def read(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(x) for x in r] for r in rows[1:]]


out = {}
for js in sorted(glob.glob(os.path.join(root, '*.json'))):
    name = os.path.basename(js)[:-5]
    if name == 'f32_vs_f64':
        continue
    m64 = json.load(open(js))
    m32 = json.load(open(os.path.join(root, 'f32', name + '.json')))
    h64, r64 = read(os.path.join(root, m64['csv']))
    h32, r32 = read(os.path.join(root, 'f32', m32['csv']))
    assert h64 == h32 and len(r64) == len(r32), name
    cols = {}
    for c, h in enumerate(h64):
        if h == 'k':
            continue
        d = max(abs(a[c] - b[c]) for a, b in zip(r64, r32))
        scale = max(abs(a[c]) for a in r64)
        cols[h] = dict(max_abs=d, max_abs_f64=scale)
    spikes = {k: m64[k] == m32[k] for k in m64 if k.startswith('spike_steps')}
    out[name] = dict(columns=cols, spike_steps_equal=spikes)
json.dump(dict(note='max |f32 - f64| per CSV column (BrainPy 2.4.6 against itself)', cases=out),
          sys.stdout, indent=1)
