#!/usr/bin/env bash
# Detection on real days learnt without a RIB (issue 12): the events per day by kind and level, and
# a random sample of 30 alerts checked against the raw updates (scripts/check-events.py).
# Usage: scripts/real-days.sh [DIR]   (default ../shared/data/mrt/routeviews-2008; release build)
#   BEFORE=/path/to/older/vigil counts that build's events on the same input too; SEED picks the sample.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/data/mrt/routeviews-2008}
out=bench-out
mkdir -p "$out"
swift build -c release --product vigil >/dev/null || exit 1

count() {
    python3 - "$1" <<'PY'
import json, sys, collections
n = collections.Counter(); days = collections.Counter()
for line in open(sys.argv[1]):
    if not line.startswith('{'): continue
    e = json.loads(line)
    if e['kind'] not in ('outage', 'instability', 'degradation'): continue
    n[(e['start'][:10], e['kind'], e['level'])] += 1
    days[e['start'][:10]] += 1
for d in sorted(days):
    print(f"  {d}: {days[d]} events (" + ', '.join(f"{k} {l} {c}" for (dd, k, l), c in sorted(n.items()) if dd == d) + ")")
PY
}

run() {
    local bin=$1 tag=$2
    # Archives of the time carry truncated records: vigil reports them and exits 1, the events stand.
    "$bin" replay --updates "$dir" --db "$out/days-$tag.db" --events --format json > "$out/days-$tag.jsonl" 2> "$out/days-$tag.err"
    rm -f "$out/days-$tag.db"*
    echo "$tag ($bin): $(grep -o 'entities judged from [^,]*' "$out/days-$tag.err" || echo 'judged from the start')"
    count "$out/days-$tag.jsonl"
}

[ -n "${BEFORE:-}" ] && run "$BEFORE" before
run .build/release/vigil after
conv=$(grep -o 'entities judged from [^,]*' "$out/days-after.err" | awk '{print $4}')
python3 scripts/check-events.py .build/release/vigil "$dir" "$out/days-after.jsonl" "${conv:-1970-01-01T00:00:00Z}" 30 "${SEED:-2008}"
