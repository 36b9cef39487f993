#!/usr/bin/env python3
"""Two BGP speakers for scripts/bench-flood.sh, on loopback only.

The flooder (127.0.0.2, AS65001) announces and withdraws PREFIXES distinct IPv4 /24s
(16.0.0.0 upwards) in chunks of CHUNK (100,000) — each chunk announced (1,000 prefixes
an UPDATE, a path and origin AS of its own) then withdrawn — round and round, as fast
as the collector reads, for SECONDS.

The well-behaved peer (127.0.0.3, AS65002) holds 192.0.2.0/24; every cycle it
withdraws it and measures how long until (1) the withdrawal is in the archive (its
exact UPDATE bytes appear in the uncompressed archive files) and (2) the collector's
live detector opens the outage of AS65002 (a line in the events file), then announces
it again. Prints one JSON line per cycle and a summary line.
"""
import argparse
import json
import os
import socket
import struct
import threading
import time


def msg(t, body):
    return b"\xff" * 16 + struct.pack(">HB", 19 + len(body), t) + body


KEEPALIVE = msg(4, b"")


def open_msg(asn, rid, hold=90):
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack(">I", asn)
    params = bytes([2, len(caps)]) + caps
    return msg(1, struct.pack(">BHHI", 4, asn if asn < 65536 else 23456, hold, rid) + bytes([len(params)]) + params)


def attrs(path, nh):
    seg = bytes([2, len(path)]) + b"".join(struct.pack(">I", a) for a in path)
    return bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, len(seg)]) + seg + bytes([0x40, 3, 4]) + socket.inet_aton(nh)


def update(withdrawn=b"", attr=b"", nlri=b""):
    return msg(2, struct.pack(">H", len(withdrawn)) + withdrawn + struct.pack(">H", len(attr)) + attr + nlri)


class Speaker:
    def __init__(self, src, port, asn):
        self.sock = socket.socket()
        self.sock.bind((src, 0))
        deadline = time.time() + 30
        while True:
            try:
                self.sock.connect(("127.0.0.1", port))
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
                self.sock = socket.socket()
                self.sock.bind((src, 0))
        self.lock = threading.Lock()
        self.sock.sendall(open_msg(asn, struct.unpack(">I", socket.inet_aton(src))[0]) + KEEPALIVE)
        got = b""
        while got.count(b"\xff" * 16) < 2:  # the collector's OPEN and KEEPALIVE
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit(f"{src}: the collector closed the session")
            got += chunk
        self.closed = False
        threading.Thread(target=self.drain, daemon=True).start()

    def drain(self):
        # Read (and drop) the collector's KEEPALIVEs; send ours every 20 s.
        self.sock.settimeout(20)
        while not self.closed:
            try:
                if not self.sock.recv(65536):
                    self.closed = True
            except socket.timeout:
                self.send(KEEPALIVE)
            except OSError:
                self.closed = True

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)


def flood(port, total, seconds, stats, chunk=100_000):
    per_update = 1000
    chunks = total // chunk
    sp = Speaker("127.0.0.2", port, 65001)
    built = {}

    def build(k):
        ann, wd = bytearray(), bytearray()
        a = attrs([65001, 100_000 + k % 1000], "127.0.0.2")
        base = k * chunk
        for u in range(0, chunk, per_update):
            nlri = bytearray(4 * per_update)
            for j in range(per_update):
                addr = (16 << 24) + (base + u + j) * 256
                struct.pack_into(">BBBB", nlri, 4 * j, 24, addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255)
            ann += update(attr=a, nlri=bytes(nlri))
            wd += update(withdrawn=bytes(nlri))
        return bytes(ann), bytes(wd)

    start = time.time()
    k = 0
    while time.time() - start < seconds and not sp.closed:
        i = k % chunks
        if i not in built:
            built[i] = build(i)
        ann, wd = built[i]
        try:
            sp.send(ann)
            sp.send(wd)
        except OSError:
            break
        stats["prefixes"] = stats.get("prefixes", 0) + chunk
        stats["updates"] = stats.get("updates", 0) + 2 * chunk // per_update
        k += 1
    stats["flood_seconds"] = time.time() - start
    stats["distinct"] = min(k, chunks) * chunk


class ArchiveScan:
    """Counts occurrences of a byte string in the (uncompressed) archive files as they grow."""

    def __init__(self, folder, needle):
        self.folder, self.needle = folder, needle
        self.offsets, self.tails, self.count = {}, {}, 0

    def poll(self):
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return self.count
        for n in names:
            if not (n.startswith("updates.") or n.startswith(".updates.")):
                continue
            key = n.lstrip(".").removesuffix(".tmp")  # a temporary file keeps its place once renamed
            path = os.path.join(self.folder, n)
            try:
                with open(path, "rb") as f:
                    f.seek(self.offsets.get(key, 0))
                    data = f.read()
            except FileNotFoundError:
                continue
            if not data:
                continue
            buf = self.tails.get(key, b"") + data
            self.count += buf.count(self.needle)
            keep = len(self.needle) - 1
            # The last len-1 bytes, for a needle cut in two by the file's growth (too short to hold a whole one).
            self.tails[key] = buf[-keep:] if keep else b""
            self.offsets[key] = self.offsets.get(key, 0) + len(data)
        return self.count


def good_peer(port, archive, events, cycles_until, results):
    sp = Speaker("127.0.0.3", port, 65002)
    prefix = bytes([24, 192, 0, 2])
    announce = update(attr=attrs([65002], "127.0.0.3"), nlri=prefix)
    withdraw = update(withdrawn=prefix)
    scan = ArchiveScan(archive, withdraw)
    sp.send(announce)
    time.sleep(25)  # the live detector's warm-up and baseline

    def opened():
        try:
            with open(events) as f:
                return sum(1 for line in f if '"change":"opened"' in line and '"entity":"AS65002"' in line and '"kind":"outage"' in line)
        except FileNotFoundError:
            return 0

    while time.time() < cycles_until:
        before_archive, before_events = scan.poll(), opened()
        t0 = time.time()
        sp.send(withdraw)
        archived = detected = None
        while time.time() - t0 < 30 and (archived is None or detected is None):
            if archived is None and scan.poll() > before_archive:
                archived = time.time() - t0
            if detected is None and opened() > before_events:
                detected = time.time() - t0
            time.sleep(0.01)
        results.append({"archived_s": archived, "detected_s": detected})
        print(json.dumps({"cycle": len(results), "archived_s": archived, "detected_s": detected}), flush=True)
        sp.send(announce)
        time.sleep(20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--prefixes", type=int, default=10_000_000)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--chunk", type=int, default=100_000, help="prefixes announced before they are withdrawn (a multiple of 1,000)")
    ap.add_argument("--archive", required=True, help="the collector's archive folder (uncompressed)")
    ap.add_argument("--events", required=True, help="the collector's events file")
    a = ap.parse_args()
    stats, results = {}, []
    end = time.time() + a.seconds
    g = threading.Thread(target=good_peer, args=(a.port, a.archive, a.events, end - 25, results), daemon=True)
    g.start()
    time.sleep(1)
    flood(a.port, a.prefixes, a.seconds, stats, a.chunk)
    g.join(timeout=60)
    arch = [r["archived_s"] for r in results if r["archived_s"] is not None]
    det = [r["detected_s"] for r in results if r["detected_s"] is not None]
    print(json.dumps({"summary": True, **stats, "cycles": len(results),
                      "archived": len(arch), "archived_max_s": max(arch, default=None),
                      "detected": len(det), "detected_max_s": max(det, default=None)}), flush=True)


if __name__ == "__main__":
    main()
