#!/usr/bin/env python3
"""Writes bgp4mp-subtypes.mrt: one small record of every BGP4MP message subtype
(1, 4, 6-11; plain and _ET) and of every TABLE_DUMP_V2 RIB subtype (2-6, 8-12),
each with IPv4 and IPv6 prefixes, path identifier 7 or 9 where ADD-PATH applies.
Its bgpdump -m output (Debian bgpdump 1.6.2) is bgp4mp-subtypes.mrt.bgpdump-m.
Usage: make-subtype-records.py OUTFILE"""
import struct, sys

T = 1470931200


def rec(typ, sub, body):
    return struct.pack('!IHHI', T, typ, sub, len(body)) + body


def path_attrs(asn4, v6_nexthop=None, rib=False):
    a = bytes([0x40, 1, 1, 0])  # ORIGIN IGP
    path = struct.pack('!BB', 2, 2) + (struct.pack('!II', 65001, 65002) if asn4 else struct.pack('!HH', 65001, 65002))
    a += bytes([0x40, 2, len(path)]) + path
    if rib and v6_nexthop:
        mp = bytes([16]) + v6_nexthop  # TABLE_DUMP_V2 abbreviates MP_REACH_NLRI to the next hop
        a += bytes([0x80, 14, len(mp)]) + mp
    else:
        a += bytes([0x40, 3, 4, 10, 0, 0, 1])  # NEXT_HOP
    return a


NH6 = bytes.fromhex('20010db8000000000000000000000001')


def update(asn4, addpath, v6):
    pid = struct.pack('!I', 7) if addpath else b''
    at = path_attrs(asn4)
    if v6:
        mp = struct.pack('!HBB', 2, 1, 16) + NH6 + b'\x00' + pid + bytes([32, 0x20, 0x01, 0x0d, 0xb8])
        at += bytes([0x80, 14, len(mp)]) + mp
        mpu = struct.pack('!HB', 2, 1) + pid + bytes([32, 0x20, 0x01, 0x0d, 0xb9])
        at += bytes([0x80, 15, len(mpu)]) + mpu
        wd, nlri = b'', b''
    else:
        wd, nlri = pid + bytes([24, 192, 0, 2]), pid + bytes([24, 198, 51, 100])
    body = struct.pack('!H', len(wd)) + wd + struct.pack('!H', len(at)) + at + nlri
    return b'\xff' * 16 + struct.pack('!HB', 19 + len(body), 2) + body


out = b''
for typ in (16, 17):
    for sub in (1, 4, 6, 7, 8, 9, 10, 11):
        asn4 = sub in (4, 7, 9, 11)
        for v6 in (False, True):
            # Peer AS, local AS, interface, AFI 1, peer 10.0.0.2, local 10.0.0.1 (RFC 6396 order).
            head = (struct.pack('!II', 65001, 65000) if asn4 else struct.pack('!HH', 65001, 65000))
            head += struct.pack('!HH', 0, 1) + bytes([10, 0, 0, 2, 10, 0, 0, 1])
            body = head + update(asn4, sub >= 8, v6)
            if typ == 17:
                body = struct.pack('!I', 123456) + body
            out += rec(typ, sub, body)

peers = struct.pack('!I', 0x0a000001) + struct.pack('!H', 4) + b'rib1' + struct.pack('!H', 2)
peers += bytes([2, 10, 0, 0, 2, 10, 0, 0, 2]) + struct.pack('!I', 65001)  # IPv4 peer, 4-byte AS
peers += bytes([3, 10, 0, 0, 3]) + bytes.fromhex('20010db8000000000000000000000003') + struct.pack('!I', 65003)
out += rec(13, 1, peers)


def entries(v6, addpath):
    e = b''
    for peer, pid in ((0, 7), (1, 9)):
        at = path_attrs(True, NH6 if v6 else None, rib=True)
        e += struct.pack('!HI', peer, T - 100) + (struct.pack('!I', pid) if addpath else b'') + struct.pack('!H', len(at)) + at
    return struct.pack('!H', 2) + e


seq = 0
for sub in (2, 3, 4, 5, 8, 9, 10, 11):
    v6 = sub in (4, 5, 10, 11)
    prefix = bytes([32, 0x20, 0x01, 0x0d, 0xb8]) if v6 else bytes([24, 198, 51, 100])
    out += rec(13, sub, struct.pack('!I', seq) + prefix + entries(v6, sub >= 8))
    seq += 1
for sub in (6, 12):  # RIB_GENERIC(_ADDPATH): AFI, SAFI, then the prefix
    for afi, safi, prefix, v6 in ((1, 1, bytes([24, 203, 0, 113]), False), (2, 1, bytes([32, 0x20, 0x01, 0x0d, 0xba]), True)):
        out += rec(13, sub, struct.pack('!IHB', seq, afi, safi) + prefix + entries(v6, sub == 12))
        seq += 1
open(sys.argv[1], 'wb').write(out)
