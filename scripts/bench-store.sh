#!/usr/bin/env bash
# The store at scale (README, Benchmarks):
#  1. a real collector's updates, every origin AS, end to end (`vigil replay --updates DIR`, no
#     --entity, into SQLite) against `vigil dump --count` on the same files in the same run, and
#     (BEFORE=/path/to/older/vigil) the same replay with another build: wall time, peak RSS, database size;
#  2. with PGURL=postgres://…: three `vigil replay` processes at once into that PostgreSQL (the same
#     files under three vantage points), their rate, and that each vantage point holds exactly the
#     runs the SQLite replay stored (nothing lost, nothing twice);
#  3. the synthetic year (`vigil-bench store-year`): ENTITIES (75000) × DAYS (365) as retention
#     leaves them, the dashboard's query times, and the write path's rate (YEAR=0 skips it); with
#     PGYEAR=postgres://… (an empty database) the same year in PostgreSQL, in the same run.
# Usage: scripts/bench-store.sh [UPDATES_DIR]   (default: ../shared/data/mrt/routeviews-2008)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/mrt/routeviews-2008}
out=bench-out
mkdir -p "$out"
work=$(mktemp -d /tmp/vigil-bench-store.XXXXXX)
trap 'rm -rf "$work"' EXIT
swift build -c release --product vigil >/dev/null 2>&1
swift build -c release --product vigil-bench >/dev/null 2>&1
bin=.build/release

measure() {  # label, command...: wall seconds and peak RSS (MB) of one run
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
    read -r secs kb < <(tail -1 "$work/time")
    echo "$label $secs $((kb / 1024))"
}

{
echo "# Store benchmark, $(date -u +%FT%TZ), $(nproc) cores"
echo
echo "## $data: every origin AS, end to end"
echo
echo "| run | seconds | peak RSS (MB) | database (MB) |"
echo "|---|---|---|---|"
files=$(ls "$data"/updates.* | sort)
read -r _ dsecs drss < <(measure dump $bin/vigil dump --count $files)
echo "| vigil dump --count | $dsecs | $drss | |"
rm -f "$work"/new.db*
read -r _ nsecs nrss < <(measure new $bin/vigil replay --updates "$data" --db "$work/new.db")
grep replayed "$work/err" >&2 || true
nsize=$(( $(stat -c %s "$work/new.db") / 1000000 ))
echo "| vigil replay (this build) | $nsecs | $nrss | $nsize |"
if [ -n "${BEFORE:-}" ]; then
    rm -f "$work"/old.db*
    read -r _ osecs orss < <(measure old "$BEFORE" replay --updates "$data" --db "$work/old.db")
    osize=$(( $(stat -c %s "$work/old.db") / 1000000 ))
    echo "| vigil replay ($BEFORE) | $osecs | $orss | $osize |"
    echo
    echo "this build is $(python3 -c "print(f'{$osecs/$nsecs:.1f}')")x faster than $BEFORE"
fi
echo
echo "replay / dump --count: $(python3 -c "print(f'{$nsecs/$dsecs:.2f}')")"
runs=$(python3 -c "import sqlite3; print(sqlite3.connect('$work/new.db').execute('SELECT COUNT(*) FROM runs').fetchone()[0])")
echo "runs stored: $runs"
if [ -n "${PGURL:-}" ]; then
    echo
    echo "## Three writers into one PostgreSQL at once"
    echo
    start=$(date +%s.%N)
    for vp in a b c; do $bin/vigil replay --updates "$data" --db "$PGURL" --vantage "bench-$vp-$$" >/dev/null 2>"$work/pg-$vp.err" & done
    wait || true
    secs=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
    rows=$(grep -ho "[0-9]* series rows" "$work"/pg-*.err | awk '{s += $1} END {print s}')
    echo "3 writers: $secs s wall, $rows entity-bins in all: $(python3 -c "print(int($rows / $secs))") entity-bins/s"
    for vp in a b c; do
        n=$(psql "$PGURL" -Atc "SELECT COUNT(*) FROM runs r JOIN vantage_points v ON v.id = r.vantage WHERE v.name = 'bench-$vp-$$'")
        echo "bench-$vp: $n runs ($([ "$n" = "$runs" ] && echo "the same as SQLite's" || echo "SQLite has $runs: MISMATCH"))"
    done
fi
if [ "${YEAR:-1}" != 0 ]; then
    echo
    echo "## Synthetic year: ${ENTITIES:-75000} entities x ${DAYS:-365} days"
    echo
    echo '```'
    $bin/vigil-bench store-year "$work/year.db" "${ENTITIES:-75000}" "${DAYS:-365}"
    echo '```'
    rm -f "$work"/year.db*
    if [ -n "${PGYEAR:-}" ]; then
        echo
        echo "The same year in PostgreSQL ($(psql "$PGYEAR" -Atc 'SHOW server_version'), shared_buffers $(psql "$PGYEAR" -Atc 'SHOW shared_buffers')):"
        echo
        echo '```'
        $bin/vigil-bench store-year-pg "$PGYEAR" "${ENTITIES:-75000}" "${DAYS:-365}"
        echo '```'
    fi
fi
} | tee "$out/store.md"
