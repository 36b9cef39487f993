#!/usr/bin/env python3
"""Writes a BIRD 2 `protocol static` holding a synthetic full IPv4 table.

Usage: scripts/gen-bird-table.py PREFIXES OUT [--exclude-as N ...] [--seed S]

PREFIXES distinct, non-overlapping IPv4 prefixes (mostly /24, some /23, /22
and /20) from 1.0.0.0 upward (10/8 and 127/8 skipped), each with an AS path
of 1-6 hops (origin last) built from a few thousand synthetic ASNs: origins
own prefixes with a Zipf-like spread, and reach the sender through 1-3
upstream chains drawn Zipf-like from a transit pool, so paths share upstreams
as in the real table. Some routes carry communities (standard, and large ones
for 4-byte upstreams), some a MED, some ORIGIN IGP/EGP, some prepending.
No ASN is one of the excluded ones (the daemons' own ASes) or private/reserved.

Prints a one-line summary on stderr (prefix-length mix, distinct paths and
distinct attribute sets, which bound the number of UPDATE messages).
"""
import argparse
import bisect
import itertools
import random
import sys


def zipf_cdf(n, s):
    w = [1.0 / (i + 1) ** s for i in range(n)]
    return list(itertools.accumulate(w))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefixes", type=int)
    ap.add_argument("out")
    ap.add_argument("--exclude-as", type=int, action="append", default=[])
    ap.add_argument("--seed", type=int, default=20141222)
    ap.add_argument("--name", default="synth4")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    excluded = set(a.exclude_as) | {0, 23456}

    # The ASN pool: mostly 16-bit public ASNs, a fifth 4-byte ones.
    pool = set()
    while len(pool) < 4000:
        asn = rnd.randint(1000, 64000) if rnd.random() < 0.8 else rnd.randint(131072, 401000)
        if asn not in excluded:
            pool.add(asn)
    pool = sorted(pool)
    rnd.shuffle(pool)
    tier1 = pool[:15]             # the top of the hierarchy
    transit = pool[15:600]        # regional transit, Zipf-popular
    origins = pool[600:]          # 3400 origin ASes
    transit_cdf = zipf_cdf(len(transit), 1.1)
    tier1_cdf = zipf_cdf(len(tier1), 0.8)
    origin_cdf = zipf_cdf(len(origins), 0.9)

    def pick(cdf, items):
        return items[bisect.bisect_left(cdf, rnd.random() * cdf[-1])]

    # Each origin: 1-3 chains of upstreams (nearest the sender first), 0-4 hops of them.
    chains = {}
    for o in origins:
        cs = []
        for _ in range(rnd.choice((1, 1, 2, 2, 3))):
            hops = rnd.choices((0, 1, 2, 3, 4), weights=(4, 30, 40, 20, 6))[0]
            c = []
            if hops >= 2:
                c.append(pick(tier1_cdf, tier1))
            while len(c) < hops:
                t = pick(transit_cdf, transit)
                if t not in c:
                    c.append(t)
            cs.append(c)
        chains[o] = cs

    def community_for(up):
        if up <= 65535:
            return f"bgp_community.add(({up},{rnd.choice((100, 110, 120, 200, 300, 666, 1000, 2000, 3000))}));"
        return f"bgp_large_community.add(({up},1,{rnd.randint(1, 40)}));"

    lens = {20: 0, 22: 0, 23: 0, 24: 0}
    paths, attrsets = set(), set()
    out = open(a.out, "w")
    w = out.write
    w(f"protocol static {a.name} {{\n  ipv4;\n")
    n = 0
    block = 1 << 24  # 1.0.0.0, in units of addresses
    origin, run = None, 0

    def emit(addr, plen):
        nonlocal n, origin, run
        # Consecutive prefixes often belong to the same origin, as allocations do.
        if run <= 0:
            origin = pick(origin_cdf, origins)
            run = rnd.choice((1, 1, 2, 3, 4, 8, 16))
        run -= 1
        chain = rnd.choice(chains[origin])
        hops = list(chain) + [origin]
        if len(hops) < 6 and rnd.random() < 0.06:  # prepending
            i = rnd.randrange(len(hops))
            extra = min(rnd.randint(1, 3), 6 - len(hops))
            hops[i:i] = [hops[i]] * extra
        body = []
        for asn in reversed(hops):  # prepend adds in front: origin first
            body.append(f"bgp_path.prepend({asn});")
        attrs = [tuple(hops)]
        r = rnd.random()
        if r < 0.35 and chain:
            c = community_for(chain[-1])
            body.append(c)
            attrs.append(c)
            if r < 0.1:
                c = community_for(chain[0])
                body.append(c)
                attrs.append(c)
        if rnd.random() < 0.15:
            m = rnd.choice((0, 10, 50, 100, 200))
            body.append(f"bgp_med = {m};")
            attrs.append(m)
        r = rnd.random()
        if r < 0.6:
            body.append("bgp_origin = ORIGIN_IGP;")
            attrs.append("i")
        elif r < 0.62:
            body.append("bgp_origin = ORIGIN_EGP;")
            attrs.append("e")
        paths.add(tuple(hops))
        attrsets.add(tuple(attrs))
        o = addr
        w(f"  route {o >> 24}.{(o >> 16) & 255}.{(o >> 8) & 255}.0/{plen} blackhole {{ {' '.join(body)} }};\n")
        lens[plen] += 1
        n += 1

    while n < a.prefixes:
        first = block >> 24
        if first in (10, 127):
            block += 1 << 24
            continue
        if first >= 224:
            sys.exit("too many prefixes for the unicast space")
        # A /20 (16 /24s): one /20, or four /22 blocks split further.
        if rnd.random() < 0.2:
            emit(block, 20)
        else:
            for q in range(4):
                b = block + q * 1024
                r = rnd.random()
                if r < 0.15:
                    parts = [(0, 22)]
                elif r < 0.30:
                    parts = [(0, 23), (512, 23)]
                elif r < 0.40:
                    parts = [(0, 23), (512, 24), (768, 24)]
                else:
                    parts = [(0, 24), (256, 24), (512, 24), (768, 24)]
                for off, plen in parts:
                    if n < a.prefixes:
                        emit(b + off, plen)
        block += 4096
    w("}\n")
    out.close()
    last = block - 1
    mix = " ".join(f"/{k} {v * 100.0 / n:.1f}%" for k, v in sorted(lens.items(), reverse=True))
    print(f"generated {n} prefixes (1.0.0.0 .. {last >> 24}.{(last >> 16) & 255}.{(last >> 8) & 255}.255; {mix}); "
          f"{len(paths)} distinct AS paths, {len(attrsets)} distinct attribute sets, "
          f"{len(pool)} ASNs", file=sys.stderr)


if __name__ == "__main__":
    main()
