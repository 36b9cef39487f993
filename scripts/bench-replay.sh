#!/usr/bin/env bash
# Replay benchmarks (release build), reported in the issue's closing note:
#  1. throughput: `vigil replay` of the concatenated shared RIS updates (bench-out from
#     bench-dump.sh) against `vigil dump --count` on the same input;
#  2. state memory: a synthetic full table (PREFIXES × PEERS, default 1M × 20) written
#     with the MRT writer, replayed as a RIB: bytes per route and peak RSS.
# Usage: scripts/bench-replay.sh [PREFIXES] [PEERS]
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
t "$vigil" replay --updates "$updates" --db "$out/bench.db" > "$out/replay.txt" 2>/dev/null
elements=$(awk '/^replayed/ {print $2}' "$out/replay.txt")
echo "updates replay (all origin ASes): $elements elements in ${wall}s = $(awk -v e="$elements" -v w="$wall" 'BEGIN { printf "%.2f", e / w / 1e6 }') M elements/s end to end, peak RSS $((rss / 1024)) MB; vigil dump --count ${count_wall}s (replay/count = $(awk -v a="$wall" -v b="$count_wall" 'BEGIN { printf "%.1f", a / b }')x)"

rib="$out/rib-${prefixes}-${peers}.gz"
[ -s "$rib" ] || .build/release/vigil-bench rib "$rib" "$prefixes" "$peers"
rm -f "$out/bench.db"*
t "$vigil" replay --rib "$rib" --db "$out/bench.db" --entity AS3356 > "$out/rib.txt" 2>/dev/null
routes=$((prefixes * peers))
echo "RIB replay: $(grep '^state:' "$out/rib.txt" | sed 's/^state: //'); ${wall}s; peak RSS $((rss / 1024)) MB = $(awk -v r="$rss" -v n="$routes" 'BEGIN { printf "%.1f", r * 1024 / n }') bytes/route for the whole process"
