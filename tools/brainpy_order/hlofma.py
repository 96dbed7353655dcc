"""Replays HLO in exact IEEE float64 (glibc exp), each candidate sum optionally an exactly
rounded fused multiply-add (flags: node -> which operand is the contracted product)."""
import re, math, numpy as np, itertools, random
from fractions import Fraction as F
from hloint import parse
vexp=np.vectorize(math.exp, otypes=[np.float64])
def fma1(a,b,c): return float(F(a)*F(b)+F(c))
vfma=np.vectorize(fma1, otypes=[np.float64])
def operands(operands):
    ops=[o.strip() for o in re.sub(r'/\*.*?\*/','',operands).split(',') if o.strip()]
    return [o.split(' ')[-1].lstrip('%') for o in ops]
def run(comps, name, args, flags):
    env={}; root=None; defs={}
    for isroot,var,op,ops_s,rest in comps[name]:
        ops=operands(ops_s); defs[var]=(op,ops)
    for isroot,var,op,ops_s,rest in comps[name]:
        ops=operands(ops_s)
        if op=='parameter': v=args[int(ops_s)]
        elif op=='constant': v=float(ops_s)
        elif op=='broadcast': v=env[ops[0]]
        elif op in('add','subtract'):
            fl=flags.get(var)
            if fl is None:
                v=(np.add if op=='add' else np.subtract)(env[ops[0]],env[ops[1]])
            else:
                m=ops[fl]; other=env[ops[1-fl]]; neg=False
                if defs[m][0]=='negate': neg=True; m=defs[m][1][0]
                x,y=defs[m][1]; x,y=env[x],env[y]
                if op=='subtract':
                    if fl==1: neg=not neg
                    else: other=-other
                v=vfma(-x if neg else x, y, other)
        elif op=='multiply': v=np.multiply(env[ops[0]],env[ops[1]])
        elif op=='divide': v=np.divide(env[ops[0]],env[ops[1]])
        elif op=='negate': v=np.negative(env[ops[0]])
        elif op=='exponential': v=vexp(env[ops[0]])
        elif op=='compare':
            d=re.search(r'direction=(\w+)',rest).group(1)
            v={'EQ':np.equal,'LT':np.less,'GE':np.greater_equal}[d](env[ops[0]],env[ops[1]])
        elif op=='select': v=np.where(env[ops[0]],env[ops[1]],env[ops[2]])
        elif op=='fusion':
            c=re.search(r'calls=%(\S+)',rest).group(1)
            v=run(comps,c,[env[o] for o in ops],flags)
        elif op=='tuple': v=tuple(env[o] for o in ops)
        env[var]=v
        if isroot: root=v
    return root
def candidates(comps):
    # add/sub nodes with a multiply (or negate(multiply)) operand
    out=[]
    for c,lines in comps.items():
        defs={l[1]:(l[2],operands(l[3])) for l in lines}
        for isroot,var,op,ops_s,rest in lines:
            if op in ('add','subtract'):
                ops=operands(ops_s)
                for k,o in enumerate(ops):
                    d=defs.get(o)
                    if d and (d[0]=='multiply' or (d[0]=='negate' and defs.get(d[1][0],('',))[0]=='multiply')):
                        out.append((var,k))
    return out
