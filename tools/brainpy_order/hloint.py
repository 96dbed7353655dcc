"""A minimal interpreter of XLA HLO text (the ops of the WB step): parse() for hlofma.py."""
import re, math, numpy as np
vexp=np.vectorize(math.exp, otypes=[np.float64])
def parse(txt):
    comps={}; cur=None; entry=None
    for line in txt.splitlines():
        m=re.match(r'^(ENTRY )?%(\S+) \((.*)\) -> .* \{$', line)
        if m:
            cur=m.group(2); comps[cur]=[]; 
            if m.group(1): entry=cur
            continue
        if line.strip()=='}': cur=None; continue
        if cur is None: continue
        m=re.match(r'\s*(ROOT )?%(\S+) = (?:\([^)]*\) )?(?:pred\[15\]\{0\} )?(\w[\w\-]*)\((.*?)\)(.*)$', line)
        if not m: raise Exception(line)
        comps[cur].append((m.group(1) is not None, m.group(2), m.group(3), m.group(4), m.group(5)))
    return comps, entry
def run(comps, name, args):
    env={}; root=None
    for isroot,var,op,operands,rest in comps[name]:
        ops=[o.strip().lstrip('%') for o in re.sub(r'/\*.*?\*/','',operands).split(',') if o.strip()]
        ops=[o.split(' ')[-1].lstrip('%') for o in ops]
        if op=='parameter': v=args[int(operands)]
        elif op=='constant': v=float(operands)
        elif op=='broadcast': v=env[ops[0]]
        elif op=='add': v=np.add(env[ops[0]],env[ops[1]])
        elif op=='subtract': v=np.subtract(env[ops[0]],env[ops[1]])
        elif op=='multiply': v=np.multiply(env[ops[0]],env[ops[1]])
        elif op=='divide': v=np.divide(env[ops[0]],env[ops[1]])
        elif op=='negate': v=np.negative(env[ops[0]])
        elif op=='exponential': v=vexp(env[ops[0]])
        elif op=='compare':
            d=re.search(r'direction=(\w+)',rest).group(1)
            a,b=env[ops[0]],env[ops[1]]
            v={'EQ':np.equal,'LT':np.less,'GE':np.greater_equal,'NE':np.not_equal,'GT':np.greater,'LE':np.less_equal}[d](a,b)
        elif op=='select': v=np.where(env[ops[0]],env[ops[1]],env[ops[2]])
        elif op=='fusion':
            c=re.search(r'calls=%(\S+)',rest).group(1)
            v=run(comps,c,[env[o] for o in ops])
        elif op=='tuple': v=tuple(env[o] for o in ops)
        else: raise Exception(op)
        env[var]=v
        if isroot: root=v
    return root
