#!/usr/bin/env bash
# Full-table ingest benchmark of `vigil collect` against BIRD 2, over real BGP sessions.
#
# A sender BIRD (namespace S, AS65001) holds PREFIXES synthetic IPv4 routes (a generated
# `protocol static`, scripts/gen-bird-table.py) and peers with two receivers, each in its
# own namespace joined to S by a veth pair:
#   V: `vigil collect` (release build; archive on, gzip; no SQLite; no watch list), 10.210.ID.0/24
#   B: a receiving BIRD 2 (import all, export none, no kernel protocol),              10.211.ID.0/24
# Rounds (BENCH_MODE): "together" = both sessions enabled at once (same table, same run);
# "alone" = each receiver alone, BENCH_ALONE_ROUNDS times each (default 2), interleaved;
# "all" (default) = together, then alone. Every round starts fresh receiver processes;
# the sender stays up.
#
# The sender's CLI is poked every 0.1 s during a round: without it, BIRD 2.0.12 sometimes
# holds the last few hundred routes and the End-of-RIB for its 3 s idle poll timeout.
# Measured per receiver: seconds from session Established (seen by the receiver: vigil's
# "established" log line; `birdc show protocols` on B) to the full table (vigil: the
# status file's `routes` == PREFIXES, i.e. the last route archived and applied -- the file
# is written every second, its mtime is taken, so vigil's figure is late by at most ~1 s;
# BIRD: `birdc show route count` == PREFIXES, polled every 0.1 s), CPU seconds used,
# VmHWM / VmRSS (/proc/PID/status, 2 s after the table is complete), bytes/route
# (whole-process RSS / PREFIXES, and the growth over the idle process), BIRD's `show memory`
# Total, vigil's archive size, and `vigil dump --count --type A` on it (must be PREFIXES).
# vigil is stopped with SIGTERM first; if it is still running 15 s later (release builds of
# CollectCommand.swift at the time of writing ignore SIGTERM), it is SIGKILLed and a restarted
# `vigil collect --run-for 1` recovers the archive (ArchiveWriter.recover); the notes say which.
#
# Usage: scripts/bench-collect.sh [PREFIXES]          (default 1000000; run as root)
# Environment: BENCH_MODE=all|together|alone, BENCH_ALONE_ROUNDS=2, BENCH_TIMEOUT=900 (s, every wait),
#   BENCH_PERF=1 (one more vigil-alone round under `perf record -g`, top symbols printed; not in the ratios),
#   BENCH_VIGIL=path (a vigil binary to use instead of building one, e.g. an older build),
#   BENCH_COMMAND=collect|serve (how vigil is started; both run the same services since issue 13),
#   BENCH_VIGIL_ENV="K=V ..." (environment for vigil, e.g. MALLOC_ARENA_MAX=2), BENCH_KEEP=1 (keep the temp dir), BENCH_SCRATCH=.build-bench, BENCH_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
prefixes=${1:-1000000}
mode=${BENCH_MODE:-all}
alone_rounds=${BENCH_ALONE_ROUNDS:-2}
limit=${BENCH_TIMEOUT:-900}
scratch=${BENCH_SCRATCH:-.build-bench}
[ "$(id -u)" = 0 ] || { echo "bench-collect: needs root (network namespaces)" >&2; exit 1; }
for t in bird birdc python3 ip; do command -v "$t" >/dev/null || { echo "bench-collect: $t is needed (apt-get install -y bird2)" >&2; exit 1; }; done
case $mode in all|together|alone) ;; *) echo "bench-collect: BENCH_MODE must be all, together or alone" >&2; exit 2 ;; esac
script_start=$EPOCHREALTIME

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  for attempt in 1 2 3 4 5; do
    if swift build -c release --product vigil --scratch-path "$scratch" > /tmp/bench-collect-build.$$.log 2>&1; then break; fi
    [ "$attempt" = 5 ] && { tail -30 /tmp/bench-collect-build.$$.log >&2; exit 1; }
    echo "bench-collect: build failed (attempt $attempt), retrying in 60 s" >&2
    sleep 60
  done
  rm -f /tmp/bench-collect-build.$$.log
fi
vigil=${BENCH_VIGIL:-$PWD/$scratch/release/vigil}
command=${BENCH_COMMAND:-collect}
[ -x "$vigil" ] || { echo "bench-collect: $vigil not built" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vigil-bench-collect.XXXXXX)
id=$(( $$ % 200 + 20 ))
nsS=vbcS$$ nsV=vbcV$$ nsB=vbcB$$
ifSV=vbsv$$ ifVS=vbvs$$ ifSB=vbsb$$ ifBS=vbbs$$
s_v=10.210.$id.1 v_addr=10.210.$id.2 s_b=10.211.$id.1 b_addr=10.211.$id.2
as_s=65001 as_v=65100 as_b=65200
sockS=$tmp/sender.ctl
pids=()

cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for n in "$nsS" "$nsV" "$nsB"; do ip netns del "$n" 2>/dev/null; done
  for l in "$ifSV" "$ifSB"; do ip link del "$l" 2>/dev/null; done
  if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%6.1fs] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$script_start" 'BEGIN { print a - b }')" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# --- namespaces: S in the middle, V and B each on their own veth pair ---
for n in "$nsS" "$nsV" "$nsB"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add "$ifSV" netns "$nsS" type veth peer name "$ifVS" netns "$nsV"
ip link add "$ifSB" netns "$nsS" type veth peer name "$ifBS" netns "$nsB"
ip -n "$nsS" addr add "$s_v/24" dev "$ifSV"; ip -n "$nsS" link set "$ifSV" up
ip -n "$nsV" addr add "$v_addr/24" dev "$ifVS"; ip -n "$nsV" link set "$ifVS" up
ip -n "$nsS" addr add "$s_b/24" dev "$ifSB"; ip -n "$nsS" link set "$ifSB" up
ip -n "$nsB" addr add "$b_addr/24" dev "$ifBS"; ip -n "$nsB" link set "$ifBS" up

# --- the sender's table and configuration ---
log "generating $prefixes prefixes"
python3 scripts/gen-bird-table.py "$prefixes" "$tmp/table.conf" --exclude-as $as_s --exclude-as $as_v --exclude-as $as_b 2> "$tmp/gen.txt" \
  || { cat "$tmp/gen.txt" >&2; die "generator"; }
log "$(cat "$tmp/gen.txt")"
cat > "$tmp/sender.conf" <<EOF
router id $s_v;
log "$tmp/sender.log" all;
protocol device {}
include "$tmp/table.conf";
protocol bgp to_vigil {
  local $s_v as $as_s;
  neighbor $v_addr port 17900 as $as_v;
  hold time 90;
  connect retry time 1;
  disabled;
  ipv4 { import none; export all; };
}
protocol bgp to_bird {
  local $s_b as $as_s;
  neighbor $b_addr as $as_b;
  hold time 90;
  connect retry time 1;
  disabled;
  ipv4 { import none; export all; };
}
EOF
cat > "$tmp/receiver.conf" <<EOF
router id $b_addr;
log "$tmp/receiver.log" all;
protocol device {}
protocol bgp sender {
  local $b_addr as $as_b;
  neighbor $s_b as $as_s;
  passive on;
  hold time 90;
  ipv4 { import all; export none; };
}
EOF

now() { echo "$EPOCHREALTIME"; }
past() { awk -v a="$EPOCHREALTIME" -v b="$1" -v l="$limit" 'BEGIN { exit !(a - b > l) }'; }
# First number of `show route count` ("N of N routes for N networks in table master4").
route_count() { birdc -s "$1" show route count 2>/dev/null | awk '/routes for/ { print $1; exit }'; }
mem() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }   # kB
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$1/stat"; }  # utime+stime, s

log "starting the sender BIRD"
ip netns exec "$nsS" bird -f -c "$tmp/sender.conf" -s "$sockS" -P "$tmp/sender.pid" > "$tmp/sender.out" 2>&1 &
sender_pid=$!
pids+=("$sender_pid")
t0=$(now)
until [ "$(route_count "$sockS")" = "$prefixes" ]; do
  kill -0 "$sender_pid" 2>/dev/null || { cat "$tmp/sender.out" >&2; die "the sender BIRD exited"; }
  past "$t0" && die "the sender never loaded its table"
  sleep 0.5
done
log "sender: $prefixes routes loaded in $(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') s, VmRSS $(( $(mem "$sender_pid" VmRSS) / 1024 )) MB"

results=()   # "round tool seconds cpu hwm_kB rss_kB idle_rss_kB extra"

# Starts vigil for round $1; sets v_pid, v_dir.
start_vigil() {
  v_dir=$tmp/$1-vigil
  mkdir -p "$v_dir"
  cat > "$v_dir/vigil.toml" <<EOF
[collector]
name = "bench"
local_as = $as_v
router_id = "$v_addr"
hold_time = 90
listen = "$v_addr:17900"

[[peer]]
address = "$s_v"
as = $as_s

[archive]
directory = "$v_dir/archive"
gzip = true

[store]
database = ""
status_file = "$v_dir/status.json"
EOF
  (cd "$v_dir" && exec ip netns exec "$nsV" env ${BENCH_VIGIL_ENV:-} "$vigil" "$command" --config "$v_dir/vigil.toml" > "$v_dir/stdout" 2> "$v_dir/stderr") &
  v_pid=$!
  pids+=("$v_pid")
  local t; t=$(now)
  until grep -q "listening for BGP" "$v_dir/stderr" 2>/dev/null; do
    kill -0 "$v_pid" 2>/dev/null || { cat "$v_dir/stderr" >&2; die "vigil exited"; }
    past "$t" && die "vigil never listened"
    sleep 0.05
  done
  sleep 1.5
  v_idle=$(mem "$v_pid" VmRSS)
}

# Starts the receiving BIRD for round $1; sets b_pid, b_sock.
start_bird() {
  b_sock=$tmp/$1-receiver.ctl
  ip netns exec "$nsB" bird -f -c "$tmp/receiver.conf" -s "$b_sock" -P "$tmp/$1-receiver.pid" > "$tmp/$1-receiver.out" 2>&1 &
  b_pid=$!
  pids+=("$b_pid")
  local t; t=$(now)
  until birdc -s "$b_sock" show status 2>/dev/null | grep -q "Daemon is up"; do
    kill -0 "$b_pid" 2>/dev/null || { cat "$tmp/$1-receiver.out" >&2; die "the receiving BIRD exited"; }
    past "$t" && die "the receiving BIRD never came up"
    sleep 0.05
  done
  sleep 1
  b_idle=$(mem "$b_pid" VmRSS)
}

# One round: $1 name, $2 "v", "b" or "vb" (which receivers). Appends to results.
round() {
  local name=$1 who=$2 v_est="" v_done="" b_est="" b_done="" v_trace="" b_trace="" b_last=-1 perf_pid="" v_lo=""
  log "round $name: starting"
  [[ $who == *v* ]] && start_vigil "$name"
  [[ $who == *b* ]] && start_bird "$name"
  [[ $who == *v* ]] && birdc -s "$sockS" enable to_vigil > /dev/null
  [[ $who == *b* ]] && birdc -s "$sockS" enable to_bird > /dev/null
  local t_start; t_start=$(now)
  local st="" routes=0 last_routes=-1
  while :; do
    if [[ $who == *v* && -z $v_done ]]; then
      kill -0 "$v_pid" 2>/dev/null || { cat "$v_dir/stderr" >&2; die "vigil exited during the round"; }
      if [ -z "$v_est" ] && grep -q ": established (hold" "$v_dir/stderr"; then
        v_est=$(now)
        if [ -n "${perf_round:-}" ]; then
          perf record -g -F 999 -o "$tmp/perf.data" -p "$v_pid" > "$tmp/perf.out" 2>&1 &
          perf_pid=$!; pids+=("$perf_pid")
        fi
      fi
      if [ -n "$v_est" ] && [ -s "$v_dir/status.json" ]; then
        st=""; read -r -d '' st < "$v_dir/status.json" || true
        if [[ $st =~ \"routes\":([0-9]+) ]]; then
          routes=${BASH_REMATCH[1]}
          if [ "$routes" != "$last_routes" ]; then
            last_routes=$routes
            q=""; [[ $st =~ \"queued\":([0-9]+) ]] && q=${BASH_REMATCH[1]}
            v_trace+="$(awk -v a="$EPOCHREALTIME" -v b="$v_est" 'BEGIN { printf "%.1f", a - b }'):$routes/q$q "
          fi
          if [ "$routes" -lt "$prefixes" ]; then v_lo=$(stat -c %.9Y "$v_dir/status.json"); fi
          if [ "$routes" -ge "$prefixes" ]; then
            v_done=$(stat -c %.9Y "$v_dir/status.json")
            # The status file can be older than the poll that saw establishment.
            awk -v a="$v_done" -v b="$v_est" 'BEGIN { exit !(a < b) }' && v_done=$(now)
          fi
        fi
      fi
    fi
    if [[ $who == *b* && -z $b_done ]]; then
      kill -0 "$b_pid" 2>/dev/null || die "the receiving BIRD exited during the round"
      if [ -z "$b_est" ] && birdc -s "$b_sock" show protocols sender 2>/dev/null | grep -q Established; then b_est=$(now); fi
      if [ -n "$b_est" ]; then
        local c; c=$(route_count "$b_sock")
        if [ "${c:-0}" != "$b_last" ]; then
          b_last=${c:-0}
          b_trace+="$(awk -v a="$EPOCHREALTIME" -v b="$b_est" 'BEGIN { printf "%.1f", a - b }'):$b_last "
        fi
        [ "${c:-0}" -ge "$prefixes" ] && b_done=$(now)
      fi
    fi
    [[ ( $who != *v* || -n $v_done ) && ( $who != *b* || -n $b_done ) ]] && break
    # Wake the sender: BIRD 2.0.12 otherwise sometimes holds the last UPDATEs and the
    # End-of-RIB until its 3 s idle poll timeout (seen feeding a BIRD receiver).
    birdc -s "$sockS" show status > /dev/null 2>&1 || true
    if past "$t_start"; then
      log "round $name: TIMEOUT after $limit s (vigil routes: ${routes:-?}, BIRD: $( [[ $who == *b* ]] && route_count "$b_sock"))"
      [[ $who == *v* && -z $v_done ]] && results+=("$name vigil TIMEOUT - - - - -")
      [[ $who == *b* && -z $b_done ]] && results+=("$name BIRD TIMEOUT - - - - -")
      break
    fi
    sleep 0.1
  done
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null || true; }
  sleep 2   # let both settle (archive flush, BIRD's pruning) before reading memory
  if [[ $who == *v* && -n $v_done ]]; then
    local secs hwm rss c
    secs=$(awk -v a="$v_done" -v b="$v_est" 'BEGIN { printf "%.2f", a - b }')
    # The last status file still short of the table bounds the end from below.
    local lo; lo=$(awk -v a="${v_lo:-$v_est}" -v b="$v_est" 'BEGIN { d = a - b; if (d < 0) d = 0; printf "%.2f", d }')
    hwm=$(mem "$v_pid" VmHWM); rss=$(mem "$v_pid" VmRSS); c=$(cpu "$v_pid")
    log "round $name: vigil progress (s after Established: routes/queued): $v_trace"
    kill -TERM "$v_pid"
    local t; t=$(now) stop="SIGTERM"
    while kill -0 "$v_pid" 2>/dev/null; do
      if awk -v a="$EPOCHREALTIME" -v b="$t" 'BEGIN { exit !(a - b > 15) }'; then
        # Seen with release builds: the signal sources are gone and SIGTERM is ignored.
        # Kill it and let a restarted collector put the archive in place (ArchiveWriter.recover).
        log "round $name: vigil did not stop within 15 s of SIGTERM (no 'stopping' in its log): SIGKILL, then archive recovery by a restarted collector (--run-for 1)"
        kill -KILL "$v_pid"; wait "$v_pid" 2>/dev/null || true
        ip netns exec "$nsV" timeout 120 "$vigil" collect --config "$v_dir/vigil.toml" --run-for 1 > "$v_dir/recover.out" 2>&1 \
          || log "round $name: recovery run exited with status $?"
        log "round $name: recovery: $(grep -h 'recovered' "$v_dir/recover.out" | sed 's/^[^ ]*  //' | tr '\n' ' ')"
        stop="SIGKILL+recover"
        break
      fi
      sleep 0.1
    done
    if [ "$stop" = SIGTERM ]; then wait "$v_pid" 2>/dev/null || log "round $name: vigil exited with status $?"; fi
    local files=("$v_dir"/archive/bench/updates.*.gz) size count
    [ -e "${files[0]}" ] || die "no archive file in $v_dir/archive/bench"
    size=$(cat "${files[@]}" | wc -c)
    count=$("$vigil" dump --count --type A "${files[@]}" | awk '/^elements:/ { print $2 }')
    local check="OK"; [ "$count" = "$prefixes" ] || check="MISMATCH"
    # Exact: from the archive itself, session up (STATE_CHANGE to Established) to the last route archived (µs stamps).
    local exact
    exact=$("$vigil" dump --json "${files[@]}" | python3 -c '
import json, sys
est = last = None
for line in sys.stdin:
    e = json.loads(line)
    if e["type"] == "STATE" and e.get("new_state") == 6 and est is None: est = e["timestamp"]
    if e["type"] == "A": last = e["timestamp"]
print("%.2f" % (last - est) if est is not None and last is not None else "")')
    local status_hi=$secs
    [ -n "$exact" ] && secs=$exact
    log "round $name: vigil archive: ${#files[@]} file(s), $size bytes, dump --count --type A: $count announcements ($check)"
    results+=("$name vigil $secs $c $hwm $rss $v_idle state_full_in=(${lo},${status_hi}]s,archive=${size}B,$(awk -v s="$size" -v n="$prefixes" 'BEGIN { printf "%.1f", s / n }')B/route,A=$count($check),stop=$stop")
    birdc -s "$sockS" disable to_vigil > /dev/null
  fi
  if [[ $who == *b* && -n $b_done ]]; then
    local secs hwm rss c total
    secs=$(awk -v a="$b_done" -v b="$b_est" 'BEGIN { printf "%.2f", a - b }')
    hwm=$(mem "$b_pid" VmHWM); rss=$(mem "$b_pid" VmRSS); c=$(cpu "$b_pid")
    total=$(birdc -s "$b_sock" show memory | awk '/^Total:/ { print $2 $3; exit }')
    log "round $name: BIRD progress (s after Established: routes): $b_trace"
    results+=("$name BIRD $secs $c $hwm $rss $b_idle show_memory_total=$total,routes=$(route_count "$b_sock")")
    birdc -s "$sockS" disable to_bird > /dev/null
    kill -TERM "$b_pid"; wait "$b_pid" 2>/dev/null || true
  fi
  [[ $who == *v* ]] && kill -0 "$v_pid" 2>/dev/null && { kill -TERM "$v_pid"; wait "$v_pid" 2>/dev/null || true; }
  [[ $who == *b* ]] && kill -0 "$b_pid" 2>/dev/null && { kill -TERM "$b_pid"; wait "$b_pid" 2>/dev/null || true; }
  # The sender must see both sessions down before the next round.
  sleep 1
  log "round $name: done"
}

[[ $mode == all || $mode == together ]] && round together vb
if [[ $mode == all || $mode == alone ]]; then
  for i in $(seq "$alone_rounds"); do round "alone$i" v; round "alone$i" b; done
fi
if [ -n "${BENCH_PERF:-}" ]; then
  command -v perf >/dev/null || die "perf is needed for BENCH_PERF (apt-get install -y linux-perf)"
  perf_round=1 round perf v
fi

# --- the report ---
echo
echo "vigil collect vs BIRD $(bird --version 2>&1 | awk '{ print $3 }'): full-table ingest of $prefixes IPv4 routes over one eBGP session ($(nproc) cores)"
cat "$tmp/gen.txt"
printf '%-9s %-6s %10s %10s %8s %9s %9s %10s %10s  %s\n' round tool "seconds" "routes/s" "CPU s" "VmHWM MB" "VmRSS MB" "B/route" "+B/route" "notes"
for r in "${results[@]}"; do
  read -r rn tool secs c hwm rss idle extra <<< "$r"
  if [ "$secs" = TIMEOUT ]; then printf '%-9s %-6s %10s\n' "$rn" "$tool" TIMEOUT; continue; fi
  awk -v rn="$rn" -v tool="$tool" -v s="$secs" -v c="$c" -v h="$hwm" -v r="$rss" -v i="$idle" -v n="$prefixes" -v x="$extra" 'BEGIN {
    printf "%-9s %-6s %10.2f %10.0f %8.1f %9.1f %9.1f %10.1f %10.1f  %s\n", rn, tool, s, (s > 0 ? n / s : 0), c, h / 1024, r / 1024, r * 1024 / n, (r - i) * 1024 / n, x }'
done
echo "seconds: Established -> full table (vigil: from its own archive, the Established STATE_CHANGE to the last route archived, both with microseconds; end_in brackets when the routing state held the full table, from the status file written every second); B/route: whole-process VmRSS / routes; +B/route: VmRSS growth over the idle process / routes"
# Ratios vigil/BIRD per kind of round (mean over the rounds of that kind).
for kind in together alone; do
  printf '%s\n' "${results[@]}" | awk -v k="$kind" '
    $3 != "TIMEOUT" && ((k == "together" && $1 == "together") || (k == "alone" && $1 ~ /^alone/)) {
      n[$2]++; s[$2] += $3; c[$2] += $4; h[$2] += $5; r[$2] += $6 }
    END { if (n["vigil"] && n["BIRD"])
      printf "vigil/BIRD (%s, mean of %d+%d): time %.2fx, CPU %.2fx, VmHWM %.2fx, VmRSS %.2fx\n", k, n["vigil"], n["BIRD"],
        (s["vigil"] / n["vigil"]) / (s["BIRD"] / n["BIRD"]), (c["vigil"] / n["vigil"]) / (c["BIRD"] / n["BIRD"]),
        (h["vigil"] / n["vigil"]) / (h["BIRD"] / n["BIRD"]), (r["vigil"] / n["vigil"]) / (r["BIRD"] / n["BIRD"]) }'
done
if [ -n "${BENCH_PERF:-}" ] && [ -s "$tmp/perf.data" ]; then
  echo
  echo "perf (vigil alone, from Established to the full table), top symbols by self time:"
  perf report -i "$tmp/perf.data" --no-children -g none --percent-limit 0.5 --sort dso,symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -40 | sed 's/[ -]*$//; s/   */  /g' \
    | { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
  echo "perf, samples by thread:"
  perf report -i "$tmp/perf.data" --no-children -g none --sort tid --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -12
fi
printf 'wall time of the script: %.0f s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$script_start" 'BEGIN { print a - b }')"
