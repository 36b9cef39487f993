#!/usr/bin/env python3
"""Sustained update rate of `vigil collect` with PEERS routers flapping, archiving on,
and the live event latency under that load.

Each peer is a minimal BGP speaker on its own loopback address (127.0.0.2, .3, ...):
it announces the watched entity (AS65020's three /24s behind the peer's AS) and
PREFIXES prefixes of its own, then flaps its own prefixes (one UPDATE per prefix,
withdraw then re-announce) as fast as TCP lets it for SECONDS. Then, with the flood
still running, every peer withdraws the watched prefixes at once, and the time until
`vigil collect` writes the outage to its events file is measured.

Usage: scripts/bench-flap.py [--vigil PATH] [--peers 10] [--prefixes 2000] [--seconds 20]
"""
import argparse, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time

def msg(t, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), t) + body

def open_msg(asn, bgp_id):
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", asn)
    params = bytes([2, len(caps)]) + caps
    return msg(1, struct.pack("!BHHI", 4, asn if asn < 65536 else 23456, 90, bgp_id) + bytes([len(params)]) + params)

def nlri(prefix, length):
    n = (length + 7) // 8
    return bytes([length]) + struct.pack("!I", prefix)[:n]

def announce(path, next_hop, prefixes):
    seg = bytes([2, len(path)]) + b"".join(struct.pack("!I", a) for a in path)
    attrs = bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, len(seg)]) + seg + bytes([0x40, 3, 4]) + struct.pack("!I", next_hop)
    return msg(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + b"".join(nlri(p, l) for p, l in prefixes))

def withdraw(prefixes):
    w = b"".join(nlri(p, l) for p, l in prefixes)
    return msg(2, struct.pack("!H", len(w)) + w + struct.pack("!H", 0))

WATCHED = [((198 << 24) | (51 << 16) | (i << 8), 24) for i in (100, 101, 102)]

class Peer(threading.Thread):
    def __init__(self, i, port, prefixes, stop, go_withdraw):
        super().__init__(daemon=True)
        self.i, self.asn = i, 65100 + i
        self.addr = "127.0.0.%d" % (i + 2)
        self.sock = socket.socket()
        self.sock.bind((self.addr, 0))
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(open_msg(self.asn, 0x0A000000 + i + 1) + msg(4, b""))
        got = b""
        while len(got) < 19 + 19:  # the collector's OPEN and KEEPALIVE
            d = self.sock.recv(4096)
            if not d:
                raise SystemExit("peer %d: collector closed the session" % i)
            got += d
        nh = (127 << 24) | (i + 2)
        own = [((11 << 24) | (i << 16) | (j << 8), 24) for j in range(prefixes)]
        self.sock.sendall(announce([self.asn, 65020], nh, WATCHED))
        self.sock.sendall(b"".join(announce([self.asn, 64512 + j % 500], nh, [p]) for j, p in enumerate(own)))
        self.flap_down = b"".join(withdraw([p]) for p in own)
        self.flap_up = b"".join(announce([self.asn, 64512 + j % 500, 64999], nh, [p]) for j, p in enumerate(own))
        self.per_round = 2 * len(own)
        self.stop, self.go_withdraw = stop, go_withdraw
        self.sent = 0
        self.withdrew_at = None

    def run(self):
        try:
            self.flap()
        except OSError:
            pass  # the collector closed the session at the end of the run

    def flap(self):
        while not self.stop.is_set():
            if self.go_withdraw.is_set() and self.withdrew_at is None:
                self.sock.sendall(withdraw(WATCHED))
                self.withdrew_at = time.time()
            self.sock.sendall(self.flap_down)
            self.sock.sendall(self.flap_up)
            self.sent += self.per_round

def status(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", default=".build/release/vigil")
    ap.add_argument("--peers", type=int, default=10)
    ap.add_argument("--prefixes", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-flap-")
    port = 19000 + os.getpid() % 1000
    st, ev = os.path.join(tmp, "status.json"), os.path.join(tmp, "events.jsonl")
    with open(os.path.join(tmp, "vigil.toml"), "w") as f:
        f.write(f"""[collector]
name = "flap"
local_as = 12654
listen = "127.0.0.1:{port}"
accept_any = true
[archive]
directory = "{tmp}/archive"
[store]
database = ""
status_file = "{st}"
events_file = "{ev}"
[detect]
watch = ["AS65020"]
full_feed_v4 = 1
live_warmup = "2s"
""")
    vigil = subprocess.Popen([a.vigil, "collect", "--config", os.path.join(tmp, "vigil.toml")],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "stderr"), "w"))
    stop, go = threading.Event(), threading.Event()
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        peers = [Peer(i, port, a.prefixes, stop, go) for i in range(a.peers)]
        table = a.peers * (a.prefixes + 3)
        deadline = time.time() + 120
        while (status(st) or {}).get("routes", 0) < table and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # the live baseline (live_warmup 2 s)
        s0, t0 = status(st), time.time()
        for p in peers:
            p.start()
        time.sleep(a.seconds)
        s1, t1 = status(st), time.time()
        go.set()
        fired = None
        deadline = time.time() + 30
        while fired is None and time.time() < deadline:
            try:
                for line in open(ev):
                    e = json.loads(line)
                    if e.get("change") == "opened" and e.get("entity") == "AS65020":
                        fired = (time.time(), e.get("detected_after_s"))
            except OSError:
                pass
            time.sleep(0.01)
        stop.set()
        for p in peers:
            p.join(timeout=5)
        last = max(p.withdrew_at or 0 for p in peers)
        sent = sum(p.sent for p in peers)
        applied = s1["elements"] - s0["elements"]
        received = sum(p["messages"] for p in s1["peers"]) - sum(p["messages"] for p in s0["peers"])
        print(f"peers {a.peers}, {a.prefixes} prefixes each, flapping for {t1 - t0:.1f} s with archiving (gzip) on")
        print(f"  updates written by the peers:            {sent / (t1 - t0):,.0f} messages/s (includes what waits in socket buffers)")
        print(f"  messages received and archived:          {received / (t1 - t0):,.0f} messages/s")
        print(f"  elements applied by the live pipeline:  {applied / (t1 - t0):,.0f} elements/s (queue at the end: {s1['queued']:,})")
        if fired:
            print(f"  outage of AS65020 raised {fired[0] - last:.2f} s after the last peer's withdrawal was written "
                  f"(behind the flood queued in its TCP stream); {fired[1]} s after the collector applied it")
        else:
            print("  outage of AS65020: NOT raised within 30 s")
        vigil.send_signal(signal.SIGTERM)
        vigil.wait(timeout=60)
        arch = os.path.join(tmp, "archive", "flap")
        files = sorted(os.path.join(arch, f) for f in os.listdir(arch) if f.startswith("updates."))
        count = subprocess.run([a.vigil, "dump", "--count"] + files, capture_output=True, text=True)
        size = sum(os.path.getsize(f) for f in files)
        print(f"  archive: {len(files)} file(s), {size / 1e6:.1f} MB gzip; vigil dump --count: {count.stdout.strip()}")
        return 0 if fired else 1
    finally:
        stop.set()
        with open(os.path.join(tmp, "stderr")) as f:
            tail = f.read().splitlines()[-15:]
        if os.environ.get("VERBOSE") or not tail or any("NOTIFICATION" in l or "error" in l for l in tail):
            print("vigil's log (last lines):\n  " + "\n  ".join(tail))
        if vigil.poll() is None:
            vigil.kill()
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())
