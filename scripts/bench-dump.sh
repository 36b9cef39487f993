#!/usr/bin/env bash
# Benchmark of `vigil dump` against Debian's bgpdump and the cat/zcat floor, in one run.
# Usage: scripts/bench-dump.sh [MIN_MB]   (default 500; release build; writes to bench-out/)
# Input: the shared RIS updates archives, decompressed and concatenated until >= MIN_MB.
set -euo pipefail
cd "$(dirname "$0")/.."
min_mb=${1:-500}
ris=${VIGIL_RIS:-../shared/data/mrt/ris}
out=bench-out
mkdir -p "$out"

for p in bgpdump time gzip; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
        apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$p" >/dev/null; }
done

swift build -c release --product vigil >/dev/null
vigil=.build/release/vigil

plain="$out/updates-${min_mb}MB.mrt"
if [ ! -s "$plain" ]; then
    one="$out/one.mrt"
    for f in "$ris"/updates.*.gz; do case "$f" in *.bgpdump-m.gz) ;; *) gzip -dc "$f" ;; esac; done > "$one"
    : > "$plain"
    while [ "$(stat -c %s "$plain")" -lt $((min_mb * 1000000)) ]; do cat "$one" >> "$plain"; done
    gzip -c "$plain" > "$plain.gz"
fi
bytes=$(stat -c %s "$plain")
elements=$($vigil dump --count "$plain" | awk '/^elements/ {print $2}')
echo "input: $plain, $((bytes / 1000000)) MB uncompressed, $(( $(stat -c %s "$plain.gz") / 1000000 )) MB gzip, $elements elements"
echo

# One line per tool: wall seconds, user+sys CPU seconds, peak RSS (KB).
measure() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" > /dev/null 2> "$out/stderr.txt" || {
        echo "$name failed:"; cat "$out/stderr.txt"; exit 1; }
    read -r wall user sys rss < "$out/time.txt"
    printf "%s\t%s\t%s\t%s\n" "$name" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$rss" >> "$out/results.tsv"
}
: > "$out/results.tsv"
measure "cat (floor, plain)" cat "$plain"
measure "zcat (floor, gzip)" gzip -dc "$plain.gz"
measure "bgpdump -m" bgpdump -q -m "$plain"
measure "vigil dump -m" "$vigil" dump -m "$plain"
measure "vigil dump --count" "$vigil" dump --count "$plain"
measure "bgpdump -m (gzip)" bgpdump -q -m "$plain.gz"
measure "vigil dump -m (gzip)" "$vigil" dump -m "$plain.gz"
measure "vigil dump --count (gzip)" "$vigil" dump --count "$plain.gz"

awk -F'\t' -v bytes="$bytes" -v el="$elements" '
    { name[NR]=$1; wall[NR]=$2; cpu[NR]=$3; rss[NR]=$4; idx[$1]=NR }
    END {
        printf "%-28s %8s %8s %14s %12s %10s\n", "tool", "wall s", "cpu s", "M elements/s", "MB/s", "peak RSS MB"
        for (i = 1; i <= NR; i++) {
            eps = (name[i] ~ /^(cat|zcat)/) ? "-" : sprintf("%.2f", el / wall[i] / 1e6)
            printf "%-28s %8.2f %8.2f %14s %12.0f %10.1f\n", name[i], wall[i], cpu[i], eps, bytes / wall[i] / 1e6, rss[i] / 1024
        }
        b = wall[idx["bgpdump -m"]]; bz = wall[idx["bgpdump -m (gzip)"]]
        printf "\nvigil dump -m vs bgpdump -m:           %.1fx faster (plain), %.1fx (gzip)\n", b / wall[idx["vigil dump -m"]], bz / wall[idx["vigil dump -m (gzip)"]]
        printf "vigil dump --count vs bgpdump -m:      %.1fx faster (plain), %.1fx (gzip)\n", b / wall[idx["vigil dump --count"]], bz / wall[idx["vigil dump --count (gzip)"]]
        printf "vigil dump --count (gzip) vs zcat:     %.2fx the zcat time\n", wall[idx["vigil dump --count (gzip)"]] / wall[idx["zcat (floor, gzip)"]]
    }' "$out/results.tsv" | tee "$out/bench-dump.txt"
