#!/usr/bin/env bash
# Issue 14's memory benchmark: a peer announces and withdraws 10 million distinct IPv4
# prefixes in a loop for 10 minutes (scripts/flood.py, loopback only) while a second,
# well-behaved peer withdraws and re-announces its prefix every 20 s. Reports the
# collector's RSS every 5 s (the curve, in $OUT/rss.csv), how long each of the good
# peer's withdrawals took to reach the archive and to open its outage, and the
# pipeline's queue figures from /metrics.
#
#   scripts/bench-flood.sh                       # 600 s, 10,000,000 prefixes
#   SECONDS_RUN=120 PREFIXES=1000000 scripts/bench-flood.sh
#   CHUNK=10000000 scripts/bench-flood.sh         # all 10 million held at once, then withdrawn
#
# Needs: a release build (swift build -c release), python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-.build/release/vigil}
SECONDS_RUN=${SECONDS_RUN:-600}
PREFIXES=${PREFIXES:-10000000}
CHUNK=${CHUNK:-100000}
OUT=${OUT:-bench-out/flood}
[ -x "$VIGIL" ] || { echo "bench-flood: $VIGIL missing: swift build -c release" >&2; exit 1; }
mkdir -p "$OUT"
dir=$(mktemp -d /tmp/vigil-flood.XXXXXX)
trap 'kill $pid $sampler 2>/dev/null || true; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
mport=$(free_port)
cat > "$dir/vigil.toml" <<TOML
[collector]
name = "flood"
local_as = 65000
listen = "127.0.0.1:$port"

[[peer]]
address = "127.0.0.2"
as = 65001

[[peer]]
address = "127.0.0.3"
as = 65002

[archive]
directory = "$dir/archive"
gzip = false

[store]
database = "$dir/vigil.sqlite"
status_file = ""
events_file = "$dir/events.jsonl"

[detect]
watch = ["AS65002"]
full_feed_v4 = 1
live_warmup = "10s"
live_min_outage = "0s"

[metrics]
listen = "127.0.0.1:$mport"

[log]
level = "warning"
TOML
"$VIGIL" serve --config "$dir/vigil.toml" > "$OUT/events.txt" 2> "$OUT/vigil.log" &
pid=$!
: > "$OUT/rss.csv"
( t0=$(date +%s); while kill -0 $pid 2>/dev/null; do
    echo "$(( $(date +%s) - t0 )),$(ps -o rss= -p $pid | tr -d ' ')" >> "$OUT/rss.csv"; sleep 5; done ) &
sampler=$!
sleep 2
python3 scripts/flood.py --port "$port" --prefixes "$PREFIXES" --chunk "$CHUNK" --seconds "$SECONDS_RUN" \
    --archive "$dir/archive/flood" --events "$dir/events.jsonl" | tee "$OUT/flood.jsonl"
curl -s "http://127.0.0.1:$mport/metrics" | grep -E '^vigil_(pipeline|routes|prefixes|elements_total)' | tee "$OUT/metrics.txt"
kill -TERM $pid
wait $pid || true
python3 - "$OUT/rss.csv" <<'PY'
import sys
rows = [tuple(map(int, l.split(","))) for l in open(sys.argv[1]) if l.strip() and l.split(",")[1].strip()]
print("RSS (MB) by minute:", " ".join(f"{t // 60}m:{r / 1024:.0f}" for t, r in rows if t % 60 < 5))
late = [r for t, r in rows if t >= 60]
if late:
    print(f"after the first minute: min {min(late) / 1024:.0f} MB, max {max(late) / 1024:.0f} MB, last {late[-1] / 1024:.0f} MB")
PY
