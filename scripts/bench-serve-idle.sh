#!/usr/bin/env bash
# Idle cost of `vigil serve` with every kind of source at once (issue 13): the BGP collector
# and the BMP station listening on loopback (no router connects), the prober on a namespace
# network this script makes (a /24 that answers, a round a minute), and an archive follower
# on a folder holding one small updates file. Measured over SECONDS (default 60) after a
# 15 s settling time: CPU (utime + stime from /proc/PID/stat) as a share of one core, and
# VmRSS / VmHWM. Release build. Run as root (namespaces, raw ICMP).
# Usage: scripts/bench-serve-idle.sh [SECONDS]     Environment: BENCH_NO_BUILD=1, VIGIL=path
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ "$(id -u)" = 0 ] || { echo "bench-serve-idle: needs root (namespaces, raw ICMP)" >&2; exit 1; }
[ -n "${BENCH_NO_BUILD:-}" ] || swift build -c release --product vigil >/dev/null
vigil=${VIGIL:-.build/release/vigil}
tmp=$(mktemp -d /tmp/vigil-idle.XXXXXX)
ns=vgidle$$
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  ip route del 10.93.7.0/24 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del vhidle$$ 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip link add vhidle$$ type veth peer name vpidle$$
ip link set vpidle$$ netns "$ns"
ip addr add 10.212.9.1/24 dev vhidle$$
ip link set vhidle$$ up
ip netns exec "$ns" ip addr add 10.212.9.2/24 dev vpidle$$
ip netns exec "$ns" ip link set vpidle$$ up
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip route add local 10.93.7.0/24 dev lo
ip route add 10.93.7.0/24 via 10.212.9.2

mkdir -p "$tmp/follow"
cp Tests/MRTTests/Fixtures/updates.20160811.1600.gz "$tmp/follow/"
cat > "$tmp/vigil.toml" <<TOML
[collector]
name = "idle"
local_as = 65000
router_id = "192.0.2.1"
listen = "127.0.0.1:17990"
[[peer]]
address = "127.0.0.2"
as = 65001
[bmp]
listen = "127.0.0.1:17991"
routers = ["127.0.0.3"]
[[follow]]
folder = "$tmp/follow"
collector = "rrc00"
start = "2016-08-11T16:00Z"
[probe]
rate = 1000
round = "60s"
[[probe.target]]
prefix = "10.93.7.0/24"
entity = "AS64500"
why = "benchmark: the script's own namespace"
[archive]
directory = "$tmp/archive"
[store]
database = "$tmp/vigil.sqlite"
status_file = ""
[metrics]
listen = "127.0.0.1:17992"
TOML
"$vigil" serve --config "$tmp/vigil.toml" > "$tmp/stdout" 2> "$tmp/stderr" &
pid=$!
sleep 15
kill -0 "$pid" 2>/dev/null || { cat "$tmp/stderr" >&2; exit 1; }
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$EPOCHREALTIME
sleep "$seconds"
t1=$(ticks); s1=$EPOCHREALTIME
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
threads=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s0="$s0" -v s1="$s1" 'BEGIN { printf "%.3f", (b - a) / hz / (s1 - s0) * 100 }')
sources=$("$vigil" status --url http://127.0.0.1:17992 | sed -n '/^sources:/,/^[^ ]/p' | grep '^  ' || true)
echo "vigil serve idle, $seconds s (collector + BMP listening, prober a round a minute on 1 block, follower on a folder): CPU $cpu% of one core, VmRSS $((rss / 1024)) MB, VmHWM $((hwm / 1024)) MB, $threads threads"
echo "$sources"
