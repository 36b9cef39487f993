#!/usr/bin/env bash
# Replay benchmarks (release build), reported in the issue's closing note:
#  1. throughput: `vigil replay` of the concatenated shared RIS updates (bench-out from
#     bench-dump.sh) against `vigil dump --count` on the same input;
#  2. state memory: a synthetic full table (PREFIXES × PEERS, default 1M × 20) written
#     with the MRT writer, replayed as a RIB: bytes per route and peak RSS.
# Usage: scripts/bench-replay.sh [PREFIXES] [PEERS]
#   Replay and `dump --count` run RUNS times each (default 3), interleaved; the best run of each counts.
#   BEFORE=/path/to/older/vigil also replays the same input with that binary, interleaved with this
#   build's runs (best of RUNS each), and reports the after/before throughput ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
prefixes=${1:-1000000}
peers=${2:-20}
out=bench-out
mkdir -p "$out"
swift build -c release --product vigil >/dev/null
swift build -c release --product vigil-bench >/dev/null
vigil=.build/release/vigil
updates="$out/updates-500MB.mrt"
[ -s "$updates" ] || scripts/bench-dump.sh 500 >/dev/null

t() { /usr/bin/time -f "%e %M" -o "$out/t.txt" "$@"; read -r wall rss < "$out/t.txt"; }

# Best of RUNS (default 3) each, interleaved: this machine's speed wanders by tens of percent.
best() { awk -v a="$1" -v b="${2:-$1}" 'BEGIN { print (a < b ? a : b) }'; }
count_wall= replay_wall=
for _ in $(seq "${RUNS:-3}"); do
  t "$vigil" dump --count "$updates" > /dev/null
  count_wall=$(best "$wall" "$count_wall")
  rm -f "$out/bench.db"*
  t "$vigil" replay --updates "$updates" --db "$out/bench.db" > /dev/null 2> "$out/replay.txt"
  replay_wall=$(best "$wall" "$replay_wall")
done
wall=$replay_wall
elements=$(awk '/^replayed/ {print $2}' "$out/replay.txt")
echo "updates replay (all origin ASes): $elements elements in ${wall}s = $(awk -v e="$elements" -v w="$wall" 'BEGIN { printf "%.2f", e / w / 1e6 }') M elements/s end to end, peak RSS $((rss / 1024)) MB; vigil dump --count ${count_wall}s (best of ${RUNS:-3} each; replay/count = $(awk -v a="$wall" -v b="$count_wall" 'BEGIN { printf "%.2f", a / b }')x)"

# Allocations per element on the replay path (heaptrack): one copy of the RIS updates, then ten; the
# difference is what replaying the same elements again costs once prefixes and paths are interned.
dpkg-query -W -f='${Status}' heaptrack 2>/dev/null | grep -q "install ok installed" || {
  apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 heaptrack >/dev/null; }
one="$out/one.mrt"
allocs() {
  rm -f "$out/bench.db"* "$out"/heaptrack.*
  heaptrack -o "$out/heaptrack" "$@" > /dev/null 2>&1
  heaptrack_print "$out"/heaptrack.* 2>/dev/null | awk '/^calls to allocation functions:/ {print $5}'
}
if [ -s "$one" ]; then
  for _ in $(seq 10); do cat "$one"; done > "$out/ten.mrt"
  for build in "$vigil" ${BEFORE:-}; do
    a1=$(allocs "$build" replay --updates "$one" --db "$out/bench.db")
    a10=$(allocs "$build" replay --updates "$out/ten.mrt" --db "$out/bench.db")
    e1=$("$vigil" dump --count "$one" | awk '/^elements/ {print $2}')
    echo "allocations ($build): $a1 for $e1 elements, $a10 for ten times as many: $(awk -v a="$a1" -v b="$a10" -v e="$e1" 'BEGIN { printf "%.4f", (b - a) / (9 * e) }') per element replayed again"
  done
fi

if [ -n "${BEFORE:-}" ]; then
  # Interleaved so that a slower stretch of the machine hurts both builds alike; the best run counts.
  best_after=$wall best_before=
  for _ in $(seq "${RUNS:-3}"); do
    rm -f "$out/bench.db"*
    t "$BEFORE" replay --updates "$updates" --db "$out/bench.db" > /dev/null 2>&1
    best_before=$(best "$wall" "$best_before")
    rm -f "$out/bench.db"*
    t "$vigil" replay --updates "$updates" --db "$out/bench.db" > /dev/null 2>&1
    best_after=$(best "$wall" "$best_after")
  done
  echo "before ($BEFORE): ${best_before}s, after: ${best_after}s (best runs); after/before throughput = $(awk -v a="$best_after" -v b="$best_before" 'BEGIN { printf "%.3f", b / a }')"
fi

rib="$out/rib-${prefixes}-${peers}.gz"
[ -s "$rib" ] || .build/release/vigil-bench rib "$rib" "$prefixes" "$peers"
rm -f "$out/bench.db"*
t "$vigil" replay --rib "$rib" --db "$out/bench.db" --entity AS3356 > /dev/null 2> "$out/rib.txt"
routes=$((prefixes * peers))
echo "RIB replay: $(grep '^state:' "$out/rib.txt" | sed 's/^state: //'); ${wall}s; peak RSS $((rss / 1024)) MB = $(awk -v r="$rss" -v n="$routes" 'BEGIN { printf "%.1f", r * 1024 / n }') bytes/route for the whole process"
if [ -n "${BEFORE:-}" ]; then
  after_wall=$wall after_rss=$rss
  rm -f "$out/bench.db"*
  t "$BEFORE" replay --rib "$rib" --db "$out/bench.db" --entity AS3356 > /dev/null 2>&1
  echo "RIB replay before ($BEFORE): ${wall}s, peak RSS $((rss / 1024)) MB; after/before throughput = $(awk -v a="$after_wall" -v b="$wall" 'BEGIN { printf "%.2f", b / a }'), RSS after/before = $(awk -v a="$after_rss" -v b="$rss" 'BEGIN { printf "%.2f", a / b }')"
fi
