#!/usr/bin/env python3
"""Checks events against the raw updates they came from (issue 12's acceptance on real days).

check-events.py VIGIL DIR EVENTS.jsonl CONVERGED [N] [SEED]     (TOP=1: the N most severe instead of a random N)

Takes N random alerts (outages, instability) that start at or after CONVERGED (when `vigil replay`
began judging), finds every prefix their ASes announced in DIR's updates (`vigil dump --origin`),
reads every update of those prefixes (`vigil dump --prefix ... --more-specific`, bgpdump -m lines)
and rebuilds each prefix's holders peer by peer. An outage is a real loss when some prefix of the
AS held by two or more peers before it was withdrawn by at least three quarters of them for five
minutes or more inside the event; instability is real flapping when two or more peers withdrew and
re-announced the AS's prefixes, four times or more in all. Prints the evidence of each and a tally.
Without a RIB the holders are those known from the updates, as they are for Vigil."""
import json, sys, random, subprocess, glob, collections, datetime, os, hashlib
vigil, folder, evf, conv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
N = int(sys.argv[5]) if len(sys.argv) > 5 else 30
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 2008
files = sorted(glob.glob(os.path.join(folder, 'updates.*')))
def ts(s): return int(datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp())
conv_t = ts(conv)
evs = [json.loads(l) for l in open(evf) if l.startswith('{')]
evs = [e for e in evs if e['kind'] in ('outage', 'instability') and ts(e['start']) >= conv_t]
random.seed(seed)
sample = sorted(evs, key=lambda e: -e['severity'])[:N] if os.environ.get('TOP') else random.sample(evs, min(N, len(evs)))
asns = sorted({e['entity'][2:] for e in sample if e['entity'].startswith('AS')})
cache = '/tmp/vigil-check-' + hashlib.md5((folder + ' ' + ' '.join(asns)).encode()).hexdigest()[:10]
if not os.path.exists(cache + '.origin'):
    args = [vigil, 'dump'] + sum([['--origin', a] for a in asns], []) + files
    subprocess.run(args, stdout=open(cache + '.origin', 'w'), stderr=subprocess.DEVNULL)
prefs = collections.defaultdict(set)
for l in open(cache + '.origin'):
    f = l.rstrip('\n').split('|')
    if f[2] == 'A':
        prefs[f[6].split()[-1]].add(f[5])
allp = sorted(set().union(*prefs.values())) if prefs else []
if not os.path.exists(cache + '.prefix'):
    args = [vigil, 'dump', '--more-specific'] + sum([['--prefix', p] for p in allp], []) + files
    subprocess.run(args, stdout=open(cache + '.prefix', 'w'), stderr=subprocess.DEVNULL)
lines = collections.defaultdict(list)  # prefix -> [(t, type, peer, origin)]
for l in open(cache + '.prefix'):
    f = l.rstrip('\n').split('|')
    if f[2] == 'A': lines[f[5]].append((int(f[1]), 'A', f[3], f[6].split()[-1] if f[6] else ''))
    elif f[2] == 'W': lines[f[5]].append((int(f[1]), 'W', f[3], ''))
def held_at(pfx, t):
    held = {}
    for (tt, k, peer, o) in lines[pfx]:
        if tt >= t: break
        if k == 'A': held[peer] = o
        else: held.pop(peer, None)
    return held
verdicts = collections.Counter()
for e in sorted(sample, key=lambda e: e['start']):
    asn = e['entity'][2:]; s = ts(e['start']); end = ts(e['end']) if e['end'] else s + 3600
    ps = sorted(prefs.get(asn, []))
    print(f"\n{e['entity']} {e['kind']} {e['level']} {e['cause']} {e['start']} -> {e['end']} scope {e['scope']} sev {e['severity']}"
          f" prefixes(AS) {len(ps)} evidence prefixes {e['evidence']['prefixes'][:4]} peers {len(e['evidence']['peers_in_order'])}")
    if e['kind'] == 'outage':
        # per prefix: holders before the start, the fewest inside the event, the longest stretch at a quarter or fewer
        lost = []
        for p in ps:
            before = {k for k, v in held_at(p, s - 600).items() if v == asn}
            if len(before) < 2: continue
            held = {k for k, v in held_at(p, s).items() if v == asn}
            mn = len(held); dur = 0; t_low = None
            for (tt, k, peer, o) in lines[p]:
                if tt < s: continue
                if tt > end: break
                if k == 'A' and o == asn: held.add(peer)
                else: held.discard(peer)
                low = len(held) * 4 <= len(before)
                if low and t_low is None: t_low = tt
                if not low and t_low is not None: dur = max(dur, tt - t_low); t_low = None
                mn = min(mn, len(held))
            if t_low is not None: dur = max(dur, end - t_low)
            if mn * 4 <= len(before): lost.append((p, len(before), mn, dur))
        real = any(d >= 300 for (_, _, _, d) in lost)
        print(f"  prefixes withdrawn by >=3/4 of their holders: {len(lost)} e.g. {lost[:3]} -> {'REAL loss' if real else 'NOT shown'}")
        verdicts['real' if real else 'not'] += 1
    else:
        # flaps: a prefix withdrawn by a peer and re-announced within the window, per prefix count peers
        cyc = collections.Counter(); peers = set(); fallen = collections.Counter()
        for p in ps:
            held = {k for k, v in held_at(p, s).items()}
            down = set()
            for (tt, k, peer, o) in lines[p]:
                if tt < s: continue
                if tt > end: break
                if k == 'W' and peer in held:
                    held.discard(peer); down.add(peer)
                elif k == 'A':
                    if peer in down: cyc[p] += 1; peers.add(peer); down.discard(peer)
                    held.add(peer)
        multi = {p: n for p, n in cyc.items() if n >= 2}
        real = len(peers) >= 2 and sum(cyc.values()) >= 4
        print(f"  withdraw+re-announce cycles {sum(cyc.values())} on {len(cyc)} prefixes by {len(peers)} peers; prefixes with >=2 cycles {len(multi)} -> {'REAL flapping' if real else 'NOT shown'}")
        verdicts['real' if real else 'not'] += 1
print('\nverdicts', dict(verdicts), 'of', len(sample))
