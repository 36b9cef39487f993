#!/usr/bin/env bash
# Replay benchmarks (release build), reported in the issue's closing note:
#  1. throughput: `vigil replay` of the concatenated shared RIS updates (bench-out from
#     bench-dump.sh) against `vigil dump --count` on the same input;
#  2. state memory: a synthetic full table (PREFIXES × PEERS, default 1M × 20) written
#     with the MRT writer, replayed as a RIB: bytes per route and peak RSS.
# Usage: scripts/bench-replay.sh [PREFIXES] [PEERS]
#   BEFORE=/path/to/older/vigil also replays the same input with that binary, interleaved with this
#   build's runs (best of RUNS each, default 3), and reports the after/before throughput ratio.
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

rm -f "$out/bench.db"*
t "$vigil" dump --count "$updates" > /dev/null
count_wall=$wall
t "$vigil" replay --updates "$updates" --db "$out/bench.db" > /dev/null 2> "$out/replay.txt"
elements=$(awk '/^replayed/ {print $2}' "$out/replay.txt")
echo "updates replay (all origin ASes): $elements elements in ${wall}s = $(awk -v e="$elements" -v w="$wall" 'BEGIN { printf "%.2f", e / w / 1e6 }') M elements/s end to end, peak RSS $((rss / 1024)) MB; vigil dump --count ${count_wall}s (replay/count = $(awk -v a="$wall" -v b="$count_wall" 'BEGIN { printf "%.1f", a / b }')x)"

if [ -n "${BEFORE:-}" ]; then
  # Interleaved so that a slower stretch of the machine hurts both builds alike; the best run counts.
  best_after=$wall best_before=
  for _ in $(seq "${RUNS:-3}"); do
    rm -f "$out/bench.db"*
    t "$BEFORE" replay --updates "$updates" --db "$out/bench.db" > /dev/null 2>&1
    best_before=$(awk -v a="$wall" -v b="${best_before:-$wall}" 'BEGIN { print (a < b ? a : b) }')
    rm -f "$out/bench.db"*
    t "$vigil" replay --updates "$updates" --db "$out/bench.db" > /dev/null 2>&1
    best_after=$(awk -v a="$wall" -v b="$best_after" 'BEGIN { print (a < b ? a : b) }')
  done
  echo "before ($BEFORE): ${best_before}s, after: ${best_after}s (best of ${RUNS:-3}+1 / ${RUNS:-3}); after/before throughput = $(awk -v a="$best_after" -v b="$best_before" 'BEGIN { printf "%.3f", b / a }')"
fi

rib="$out/rib-${prefixes}-${peers}.gz"
[ -s "$rib" ] || .build/release/vigil-bench rib "$rib" "$prefixes" "$peers"
rm -f "$out/bench.db"*
t "$vigil" replay --rib "$rib" --db "$out/bench.db" --entity AS3356 > /dev/null 2> "$out/rib.txt"
routes=$((prefixes * peers))
echo "RIB replay: $(grep '^state:' "$out/rib.txt" | sed 's/^state: //'); ${wall}s; peak RSS $((rss / 1024)) MB = $(awk -v r="$rss" -v n="$routes" 'BEGIN { printf "%.1f", r * 1024 / n }') bytes/route for the whole process"
