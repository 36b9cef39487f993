#!/usr/bin/env python3
"""Seeds the fuzz corpora with real records: libFuzzer finds bugs from a real
record in seconds that it does not reach from nothing in minutes.
Usage: make-seeds.py OUTDIR MRTFILE... (plain or gzip).
OUTDIR/archive gets runs of consecutive records (a RIB's first ones start with
its PEER_INDEX_TABLE) behind an options byte, for FuzzArchive."""
import gzip, os, sys

out = sys.argv[1]
os.makedirs(f"{out}/mrt", exist_ok=True)
os.makedirs(f"{out}/bgp", exist_ok=True)
os.makedirs(f"{out}/archive", exist_ok=True)
n = 0
runs = 0
for path in sys.argv[2:]:
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    # Runs of up to 12 KB: the file's start, then every 64th record onwards.
    at, k = 0, 0
    while at + 12 <= len(raw):
        if k == 0 or k % 64 == 0:
            end = at
            while end + 12 <= len(raw) and end - at < 12000:
                end += 12 + int.from_bytes(raw[end + 8:end + 12], "big")
            options = runs * 37 % 128  # every option bit set in some seeds
            open(f"{out}/archive/{runs:05d}", "wb").write(bytes([options]) + raw[at:end])
            runs += 1
        at += 12 + int.from_bytes(raw[at + 8:at + 12], "big")
        k += 1
    at, seen = 0, set()
    while at + 12 <= len(raw):
        length = int.from_bytes(raw[at + 8:at + 12], "big")
        rec = raw[at:at + 12 + length]
        kind = rec[4:8]
        # A few records of each type and subtype, plus small runs of consecutive ones.
        if kind not in seen or n % 97 == 0:
            seen.add(kind)
            open(f"{out}/mrt/{n:05d}", "wb").write(raw[at:at + 12 + length + 200])
            t, st = int.from_bytes(kind[:2], "big"), int.from_bytes(kind[2:], "big")
            if t in (16, 17) and st in (1, 4, 6, 7, 8, 9, 10, 11):
                body = rec[12 + (4 if t == 17 else 0):]
                asl = 4 if st in (4, 7, 9, 11) else 2
                afi = int.from_bytes(body[2 * asl + 2:2 * asl + 4], "big")
                msg = body[2 * asl + 4 + (8 if afi == 1 else 32):]
                flags = (1 if asl == 4 else 0) | (2 if st >= 8 else 0) | 4
                open(f"{out}/bgp/{n:05d}", "wb").write(bytes([flags]) + msg)
        n += 1
        at += 12 + length
print(f"seeds: {len(os.listdir(out + '/mrt'))} MRT, {len(os.listdir(out + '/bgp'))} BGP, {runs} archive runs")
