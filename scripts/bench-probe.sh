#!/usr/bin/env bash
# ICMP echo scan benchmark: `vigil probe --scan` against zmap (icmp_echoscan) and fping,
# all three in the same run against the same target, a whole /16 that answers pings.
#
# Testbed (made here, removed on exit by a trap): a network namespace joined to the host by
# a veth pair, host 10.204.1.1/24 <-> namespace 10.204.1.2/24. In the namespace
# `ip route add local 10.77.0.0/16 dev lo` makes every one of the 65,536 addresses of
# 10.77.0.0/16 answer echo requests; the host routes 10.77.0.0/16 via 10.204.1.2. The
# tools run on the host; their traffic only ever goes into that namespace (checked with
# `ip route get` before the first probe; zmap writes its frames straight onto the host veth).
# Neighbours are static and IPv6 is off on the veth, so the veth carries nothing but probes.
#
# Each tool scans 10.77.0.0/16 once (one probe per address, 1 s wait for late replies) at
# each requested rate, BENCH_ROUNDS times, tools interleaved within a round:
#   zmap  -M icmp_echoscan -r RATE -c 1 (max: -r 0), all CPUs, and pinned to one CPU at max
#   fping -g 10.77.0.0/16 -r 0 -t 1000 -i 1000/RATE ms (max: -i 0); fping skips the network
#         and broadcast addresses of a CIDR, so it has 65,534 targets
#   vigil probe --scan 10.77.0.0/16 --rate RATE --timeout 1 --sender socket|packet (max: --rate VIGIL_MAX_RATE);
#         "vigil" sends through its raw socket, "vigil-packet" as link-layer frames (as zmap),
#         all CPUs, and pinned to one CPU (`taskset -c BENCH_CPU`)
# Measured per run:
#   send rate    echo requests leaving the host veth (its tx_packets counter, sampled every
#                1 ms by a helper pinned to another CPU) over the time from the first to the
#                last counter change: the same wire-level yardstick for all three tools
#   answered     unique responding addresses as the tool reports them: zmap's output file
#                (sort -u), fping -a (sort -u), vigil's JSON "answered"; lost = targets - answered
#   on wire      echo replies that reached the host veth (rx_packets); = targets means the
#                testbed lost nothing and every lost reply was lost by the tool itself
#   wall, CPU    /usr/bin/time -v of the tool alone: elapsed, user+sys, max RSS
# The table shows per configuration the median over the rounds (lost: every round).
#
# Usage: sudo scripts/bench-probe.sh          (root: namespaces, raw sockets; a few minutes)
# Environment:
#   VIGIL=path            vigil binary to use (default: build release into BENCH_SCRATCH)
#   BENCH_SCRATCH=.build-probebench   scratch path of that build
#   BENCH_RATES="50000 100000 200000 max"   requested rates, packets/s ("max" = unlimited)
#   BENCH_ROUNDS=3        runs of every configuration
#   BENCH_TOOLS="zmap fping vigil"   which tools to run
#   BENCH_CPU=0           the CPU of the one-core runs
#   VIGIL_MAX_RATE=10000000   what vigil gets as --rate for "max" (it needs a number)
#   BENCH_OUT=bench-out   where probe.md (the table) and probe-runs.tsv (every run) go
#   BENCH_KEEP=1          keep the temporary directory
set -euo pipefail
cd "$(dirname "$0")/.."

rates=${BENCH_RATES:-50000 100000 200000 max}
rounds=${BENCH_ROUNDS:-3}
tools=${BENCH_TOOLS:-zmap fping vigil}
pin_cpu=${BENCH_CPU:-0}
vigil_max=${VIGIL_MAX_RATE:-10000000}
scratch=${BENCH_SCRATCH:-.build-probebench}
out_dir=${BENCH_OUT:-bench-out}
prefix=10.77.0.0/16
host_ip=10.204.1.1 ns_ip=10.204.1.2
targets_all=65536

script_start=$EPOCHREALTIME
log() { printf '[%6.1fs] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$script_start" 'BEGIN { print a - b }')" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
has_tool() { case " $tools " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[ "$(id -u)" = 0 ] || die "needs root (network namespace, raw sockets, zmap)"
ncpu=$(nproc)
[ "$pin_cpu" -lt "$ncpu" ] || die "BENCH_CPU=$pin_cpu but only $ncpu CPUs"
sampler_cpu=$(( ncpu > 1 ? (pin_cpu + 1) % ncpu : 0 ))

# --- tools: install what is missing, then insist that everything is there ---
need=()
has_tool zmap && ! command -v zmap >/dev/null && need+=(zmap)
has_tool fping && ! command -v fping >/dev/null && need+=(fping)
[ -x /usr/bin/time ] || need+=(time)
command -v taskset >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get install -y "${need[@]}" >&2 || { apt-get update >&2 && apt-get install -y "${need[@]}" >&2; } \
    || die "apt-get install -y ${need[*]}"
fi
for t in ip taskset python3 timeout; do command -v "$t" >/dev/null || die "$t is missing"; done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install -y time)"
has_tool zmap && { command -v zmap >/dev/null || die "zmap is missing (apt-get install -y zmap)"; }
has_tool fping && { command -v fping >/dev/null || die "fping is missing (apt-get install -y fping)"; }

# --- vigil: the given binary, or a release build of our own ---
if has_tool vigil; then
  if [ -n "${VIGIL:-}" ]; then
    vigil=$(readlink -f "$VIGIL")
  else
    for attempt in 1 2 3; do
      log "building vigil (release, $scratch), attempt $attempt"
      if swift build -c release --product vigil --scratch-path "$scratch" > /tmp/bench-probe-build.$$.log 2>&1; then break; fi
      [ "$attempt" = 3 ] && { tail -30 /tmp/bench-probe-build.$$.log >&2; rm -f /tmp/bench-probe-build.$$.log; die "swift build"; }
      log "build failed, retrying in 60 s"
      sleep 60
    done
    rm -f /tmp/bench-probe-build.$$.log
    vigil=$PWD/$scratch/release/vigil
  fi
  [ -x "$vigil" ] || die "$vigil is not an executable"
  "$vigil" probe --help 2>&1 | grep -q -- '--scan' || die "$vigil has no \`vigil probe --scan\`"
fi

# --- testbed ---
ip route show "$prefix" | grep -q . && die "the host already has a route for $prefix"
ip -4 addr show | grep -q "inet 10\.204\.1\." && die "10.204.1.0/24 is already in use on the host"
tmp=$(mktemp -d /tmp/vigil-bench-probe.XXXXXX)
ns=vpb$$ hif=vpbh$$ nif=vpbn$$
sampler_pid=

cleanup() {
  set +e
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  ip route del "$prefix" via "$ns_ip" dev "$hif" 2>/dev/null
  ip link del "$hif" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "testbed: namespace $ns, veth $hif ($host_ip) <-> $nif ($ns_ip), $prefix answered in $ns"
ip netns add "$ns"
ip link add "$hif" type veth peer name "$nif" netns "$ns"
sysctl -qw "net.ipv6.conf.$hif.disable_ipv6=1" 2>/dev/null || true
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$nif.disable_ipv6=1" 2>/dev/null || true
ip addr add "$host_ip/24" dev "$hif"
ip link set "$hif" up
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$ns_ip/24" dev "$nif"
ip -n "$ns" link set "$nif" up
ip -n "$ns" route add local "$prefix" dev lo
host_mac=$(cat "/sys/class/net/$hif/address")
ns_mac=$(ip netns exec "$ns" cat "/sys/class/net/$nif/address")
ip neigh replace "$ns_ip" lladdr "$ns_mac" dev "$hif" nud permanent
ip -n "$ns" neigh replace "$host_ip" lladdr "$host_mac" dev "$nif" nud permanent
ip route add "$prefix" via "$ns_ip" dev "$hif"
for a in 10.77.0.0 10.77.128.1 10.77.255.255; do
  ip route get "$a" | grep -q "dev $hif " || die "$a is not routed into the namespace: $(ip route get "$a")"
done
[ "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/icmp_echo_ignore_all)" = 0 ] || die "the namespace ignores echo requests"
: > "$tmp/empty-blocklist"   # zmap's default blocklist excludes 10.0.0.0/8

# --- helper: wire sampler, per-run record, report ---
cat > "$tmp/pb.py" <<'PY'
import json, os, re, signal, statistics, sys, time

def sample(iface, out, ready):
    """Poll the host veth's packet counters every 1 ms until SIGTERM; keep the changes."""
    base = "/sys/class/net/%s/statistics/" % iface
    def rd(name):
        with open(base + name) as f:
            return int(f.read())
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0, tx0, rx0 = time.monotonic(), rd("tx_packets"), rd("rx_packets")
    open(ready, "w").close()
    tx_first = tx_last = None   # (time, count) at the first and last change of tx_packets
    tx = tx0
    rx = rx0
    while not stop:
        time.sleep(0.001)
        now, t, r = time.monotonic(), rd("tx_packets"), rd("rx_packets")
        if t != tx:
            if tx_first is None:
                tx_first = (now, t)
            tx_last = (now, t)
            tx = t
        rx = r
    rate = window = None
    if tx_first and tx_last and tx_last[0] > tx_first[0]:
        window = tx_last[0] - tx_first[0]
        rate = (tx_last[1] - tx_first[1]) / window
    json.dump({"tx": tx - tx0, "rx": rx - rx0, "rate": rate, "window": window,
               "tx_dropped": rd("tx_dropped"), "rx_dropped": rd("rx_dropped")}, open(out, "w"))

def gnu_time(path):
    v = {}
    for line in open(path):
        k, _, val = line.strip().rpartition(": ")
        v[k] = val
    parts = [float(p) for p in v["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return wall, float(v["User time (seconds)"]), float(v["System time (seconds)"]), int(v["Maximum resident set size (kbytes)"])

COLS = ["round", "tool", "cpus", "rate", "targets", "answered", "lost", "wire_tx", "wire_rx", "wire_rate",
        "wire_send_s", "wall_s", "user_s", "sys_s", "maxrss_kb", "rc", "self_sent", "self_rate", "unmatched",
        "send_errors", "note"]

def record(args):
    a = dict(x.split("=", 1) for x in args)
    w = json.load(open(a["wire"]))
    wall, user, sys_, rss = gnu_time(a["time"])
    targets, answered = int(a["targets"]), int(a["answered"])
    row = {"round": a["round"], "tool": a["tool"], "cpus": a["cpus"], "rate": a["rate"], "targets": targets,
           "answered": answered, "lost": targets - answered, "wire_tx": w["tx"], "wire_rx": w["rx"],
           "wire_rate": round(w["rate"]) if w["rate"] else "", "wire_send_s": "%.4f" % w["window"] if w["window"] else "",
           "wall_s": wall, "user_s": user, "sys_s": sys_, "maxrss_kb": rss, "rc": a["rc"],
           "self_sent": "", "self_rate": "", "unmatched": "", "send_errors": "", "note": ""}
    notes = []
    if w["tx_dropped"] or w["rx_dropped"]:
        notes.append("veth drops tx %d rx %d (cumulative)" % (w["tx_dropped"], w["rx_dropped"]))
    if a.get("vigil_json"):
        j = None
        for line in open(a["vigil_json"]):
            line = line.strip()
            if line.startswith("{"):
                j = json.loads(line)
        if j is None:
            sys.exit("no JSON line from vigil in " + a["vigil_json"])
        row["self_sent"], row["unmatched"], row["send_errors"] = j["sent"], j["unmatched"], j["send_errors"]
        if "targets" in j:   # vigil skips its never-probe ranges: count against what it probed
            row["targets"] = int(j["targets"])
            row["lost"] = row["targets"] - answered
        if j.get("send_seconds"):
            row["self_rate"] = round(j["sent"] / j["send_seconds"])
    if a.get("zmap_meta") and os.path.getsize(a["zmap_meta"]):
        m = json.load(open(a["zmap_meta"]))
        row["self_sent"] = m.get("total_sent", "")
        notes.append("zmap hitrate %.3f%%, pcap_drop %s" % (m.get("hitrate", 0), m.get("pcap_drop", "?")))
    if a.get("fping_err"):
        s = open(a["fping_err"]).read()
        m = re.search(r"(\d+) ICMP Echos sent", s)
        if m:
            row["self_sent"] = int(m.group(1))
    row["note"] = "; ".join(notes)
    new = not os.path.exists(a["tsv"])
    with open(a["tsv"], "a") as f:
        if new:
            f.write("\t".join(COLS) + "\n")
        f.write("\t".join(str(row[c]) for c in COLS) + "\n")
    print("%s %s cpus=%s: wire %s pkt/s, answered %d/%d, on wire %d, wall %.2f s, cpu %.2f s"
          % (row["tool"], row["rate"], row["cpus"], row["wire_rate"] or "?", answered, targets, w["rx"], wall, user + sys_))

def report(tsv, md, header):
    rows = [dict(zip(COLS, l.rstrip("\n").split("\t"))) for l in list(open(tsv))[1:]]
    groups = {}
    for r in rows:
        groups.setdefault((r["tool"], r["rate"], r["cpus"]), []).append(r)
    med = lambda rs, k: statistics.median(float(r[k]) for r in rs if r[k] != "")
    fmt = lambda x: "{:,.0f}".format(x)
    lines = ["| tool | requested rate | CPUs | send rate, pkt/s (wire; min–max) | answered (unique) | lost, each round |"
             " replies on wire | wall s | CPU s (user+sys) | max RSS MB |",
             "|---|---|---|---:|---:|---|---:|---:|---:|---:|"]
    for (tool, rate, cpus), rs in groups.items():
        req = rate if rate == "max" else fmt(float(rate)) + "/s"
        sends = [float(r["wire_rate"]) for r in rs if r["wire_rate"] != ""]
        send = "?" if not sends else fmt(statistics.median(sends)) + (
            " (%s–%s)" % (fmt(min(sends)), fmt(max(sends))) if len(sends) > 1 else "")
        cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
        lines.append("| %s | %s | %s | %s | %s / %s | %s | %s | %.2f | %.2f | %.1f |" % (
            tool, req, "any" if cpus == "all" else "1 (cpu %s)" % cpus, send, fmt(med(rs, "answered")), fmt(float(rs[0]["targets"])),
            ", ".join(fmt(float(r["lost"])) for r in rs), fmt(med(rs, "wire_rx")),
            med(rs, "wall_s"), cpu, med(rs, "maxrss_kb") / 1024))
    notes = []
    for (tool, rate, cpus), rs in groups.items():
        extra = sorted({r["note"] for r in rs if r["note"]})
        bad = [r["rc"] for r in rs if r["rc"] != "0"]
        if tool.startswith("vigil"):
            extra.append("self-reported send rate %s pkt/s, unmatched %s, send errors %s" % (
                "/".join(fmt(float(r["self_rate"])) if r["self_rate"] else "?" for r in rs),
                "/".join(r["unmatched"] for r in rs), "/".join(r["send_errors"] for r in rs)))
        if bad:
            extra.append("exit codes " + ",".join(bad))
        if extra:
            notes.append("- %s %s %s: %s" % (tool, rate, cpus, "; ".join(extra)))
    text = header + "\n\n" + "\n".join(lines) + "\n"
    if notes:
        text += "\nPer configuration (one value per round):\n\n" + "\n".join(notes) + "\n"
    open(md, "w").write(text)
    print(text)

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "sample":
        sample(*sys.argv[2:5])
    elif cmd == "record":
        record(sys.argv[2:])
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3], open(sys.argv[4]).read().rstrip())
PY

# Sanity: one address answers before anything is measured.
if command -v fping >/dev/null; then
  fping -q -r 2 -t 500 10.77.200.7 || die "10.77.200.7 does not answer through the testbed"
fi

# --- one measured run: sampler up, tool under /usr/bin/time, sampler down, record ---
# run ROUND TOOL CPUS RATE TARGETS -- command...   (the tool's stdout/stderr go to $tmp/out, $tmp/err)
run_one() {
  local round=$1 tool=$2 cpus=$3 rate=$4 targets=$5; shift 6
  local pin=()
  [ "$cpus" = all ] || pin=(taskset -c "$cpus")
  rm -f "$tmp/ready" "$tmp/wire.json" "$tmp/out" "$tmp/err" "$tmp/zmap.out" "$tmp/zmap.meta"
  taskset -c "$sampler_cpu" python3 "$tmp/pb.py" sample "$hif" "$tmp/wire.json" "$tmp/ready" &
  sampler_pid=$!
  for _ in $(seq 200); do [ -e "$tmp/ready" ] && break; sleep 0.01; done
  [ -e "$tmp/ready" ] || die "the wire sampler did not start"
  local rc=0
  (cd "$tmp" && timeout 120 /usr/bin/time -v -o "$tmp/time" "${pin[@]}" "$@" > "$tmp/out" 2> "$tmp/err") || rc=$?
  sleep 0.1
  kill -TERM "$sampler_pid"; wait "$sampler_pid" || true; sampler_pid=
  [ "$rc" = 0 ] || { log "$tool $rate cpus=$cpus exited $rc:"; tail -5 "$tmp/err" >&2; }
  [ -s "$tmp/time" ] || die "$tool left no /usr/bin/time output (exit $rc)"
  local answered extra=()
  case $tool in
    zmap)  answered=$(sort -u "$tmp/zmap.out" 2>/dev/null | grep -c . || true); extra=(zmap_meta="$tmp/zmap.meta") ;;
    fping) answered=$(sort -u "$tmp/out" | grep -c . || true); extra=(fping_err="$tmp/err") ;;
    vigil|vigil-packet) grep -q '^{' "$tmp/out" || die "vigil printed no JSON line (exit $rc): $(tail -3 "$tmp/err")"
           answered=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]["answered"])' "$tmp/out")
           extra=(vigil_json="$tmp/out") ;;
  esac
  python3 "$tmp/pb.py" record tsv="$tsv" round="$round" tool="$tool" cpus="$cpus" rate="$rate" targets="$targets" \
    answered="$answered" wire="$tmp/wire.json" time="$tmp/time" rc="$rc" "${extra[@]}" >&2
  sleep 1   # let the veth go quiet between runs
}

zmap_run() {  # ROUND CPUS RATE
  local r=$3; [ "$r" = max ] && r=0
  run_one "$1" zmap "$2" "$3" "$targets_all" -- zmap -M icmp_echoscan -i "$hif" -S "$host_ip" -G "$ns_mac" \
    -b "$tmp/empty-blocklist" -r "$r" -c 1 -o "$tmp/zmap.out" -m "$tmp/zmap.meta" --disable-syslog -q "$prefix"
}
fping_run() {  # ROUND CPUS RATE
  local i=0; [ "$3" = max ] || i=$(awk -v r="$3" 'BEGIN { printf "%g", 1000 / r }')
  run_one "$1" fping "$2" "$3" $(( targets_all - 2 )) -- fping -a -s -g "$prefix" -r 0 -t 1000 -i "$i"
}
vigil_run() {  # ROUND CPUS RATE [SENDER]: "vigil" sends through the raw socket, "vigil-packet" as link-layer frames
  local r=$3; [ "$r" = max ] && r=$vigil_max
  local sender=${4:-socket} label=vigil
  [ "$sender" = packet ] && label=vigil-packet
  run_one "$1" "$label" "$2" "$3" "$targets_all" -- "$vigil" probe --scan "$prefix" --rate "$r" --force --timeout 1 --sender "$sender"
}

mkdir -p "$out_dir"
tsv=$out_dir/probe-runs.tsv
rm -f "$tsv"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "rates: $rates; rounds: $rounds; tools: $tools; one-CPU runs on CPU $pin_cpu, sampler on CPU $sampler_cpu"
for round in $(seq "$rounds"); do
  log "round $round of $rounds"
  for rate in $rates; do
    has_tool zmap && zmap_run "$round" all "$rate"
    has_tool fping && fping_run "$round" all "$rate"
    has_tool vigil && vigil_run "$round" all "$rate"
    has_tool vigil && vigil_run "$round" "$pin_cpu" "$rate"
    has_tool vigil && vigil_run "$round" all "$rate" packet
    has_tool vigil && vigil_run "$round" "$pin_cpu" "$rate" packet
  done
  has_tool zmap && zmap_run "$round" "$pin_cpu" max
done

# --- report ---
{
  echo "# ICMP echo scan of $prefix ($targets_all addresses): vigil vs zmap vs fping"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -r); $ncpu CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo));"
  echo "load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, medians shown."
  versions=()
  has_tool zmap && versions+=("$(zmap --version 2>&1 | head -1)")
  has_tool fping && versions+=("$(fping --version 2>&1 | head -1)")
  has_tool vigil && versions+=("vigil $("$vigil" --version 2>&1 | head -1) ($vigil)")
  echo "Tools: $(IFS=';'; echo "${versions[*]}" | sed 's/;/; /g'). Command: \`scripts/bench-probe.sh\`$([ -n "${VIGIL:-}" ] && echo " (VIGIL=$VIGIL)")."
  echo
  echo "Send rate: echo requests leaving the host veth / time from first to last (1 ms sampling); median, (min–max) over the rounds."
  echo "Answered: unique addresses the tool reports (zmap output file, fping -a, vigil JSON); lost = targets - answered."
  echo "Replies on wire: echo replies that reached the host veth. CPUs \"1 (cpu $pin_cpu)\" = taskset -c $pin_cpu (the namespace's"
  echo "replies are produced in softirq on the sending CPU, so a one-CPU run also carries the responder's work)."
  echo "fping has 65,534 targets (it skips a CIDR's network and broadcast addresses). Every tool waits 1 s for late replies."
} > "$tmp/header"
echo >&2
python3 "$tmp/pb.py" report "$tsv" "$out_dir/probe.md" "$tmp/header"
log "wrote $out_dir/probe.md and $tsv"
