"""Zoo oracle: trajectories of BrainPy 2.4.6's remaining neuron models and synapses (issue 15).

For every case: the full trajectory of every state variable (one CSV row per step) and the spike
steps of every neuron, with the parameters, initializers, inputs and initial state in a JSON.

    /work/venv-bp/bin/python tools/oracle_extra/gen_zoo.py f64 tests/data/oracle_zoo
    /work/venv-bp/bin/python tools/oracle_extra/gen_zoo.py f32 tests/data/oracle_zoo/f32

(venv: brainpy==2.4.6, jax[cpu]==0.4.20, numpy<2, scipy<1.13; see docs/zoo-reference.md.)

Conventions (as tests/data/oracle/README.md): `bp.DSRunner`, step k = 0..n_steps-1 runs at
t_k = k*dt (computed in the working float type) and row k of a CSV is the state AFTER step k;
the initial state (before step 0) is `initial` in the JSON. A spike step k means the spike flag
was set during step k. Every input is constant in time and passed to the model's `update(x)`
(for the legacy neurons that is the same as adding it into `input`, which the runner clears after
each step); PinskyRinzelModel, whose `update` takes no input, gets it added into `Is` / `Id`.
Floats are written with `%.17g` (f64) or `%.9g` (f32), both round-trip exactly.
"""
import json
import os
import sys

import numpy as np

PREC = sys.argv[1] if len(sys.argv) > 1 else 'f64'
OUT = sys.argv[2] if len(sys.argv) > 2 else 'tests/data/oracle_zoo'
assert PREC in ('f64', 'f32'), PREC

import jax  # noqa: E402
import brainpy as bp  # noqa: E402
import brainpy.math as bm  # noqa: E402

if PREC == 'f64':
    bm.enable_x64()
bm.set_platform('cpu')
FMT = '%.17g' if PREC == 'f64' else '%.9g'

VERSIONS = dict(brainpy=bp.__version__, jax=jax.__version__, numpy=np.__version__,
                python=sys.version.split()[0], precision=PREC,
                float_dtype=str(bm.float_.dtype if hasattr(bm.float_, 'dtype') else bm.float_))
TIME = ('The CSV row with k = K (column `k`) is the state AFTER step K; step k runs at '
        't_k = k*dt and sees the inputs of time t_k. spike_steps[j] lists the k at which '
        'neuron j spiked. `initial` is the state before step 0.')


def const(v):
    return bp.init.Constant(v)


def vals(x):
    return np.asarray(bm.as_jax(x), dtype=np.float64).reshape(-1)


MAX_NUMBERS = 2400  # per CSV: keeps the whole data set to a few MB


def write_case(name, meta, columns):
    """columns: list of (header, 1-D array over all steps). Long runs keep every `stride`-th row
    (rows k with (k+1) % stride == 0, i.e. the state at t = multiples of stride*dt); the `k`
    column gives the step of each row. Spike steps are always complete."""
    os.makedirs(OUT, exist_ok=True)
    data = np.stack([np.asarray(c, dtype=np.float64) for _, c in columns], axis=1)
    n_steps = data.shape[0]
    stride = next(s for s in (1, 2, 4, 5, 8, 10, 16, 20)
                  if -(-n_steps // s) * data.shape[1] <= MAX_NUMBERS or s == 20)
    keep = np.arange(stride - 1, n_steps, stride)
    header = ','.join(['k'] + [h for h, _ in columns])
    with open(os.path.join(OUT, f'{name}.csv'), 'w') as f:
        f.write(header + '\n')
        for k in keep:
            f.write(','.join([str(int(k))] + [FMT % x for x in data[k]]) + '\n')
    meta = dict(case=name, versions=VERSIONS, time_convention=TIME, csv=f'{name}.csv',
                stride=stride, **meta)
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    n_sp = sum(len(s) for s in meta.get('spike_steps', []))
    print(f'{name}: {n_steps} steps (stride {stride}) x {data.shape[1]} cols, {n_sp} spikes',
          file=sys.stderr)


def spikes_of(mon):
    s = np.asarray(mon)
    return [[int(k) for k in np.nonzero(s[:, j])[0]] for j in range(s.shape[1])]


# ---------------------------------------------------------------- neurons
# (case, class, params (plain floats), initializers {kwarg: constant}, inputs per neuron,
#  dt, n_steps, states to record, note)
NEURONS = [
    ('expif_default', 'ExpIF', {}, {}, [0.0, 4.0, 8.0, 16.0], 0.1, 400,
     ['V', 't_last_spike'],
     'BrainPy defaults: V starts at 0 mV (ZeroInit), above V_th, so every neuron spikes at step 0.'),
    ('expif_params', 'ExpIF',
     dict(V_rest=-70.0, V_reset=-72.0, V_th=-40.0, V_T=-55.0, delta_T=2.0, R=1.5, tau=12.0,
          tau_ref=2.0),
     dict(V_initializer=-70.0), [0.0, 15.0, 25.0, 40.0], 0.05, 600, ['V', 't_last_spike'],
     'Non-default parameters with a 2 ms refractory period.'),
    ('adexif_default', 'AdExIF', {}, {}, [0.0, 5.0, 10.0, 20.0], 0.1, 400,
     ['V', 'w', 't_last_spike'], 'BrainPy defaults (V0 = 0, spikes at step 0).'),
    ('adexif_params', 'AdExIF',
     dict(V_rest=-70.0, V_reset=-58.0, V_th=-30.0, V_T=-50.0, delta_T=2.0, a=0.5, b=3.0,
          tau=20.0, tau_w=100.0, R=2.0, tau_ref=1.5),
     dict(V_initializer=-70.0, w_initializer=0.5), [0.0, 12.0, 18.0, 30.0], 0.05, 800,
     ['V', 'w', 't_last_spike'], 'Bursting-type AdEx parameters, 1.5 ms refractory period.'),
    ('quaif_default', 'QuaIF', {}, {}, [0.0, 3.0, 6.0, 12.0], 0.1, 400, ['V', 't_last_spike'],
     'BrainPy defaults (V0 = 0 > V_th = -30, spikes at step 0).'),
    ('quaif_params', 'QuaIF',
     dict(V_rest=-70.0, V_reset=-60.0, V_th=-20.0, V_c=-55.0, c=0.05, R=2.0, tau=15.0,
          tau_ref=1.0),
     dict(V_initializer=-68.0), [0.0, 3.0, 6.0, 12.0], 0.1, 600, ['V', 't_last_spike'],
     'Non-default parameters, 1 ms refractory period.'),
    ('adquaif_default', 'AdQuaIF', {}, {}, [0.0, 5.0, 10.0, 20.0], 0.1, 400,
     ['V', 'w', 't_last_spike'], 'BrainPy defaults (V0 = 0, spikes at step 0).'),
    ('adquaif_params', 'AdQuaIF',
     dict(V_rest=-70.0, V_reset=-55.0, V_th=-20.0, V_c=-52.0, a=0.5, b=2.0, c=0.05, tau=12.0,
          tau_w=80.0, tau_ref=1.0),
     dict(V_initializer=-70.0, w_initializer=1.0), [0.0, 6.0, 10.0, 20.0], 0.1, 800,
     ['V', 'w', 't_last_spike'], 'Non-default parameters, 1 ms refractory period.'),
    ('gif_default', 'GIF', {}, {}, [0.0, 1.5, 3.0, 6.0], 0.1, 400,
     ['V', 'I1', 'I2', 'V_th', 't_last_spike'], 'BrainPy defaults.'),
    ('gif_params', 'GIF',
     dict(V_rest=-70.0, V_reset=-68.0, V_th_inf=-52.0, V_th_reset=-58.0, R=20.0, tau=15.0,
          a=0.01, b=0.05, k1=0.3, k2=0.03, R1=0.5, R2=1.0, A1=1.0, A2=-0.5, tau_ref=2.0),
     dict(V_initializer=-69.0, I1_initializer=0.1, I2_initializer=-0.1, Vth_initializer=-51.0),
     [0.0, 1.5, 2.5, 4.0], 0.05, 800, ['V', 'I1', 'I2', 'V_th', 't_last_spike'],
     'Spike-triggered currents and a moving threshold, 2 ms refractory period.'),
    ('izhikevich_default', 'Izhikevich', {}, {}, [0.0, 5.0, 10.0, 20.0], 0.1, 500,
     ['V', 'u', 't_last_spike'], 'BrainPy defaults: V0 = -70, u0 = b*V0 = -14 (u_initializer=None).'),
    ('izhikevich_params', 'Izhikevich',
     dict(a=0.02, b=0.25, c=-55.0, d=0.05, V_th=25.0, p1=0.04, p2=5.0, p3=140.0, tau_ref=1.0),
     dict(V_initializer=-64.0, u_initializer=-16.0), [0.0, 3.0, 6.0, 12.0], 0.05, 1000,
     ['V', 'u', 't_last_spike'], 'Bursting-type parameters, explicit u0, 1 ms refractory period.'),
    ('hindmarshrose_default', 'HindmarshRose', {}, {}, [0.0, 1.0, 2.0, 3.5], 0.05, 800,
     ['V', 'y', 'z'], 'BrainPy defaults (V0 = 0, y0 = -10, z0 = 0).'),
    ('hindmarshrose_params', 'HindmarshRose',
     dict(a=1.0, b=3.0, c=1.0, d=5.0, r=0.005, s=4.0, V_rest=-1.6, V_th=1.5),
     dict(V_initializer=-1.5, y_initializer=-9.0, z_initializer=1.5), [0.0, 1.5, 2.5, 3.2],
     0.05, 800, ['V', 'y', 'z'], 'Slower adaptation (r = 0.005), V_th = 1.5.'),
    ('fhn_default', 'FHN', {}, {}, [0.0, 0.5, 1.0, 1.5], 0.1, 800, ['V', 'w'],
     'BrainPy defaults (V0 = w0 = 0, Vth = 1.8).'),
    ('fhn_params', 'FHN', dict(a=0.7, b=0.8, tau=10.0, Vth=1.0),
     dict(V_initializer=-1.2, w_initializer=0.5), [0.0, 0.6, 1.0, 2.0], 0.1, 800, ['V', 'w'],
     'Non-default parameters and initial state (V0 = -1.2: at V0 = -1 exactly BrainPy freezes V, '
     'see docs/zoo-reference.md, exp_auto).'),
    ('alif_default', 'ALIFBellec2020', {}, {}, [0.0, 5.0, 10.0, 20.0], 0.1, 200, ['V', 'a'],
     'BrainPy defaults: V0 = -70, a0 = -50, so the threshold V_th + beta*a = -140 is below V0 '
     'and V -= V_th*spike (V_th = -60) RAISES V by 60 mV: every neuron spikes on every step.'),
    ('alif_params', 'ALIFBellec2020',
     dict(V_rest=0.0, V_th=1.0, R=1.0, beta=0.5, tau=20.0, tau_a=200.0, tau_ref=2.0),
     dict(V_initializer=0.0, a_initializer=0.0), [0.0, 1.2, 2.0, 4.0], 0.1, 600,
     ['V', 'a', 't_last_spike'], 'Bellec-scale parameters (V_rest = 0, V_th = 1), 2 ms '
     'refractory period (adds the `refractory` and `t_last_spike` states).'),
    ('lifsfa_default', 'LIF_SFA_Bellec2020', {}, {}, [0.0, 5.0, 10.0, 20.0], 0.1, 200,
     ['V', 'a', 'spike'],
     'BrainPy defaults. The spike is spike_fun((V - V_th - beta*a)/V_th) in EVERY mode '
     '(relu_grad forward: x >= 0 -> 1.0, float); with V_th = -60 < 0 the division flips the '
     'sign, so a neuron "spikes" while V <= V_th + beta*a.'),
    ('lifsfa_params', 'LIF_SFA_Bellec2020',
     dict(V_rest=0.0, V_th=1.0, R=1.0, beta=0.5, tau=20.0, tau_a=200.0, tau_ref=2.0),
     dict(V_initializer=0.0, a_initializer=0.0), [0.0, 1.2, 2.0, 4.0], 0.1, 600,
     ['V', 'a', 'spike', 't_last_spike'],
     'Bellec-scale parameters, 2 ms refractory period. No `input` variable: the input only '
     'enters through update(x).'),
    ('morrislecar_default', 'MorrisLecar', {}, dict(V_initializer=-65.0),
     [0.0, 60.0, 100.0, 150.0], 0.1, 1500, ['V', 'W'],
     'BrainPy defaults except V_initializer (default Uniform(-70, -60) is random): '
     'constant -65.'),
    ('morrislecar_params', 'MorrisLecar',
     dict(V_Ca=120.0, g_Ca=4.0, V_K=-84.0, g_K=8.0, V_leak=-60.0, g_leak=2.0, C=20.0, V1=-1.2,
          V2=18.0, V3=12.0, V4=17.4, phi=0.067, V_th=0.0),
     dict(V_initializer=-60.0, W_initializer=0.01), [0.0, 40.0, 60.0, 100.0], 0.1, 1500,
     ['V', 'W'], 'Class-II-type parameters (Rinzel-Ermentrout), V_th = 0.'),
]

PR_STATES = ['Vs', 'Vd', 'Ca', 'h', 'n', 's', 'c', 'q']
PINSKY = [
    ('pinskyrinzel_default', {}, {}, dict(Is=[0.0, 0.75, 2.5]), 0.05, 1000,
     'BrainPy defaults, input into the soma (Is).'),
    ('pinskyrinzel_params', dict(gc=1.0, p=0.4, gCa=12.0, gAHP=0.6, gC=12.0),
     dict(Vs_initializer=-62.0, Vd_initializer=-63.0, Ca_initializer=0.5),
     dict(Is=[0.0, 0.5, 1.0], Id=[0.0, 0.5, 1.5]), 0.05, 1000,
     'Weaker coupling (gc = 1, p = 0.4), input into soma and dendrite.'),
]


def neuron_case(name, cls, params, inits, inputs, dt, n_steps, states, note):
    bm.set_dt(dt)
    n = len(inputs)
    kw = dict(params)
    kw.update({k: const(v) for k, v in inits.items()})
    neu = getattr(bp.neurons, cls)(n, **kw)
    initial = {s: vals(getattr(neu, s)).tolist() for s in states}
    r = bp.DSRunner(neu, monitors=states + ['spike'], progress_bar=False)
    r.run(inputs=np.tile(np.asarray(inputs, dtype=bm.float_), (n_steps, 1)))
    cols = [(f'{s}_{j}', np.asarray(r.mon[s])[:, j]) for s in states for j in range(n)]
    meta = dict(model=f'brainpy.neurons.{cls}', method='exp_auto', dt=dt, n_steps=n_steps, N=n,
                params=params,
                initializers={k: dict(kind='constant', value=v) for k, v in inits.items()},
                input=inputs, input_target='update(x) (legacy `input` variable)',
                states=states, initial=initial, spike_steps=spikes_of(r.mon['spike']),
                note=note)
    write_case(name, meta, cols)


def pinsky_case(name, params, inits, inputs, dt, n_steps, note):
    bm.set_dt(dt)
    n = len(next(iter(inputs.values())))
    kw = dict(params)
    kw.update({k: const(v) for k, v in inits.items()})
    neu = bp.neurons.PinskyRinzelModel(n, **kw)
    initial = {s: vals(getattr(neu, s)).tolist() for s in PR_STATES}
    ins = [(k, bm.asarray(np.asarray(v, dtype=bm.float_))) for k, v in inputs.items()]
    r = bp.DSRunner(neu, monitors=PR_STATES, inputs=ins, progress_bar=False)
    r.run(n_steps * dt)
    assert np.asarray(r.mon['Vs']).shape[0] == n_steps
    cols = [(f'{s}_{j}', np.asarray(r.mon[s])[:, j]) for s in PR_STATES for j in range(n)]
    meta = dict(model='brainpy.neurons.PinskyRinzelModel', method='exp_auto', dt=dt,
                n_steps=n_steps, N=n, params=params,
                initializers={k: dict(kind='constant', value=v) for k, v in inits.items()},
                input=inputs, input_target='Is / Id variables (added each step, then cleared)',
                states=PR_STATES, initial=initial, spike_steps=[], note=note)
    write_case(name, meta, cols)


# ---------------------------------------------------------------- synapses
PRE_TIMES = dict(indices=[0, 0, 0, 0, 1, 1, 2, 2, 2], times=[2.05, 5.05, 6.05, 20.05, 8.05, 25.05,
                                                            3.05, 3.55, 4.05])
PRE_N = 3
POST_N = 2
PAIRS = [(0, 0), (0, 1), (1, 1), (2, 0)]  # (pre, post)
POST_P = dict(V_rest=-60.0, R=1.0, tau=10.0, V0=-60.0, input=[5.0, 10.0])


def syn_network(make_syn):
    pre = bp.neurons.SpikeTimeGroup(PRE_N, indices=PRE_TIMES['indices'], times=PRE_TIMES['times'])
    post = bp.neurons.LeakyIntegrator(POST_N, V_rest=POST_P['V_rest'], R=POST_P['R'],
                                      tau=POST_P['tau'], V_initializer=const(POST_P['V0']))
    conn = bp.conn.IJConn(i=np.array([p for p, _ in PAIRS]), j=np.array([q for _, q in PAIRS]))
    syn = make_syn(pre, post, conn)
    return pre, post, syn, bp.Network(pre=pre, post=post, syn=syn)


SYN_COMMON = ('Pre: SpikeTimeGroup(3, indices, times) (fires at the first step with k*dt >= time). '
              'Post: LeakyIntegrator(2, V_rest=-60, R=1, tau=10, V0=-60) with constant external '
              'input [5, 10] added into post.input. Connections (pre, post): ' + str(PAIRS) +
              ' (explicit IJConn).')

# (case, class, kwargs description, factory, synapse states, note)
SYNAPSES = [
    ('delta_default', 'Delta', {}, lambda pre, post, c: bp.synapses.Delta(pre, post, c),
     [], 'Defaults: g_max = 1, comp_method = sparse (event CSR), output CUBA(target_var="V"): '
     'the weight is added straight into post.V (before the post neuron integrates).'),
    ('delta_params', 'Delta', dict(g_max=0.7, delay_step=1.0, comp_method='dense',
                                   output='CUBA(target_var="input")'),
     lambda pre, post, c: bp.synapses.Delta(pre, post, c, g_max=0.7, delay_step=1.0,
                                            comp_method='dense',
                                            output=bp.synouts.CUBA(target_var='input')),
     [], 'delay_step is in ms in 2.4.6 (ceil(1.0/0.1) = 10 steps); output into post.input.'),
    ('dualexp_default', 'DualExponential', {},
     lambda pre, post, c: bp.synapses.DualExponential(pre, post, c),
     ['g', 'h'], 'Defaults: output None -> _NullSynOut: the conductance is computed but NOTHING '
     'reaches the post group (post V relaxes as if unconnected).'),
    ('dualexp_params', 'DualExponential',
     dict(g_max=0.4, tau_decay=5.0, tau_rise=2.0, delay_step=0.5, comp_method='sparse',
          output='COBA(E=0)'),
     lambda pre, post, c: bp.synapses.DualExponential(pre, post, c, g_max=0.4, tau_decay=5.0,
                                                      tau_rise=2.0, delay_step=0.5,
                                                      comp_method='sparse',
                                                      output=bp.synouts.COBA(E=0.0)),
     ['g', 'h'], 'COBA output, 0.5 ms delay (5 steps), CSR comm.'),
    ('alpha_default', 'Alpha', {}, lambda pre, post, c: bp.synapses.Alpha(pre, post, c),
     ['g', 'h'], 'Defaults: tau_decay = tau_rise = 10, output None (nothing reaches post).'),
    ('alpha_params', 'Alpha', dict(g_max=0.8, tau_decay=4.0, output='CUBA()'),
     lambda pre, post, c: bp.synapses.Alpha(pre, post, c, g_max=0.8, tau_decay=4.0,
                                            output=bp.synouts.CUBA()),
     ['g', 'h'], 'CUBA output into post.input.'),
    ('nmda_default', 'NMDA', {}, lambda pre, post, c: bp.synapses.NMDA(pre, post, c),
     ['g', 'x'], 'Defaults: g_max = 0.15, a = 0.5, tau_decay = 100, tau_rise = 2, output '
     'MgBlock(E=0, alpha=0.062, beta=3.57, cc_Mg=1.2) into post.input.'),
    ('nmda_params', 'NMDA',
     dict(g_max=0.5, a=0.3, tau_decay=50.0, tau_rise=4.0, delay_step=0.3,
          output='MgBlock(E=0, cc_Mg=2.0, alpha=0.07, beta=3.0)'),
     lambda pre, post, c: bp.synapses.NMDA(pre, post, c, g_max=0.5, a=0.3, tau_decay=50.0,
                                           tau_rise=4.0, delay_step=0.3,
                                           output=bp.synouts.MgBlock(E=0.0, cc_Mg=2.0,
                                                                     alpha=0.07, beta=3.0)),
     ['g', 'x'], '0.3 ms delay (3 steps).'),
    ('bionmda_default', 'BioNMDA', {}, lambda pre, post, c: bp.synapses.BioNMDA(pre, post, c),
     ['g', 'x', 'spike_arrival_time'],
     'Defaults: g_max = 0.15, alpha1 = 2, beta1 = 0.01, alpha2 = 1, beta2 = 0.5, T_0 = 1, '
     'T_dur = 0.5, output MgBlock(E=0) (default cc_Mg=1.2, alpha=0.062, beta=3.57).'),
    ('bionmda_params', 'BioNMDA',
     dict(g_max=0.3, alpha1=1.5, beta1=0.02, alpha2=0.8, beta2=0.4, T_0=2.0, T_dur=1.0,
          comp_method='sparse', output='MgBlock(E=0)'),
     lambda pre, post, c: bp.synapses.BioNMDA(pre, post, c, g_max=0.3, alpha1=1.5, beta1=0.02,
                                              alpha2=0.8, beta2=0.4, T_0=2.0, T_dur=1.0,
                                              comp_method='sparse',
                                              output=bp.synouts.MgBlock(E=0.0)),
     ['g', 'x', 'spike_arrival_time'], 'CSR comm.'),
]
SYN_DT = 0.1
SYN_STEPS = 400


def synapse_case(name, cls, kwargs, make, states, note):
    bm.set_dt(SYN_DT)
    pre, post, syn, net = syn_network(make)
    mons = {'pre.spike': pre.spike, 'post.V': post.V}
    for s in states:
        mons[f'syn.{s}'] = getattr(syn, s)
    initial = {k: vals(v).tolist() for k, v in mons.items() if k != 'pre.spike'}
    r = bp.DSRunner(net, monitors=mons, progress_bar=False,
                    inputs=[(post.input, bm.asarray(np.asarray(POST_P['input'], dtype=bm.float_)))])
    r.run(SYN_STEPS * SYN_DT)
    cols = []
    for k in mons:
        if k == 'pre.spike':
            continue
        m = np.asarray(r.mon[k])
        cols += [(f'{k}_{j}', m[:, j]) for j in range(m.shape[1])]
    meta = dict(model=f'brainpy.synapses.{cls}', method='exp_auto', dt=SYN_DT, n_steps=SYN_STEPS,
                network=SYN_COMMON, pre=dict(N=PRE_N, **PRE_TIMES), pairs=PAIRS, post=POST_P,
                syn_kwargs=kwargs, states=[k for k in mons if k != 'pre.spike'], initial=initial,
                pre_spike_steps=spikes_of(r.mon['pre.spike']), note=note)
    write_case(name, meta, cols)


# Gap junctions and couplings: LIF / FHN groups that drive each other.
GJ_LIF = dict(V_rest=-65.0, V_reset=-70.0, V_th=-50.0, tau=10.0, tau_ref=2.0, R=1.0)


def lif(n, v0):
    return bp.neurons.LIF(n, V_initializer=bp.init.Constant(np.asarray(v0, dtype=bm.float_)),
                          **GJ_LIF)


def gap_self():
    bm.set_dt(0.1)
    g = lif(4, [-65.0, -60.0, -55.0, -52.0])
    gj = bp.synapses.GapJunction(g, g, bp.conn.All2All(include_self=False), g_max=0.05)
    net = bp.Network(g=g, gj=gj)
    I = [12.0, 18.0, 24.0, 0.0]
    r = bp.DSRunner(net, monitors={'g.V': g.V, 'g.spike': g.spike, 'g.t_last_spike': g.t_last_spike},
                    inputs=[(g.input, bm.asarray(np.asarray(I, dtype=bm.float_)))],
                    progress_bar=False)
    n = 600
    r.run(n * 0.1)
    cols = [(f'g.V_{j}', np.asarray(r.mon['g.V'])[:, j]) for j in range(4)]
    cols += [(f'g.t_last_spike_{j}', np.asarray(r.mon['g.t_last_spike'])[:, j]) for j in range(4)]
    write_case('gapjunction_self', dict(
        model='brainpy.synapses.GapJunction', dt=0.1, n_steps=n,
        network='One LIF group coupled to ITSELF (pre = post) with All2All(include_self=False), '
                'g_max = 0.05, comp_method dense. Each ordered pair (i, j) adds w*(V_i - V_j) to '
                'input_j AND -w*(V_i - V_j) to input_i, and the pair (j, i) does the same again: '
                'the effective coupling is 2*g_max*sum_i (V_i - V_j).',
        lif=GJ_LIF, V0=[-65.0, -60.0, -55.0, -52.0], input=I, states=['g.V', 'g.t_last_spike'],
        spike_steps=spikes_of(r.mon['g.spike']), note='LIF: legacy bp.neurons.LIF.'), cols)


def gap_two():
    bm.set_dt(0.1)
    a = lif(3, [-65.0, -58.0, -52.0])
    b = lif(2, [-64.0, -60.0])
    conn = bp.conn.IJConn(i=np.array([0, 1, 2, 2]), j=np.array([0, 0, 1, 0]))
    gj = bp.synapses.GapJunction(a, b, conn, comp_method='sparse', g_max=0.3)
    net = bp.Network(a=a, b=b, gj=gj)
    Ia, Ib = [20.0, 0.0, 25.0], [10.0, 20.0]
    r = bp.DSRunner(net, monitors={'a.V': a.V, 'b.V': b.V, 'a.spike': a.spike, 'b.spike': b.spike},
                    inputs=[(a.input, bm.asarray(np.asarray(Ia, dtype=bm.float_))),
                            (b.input, bm.asarray(np.asarray(Ib, dtype=bm.float_)))],
                    progress_bar=False)
    n = 600
    r.run(n * 0.1)
    cols = [(f'a.V_{j}', np.asarray(r.mon['a.V'])[:, j]) for j in range(3)]
    cols += [(f'b.V_{j}', np.asarray(r.mon['b.V'])[:, j]) for j in range(2)]
    write_case('gapjunction_two', dict(
        model='brainpy.synapses.GapJunction', dt=0.1, n_steps=n,
        network='LIF group a (3) -> LIF group b (2), IJConn (pre, post) = (0,0), (1,0), (2,1), '
                '(2,0), comp_method sparse, g_max = 0.3: post.input += sum w*(V_pre - V_post), '
                'pre.input -= the same.',
        lif=GJ_LIF, V0_a=[-65.0, -58.0, -52.0], V0_b=[-64.0, -60.0], input_a=Ia, input_b=Ib,
        states=['a.V', 'b.V'], spike_steps_a=spikes_of(r.mon['a.spike']),
        spike_steps_b=spikes_of(r.mon['b.spike'])), cols)


COUPLING_CONN = [[0.0, 0.3, 0.0, 0.2],
                 [0.3, 0.0, 0.4, 0.0],
                 [0.0, 0.4, 0.0, 0.1],
                 [0.5, 0.0, 0.1, 0.0]]
FHN_I = [0.3, 0.8, 1.0, 1.4]
# Not exactly +-1: there dV/dt's linear part 1 - V^2 comes out of JAX's autodiff as 1.1e-16,
# and BrainPy's exp_auto factor (exp(dt*A) - 1)/(dt*A) rounds to 0 for it, freezing V forever
# (a rounding artifact of BrainPy's unguarded exprel, not the model's dynamics).
FHN_V0 = [-1.2, 0.0, 0.5, 1.1]


def coupling_case(name, kind, delay):
    bm.set_dt(0.1)
    f = bp.neurons.FHN(4, V_initializer=const(np.asarray(FHN_V0, dtype=bm.float_)))
    cm = bm.asarray(np.asarray(COUPLING_CONN, dtype=bm.float_))
    d = None if delay is None else (delay if isinstance(delay, int)
                                    else bm.asarray(np.asarray(delay, dtype=np.int32)))
    if kind == 'diffusive':
        c = bp.synapses.DiffusiveCoupling(f.V, f.V, f.input, conn_mat=cm, delay_steps=d)
        eq = 'input_j += sum_i C[i,j] * (V_i(t - d_ij) - V_j)'
    else:
        c = bp.synapses.AdditiveCoupling(f.V, f.input, conn_mat=cm, delay_steps=d)
        eq = 'input_j += sum_i C[i,j] * V_i(t - d_ij)'
    net = bp.Network(f=f, c=c)
    r = bp.DSRunner(net, monitors={'f.V': f.V, 'f.w': f.w, 'f.spike': f.spike},
                    inputs=[(f.input, bm.asarray(np.asarray(FHN_I, dtype=bm.float_)))],
                    progress_bar=False)
    n = 800
    r.run(n * 0.1)
    cols = [(f'f.{s}_{j}', np.asarray(r.mon[f'f.{s}'])[:, j]) for s in ('V', 'w') for j in range(4)]
    write_case(name, dict(
        model=f'brainpy.synapses.{"DiffusiveCoupling" if kind == "diffusive" else "AdditiveCoupling"}',
        dt=0.1, n_steps=n,
        network='FHN(4) (BrainPy defaults, V0 given) coupled to itself: coupling var V, output '
                'var input, conn_mat C (pre x post).', equation=eq, conn_mat=COUPLING_CONN,
        delay_steps=delay, V0=FHN_V0, input=FHN_I, states=['f.V', 'f.w'],
        spike_steps=spikes_of(r.mon['f.spike'])), cols)


ONLY = sys.argv[3] if len(sys.argv) > 3 else None  # 'couplings': only the coupling cases

if __name__ == '__main__' and ONLY == 'couplings':
    coupling_case('diffusive_nodelay', 'diffusive', None)
    coupling_case('diffusive_delay', 'diffusive', 5)
    coupling_case('diffusive_delay_array', 'diffusive',
                  [[0, 2, 0, 4], [3, 0, 1, 0], [0, 6, 0, 2], [5, 0, 3, 0]])
    coupling_case('additive_nodelay', 'additive', None)
    coupling_case('additive_delay', 'additive', 4)
elif __name__ == '__main__':
    for case in NEURONS:
        neuron_case(*case)
    for case in PINSKY:
        pinsky_case(*case)
    for case in SYNAPSES:
        synapse_case(*case)
    gap_self()
    gap_two()
    coupling_case('diffusive_nodelay', 'diffusive', None)
    coupling_case('diffusive_delay', 'diffusive', 5)
    coupling_case('diffusive_delay_array', 'diffusive',
                  [[0, 2, 0, 4], [3, 0, 1, 0], [0, 6, 0, 2], [5, 0, 3, 0]])
    coupling_case('additive_nodelay', 'additive', None)
    coupling_case('additive_delay', 'additive', 4)
