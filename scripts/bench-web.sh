#!/usr/bin/env bash
# The dashboard and the API under load (README, Benchmarks), release build, on the database of
# `vigil-bench web-db` (one AS, 30 days of 5-minute bins whose every signal changes every bin,
# probing rounds every 5 minutes, three outages):
#  1. the entity page's first render in headless Chromium (Debian's), 30 days and its events:
#     the page's own mark, ms from navigation start to plots and events drawn, RUNS times;
#  2. `signals` for that entity and 30 days under wrk (Debian's): paced at about 500 requests/s
#     (CONNECTIONS connections, each waiting 20 ms between requests), then at saturation; the
#     latency percentiles, the rate, and the server's RSS.
# Usage: scripts/bench-web.sh   (RUNS=5 CONNECTIONS=13 SECONDS=30)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/vigil-bench-web.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
swift build -c release --product vigil >/dev/null 2>&1
swift build -c release --product vigil-bench >/dev/null 2>&1
bin=.build/release
port=19490 devtools=19291
secs=${SECONDS_EACH:-30}
{
echo "# Web benchmark, $(date -u +%FT%TZ), $(nproc) cores"
echo
$bin/vigil-bench web-db "$work/web.db" 30
$bin/vigil serve --db "$work/web.db" --listen 127.0.0.1:$port --run-for 7200 2>"$work/serve.log" &
server=$!
pids+=("$server")
for _ in $(seq 100); do grep -q viewing "$work/serve.log" && break; sleep 0.1; done
range="from=2023-11-14T00:00:00Z&until=2023-12-14T00:00:00Z"
echo
echo "## Entity page, first render (30 days, 6 signals and probing, 3 outages), Chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
echo
chromium --headless --no-sandbox --disable-gpu --remote-debugging-port=$devtools --user-data-dir="$work/chromium" \
    --window-size=1400,1100 about:blank >/dev/null 2>&1 &
pids+=("$!")
sleep 2
python3 scripts/bench-render.py $devtools "http://127.0.0.1:$port/entity.html?e=AS64500&$range" "${RUNS:-5}"
url="http://127.0.0.1:$port/api/v1/signals/AS64500?$range"
echo
echo "One response: $(curl -s -o /dev/null -w '%{size_download} bytes in %{time_total} s' "$url")"
cat >"$work/pace.lua" <<'LUA'
-- each connection waits 20 ms between requests: about 500/s with 13 connections
function delay() return 20 end
LUA
echo
echo "## signals, 30 days, paced (~500 requests/s: ${CONNECTIONS:-13} connections, 20 ms apart)"
echo
echo '```'
wrk -t2 -c"${CONNECTIONS:-13}" -d"${secs}s" --latency -s "$work/pace.lua" "$url"
echo '```'
echo
echo "## signals, 30 days, saturation (32 connections)"
echo
echo '```'
wrk -t2 -c32 -d"${secs}s" --latency "$url"
echo '```'
echo
echo "server: $(grep -E 'VmHWM|VmRSS' /proc/$server/status | tr -s ' \t' ' ' | tr '\n' ' ')"
} | tee "$out/web.md"
