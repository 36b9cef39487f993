#!/usr/bin/env bash
# daemon-mrt.sh OUTDIR
#
# Make real routing daemons from Debian (FRR bgpd, BIRD 2, GoBGP) write MRT
# files, so that Vigil's MRT reader can be compared with `bgpdump -m` on files
# that Vigil did not produce itself.
#
# Topology: every daemon runs in its own network namespace; all namespaces
# hang off one bridge in a "switch" namespace. Everything is created by this
# script and deleted on exit; no packet leaves these namespaces.
#
#        bridge br0: 10.99.0.0/24 and fd00:99::/64
#   .1 frr     AS 65001       collector of most data, RIB dump
#   .2 bird-a  AS 4200000001  eBGP (4-byte AS), BIRD message + table dumps;
#                             ADD-PATH both ways with frr (BGP4MP_AP records)
#   .3 bird-b  AS 65001       iBGP to frr (LOCAL_PREF)
#   .4 gobgp   AS 65003       eBGP speaker, routes injected over its API
#   .5 gobgp-rc AS 65004      route collector: only listens, writes table dump
#
#   Sessions: frr-{bird-a,bird-b,gobgp,gobgp-rc}, bird-a-{gobgp,gobgp-rc},
#   gobgp-gobgp-rc. Each is a pair: IPv4 NLRI over an IPv4 session and IPv6
#   NLRI (MP_REACH/MP_UNREACH) over an IPv6 session, because bgpd without
#   zebra cannot pick a next hop of the other address family.
#
# Output files in OUTDIR:
#   frr-updates.mrt    FRR `dump bgp updates`     BGP4MP UPDATEs received by FRR
#   frr-all-et.mrt     FRR `dump bgp all-et`      BGP4MP_ET, all messages + states
#   frr-rib.mrt        FRR `dump bgp routes-mrt`  TABLE_DUMP_V2, 6-8 peers + local
#   bird-messages.mrt  BIRD `mrtdump all`         BGP4MP messages + state changes,
#                                                 from frr with path ids (subtype 9)
#   bird-table.mrt     BIRD `mrt dump table`      TABLE_DUMP_V2 of master4+master6
#   gobgp-updates.mrt  GoBGP mrt-dump "updates"   BGP4MP UPDATEs received by gobgp
#   gobgp-table.mrt    GoBGP mrt-dump "table"     TABLE_DUMP_V2 of the collector
#
# Timing: GoBGP refuses table-dump intervals below 60 s and has no on-demand
# dump, so a full run takes about 62 s. VIGIL_GOBGP_TABLE=0 leaves out the
# collector and gobgp-table.mrt (said so loudly) and takes about 10 s.
#
# Why a separate collector: GoBGP's table dump gives its own locally
# originated routes a peer index one past the end of the peer table, which
# makes bgpdump 1.6.2 abort (assertion on peer_index). A GoBGP that originates
# nothing writes a clean TABLE_DUMP_V2 file.
#
# Needs root (namespaces, apt-get). Installs bird2 frr gobgpd bgpdump jq if
# missing. Exits non-zero with a message if anything does not come up.
# KEEP_WORK=1 keeps the temporary directory with configs and daemon logs.
set -euo pipefail

# ---------------------------------------------------------------- arguments
if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
if [[ $EUID -ne 0 ]]; then
    echo "daemon-mrt: must run as root (network namespaces, apt-get)" >&2
    exit 2
fi
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd)
COLLECTOR=${VIGIL_GOBGP_TABLE:-1}

# Unique names per run, so parallel runs do not clash.
TAG="vmrt$$"
NS_SW="$TAG-sw"
NS_FRR="$TAG-frr"
NS_BIRDA="$TAG-birda"
NS_BIRDB="$TAG-birdb"
NS_GOBGP="$TAG-gobgp"
NS_RC="$TAG-rc"
ALL_NS=("$NS_FRR" "$NS_BIRDA" "$NS_BIRDB" "$NS_GOBGP" "$NS_RC" "$NS_SW")

WORK=$(mktemp -d /tmp/vigil-daemon-mrt.XXXXXX)
START=$SECONDS

# Addresses and AS numbers. The synthetic origin ASNs below never equal these
# (loop detection would drop such routes).
FRR4=10.99.0.1   FRR6=fd00:99::1   FRR_AS=65001
BIRDA4=10.99.0.2 BIRDA6=fd00:99::2 BIRDA_AS=4200000001
BIRDB4=10.99.0.3 BIRDB6=fd00:99::3 BIRDB_AS=65001
GOBGP4=10.99.0.4 GOBGP6=fd00:99::4 GOBGP_AS=65003
RC4=10.99.0.5    RC6=fd00:99::5    RC_AS=65004
GOBGP_API=50051 # gRPC API, bound to 127.0.0.1 inside each GoBGP namespace

# Synthetic ASNs for AS paths: 2-byte public/private and 4-byte.
ASN_POOL=(174 3356 1299 2914 64512 64777 65010 4200000100 4200000222 4294967294 6939 4200001000)

# ---------------------------------------------------------------- helpers
log() { printf '[daemon-mrt %3ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() {
    printf 'daemon-mrt: ERROR: %s\n' "$*" >&2
    exit 1
}

# wait_until TIMEOUT DESCRIPTION CMD...: poll CMD until it succeeds, or die.
wait_until() {
    local timeout=$1 desc=$2
    shift 2
    local end=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || die "timed out after ${timeout}s waiting for: $desc"
        sleep 0.2
    done
}

nsx() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}
ns_empty() { [[ -z $(ip netns pids "$1" 2>/dev/null) ]]; }
# ns_kill NS SIGNAL: signal every process inside NS (a missing NS is fine).
ns_kill() { ip netns pids "$1" 2>/dev/null | xargs -r kill "-$2" 2>/dev/null || true; }

frr_vtysh() { nsx "$NS_FRR" vtysh --vty_socket "$WORK/frr" "$@"; }
birdc_a() { birdc -s "$WORK/birda/bird.ctl" "$@"; }
birdc_b() { birdc -s "$WORK/birdb/bird.ctl" "$@"; }
gobgp_cli() { nsx "$NS_GOBGP" gobgp -p "$GOBGP_API" "$@"; }
rc_cli() { nsx "$NS_RC" gobgp -p "$GOBGP_API" "$@"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if ((rc != 0)); then
        echo "---- daemon-mrt failed (exit $rc); last daemon log lines ----" >&2
        local f
        for f in "$WORK"/*/*.log; do
            [[ -s $f ]] || continue
            echo "== $f" >&2
            grep -v 'No matching path for withdraw' "$f" | tail -n 12 >&2
        done
    fi
    # Only this script's daemons live in these namespaces: stop them by PID,
    # politely first, then delete the namespaces (which removes the veths).
    local ns
    for ns in "${ALL_NS[@]}"; do ns_kill "$ns" TERM; done
    for _ in {1..15}; do
        local busy=0
        for ns in "${ALL_NS[@]}"; do ns_empty "$ns" || busy=1; done
        ((busy)) || break
        sleep 0.2
    done
    for ns in "${ALL_NS[@]}"; do
        ns_kill "$ns" KILL
        ip netns del "$ns" 2>/dev/null
    done
    if [[ ${KEEP_WORK:-0} == 1 ]]; then
        echo "daemon-mrt: work directory (configs, logs) kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- packages
ensure_packages() {
    local need=() p
    { command -v bird && command -v birdc; } >/dev/null || need+=(bird2)
    { [[ -x /usr/lib/frr/bgpd ]] && command -v vtysh; } >/dev/null || need+=(frr)
    { command -v gobgpd && command -v gobgp; } >/dev/null || need+=(gobgpd)
    command -v bgpdump >/dev/null || need+=(bgpdump)
    command -v jq >/dev/null || need+=(jq)
    ((${#need[@]} == 0)) && return 0
    log "installing: ${need[*]}"
    # A package without candidate: package lists missing or stale.
    if (($(apt-cache policy "${need[@]}" 2>/dev/null | grep -c 'Candidate: [0-9]') < ${#need[@]})); then
        apt-get update -qq >"$WORK/apt-update.log" 2>&1 || die "apt-get update failed: $(tail -n 5 "$WORK/apt-update.log")"
    fi
    # The packages do not start their services here (and we do not want them).
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" \
        >"$WORK/apt.log" 2>&1 || die "apt-get install ${need[*]} failed: $(tail -n 10 "$WORK/apt.log")"
    for p in bird birdc /usr/lib/frr/bgpd vtysh gobgpd gobgp bgpdump jq; do
        command -v "$p" >/dev/null || die "$p still missing after installing ${need[*]}"
    done
}

# ---------------------------------------------------------------- network
# add_node NS INDEX PORT: namespace with eth0 = 10.99.0.INDEX, fd00:99::INDEX.
# The veth is created inside the switch namespace, never in the root
# namespace, so interface names cannot collide with other runs or the host.
add_node() {
    local ns=$1 idx=$2 port=$3
    ip netns add "$ns"
    # No duplicate address detection: IPv6 addresses, link-local included,
    # are usable at once (BIRD reads eth0's link-local when a session starts).
    nsx "$ns" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad'
    ip -n "$ns" link set lo up
    ip -n "$NS_SW" link add "$port" type veth peer name eth0 netns "$ns"
    ip -n "$NS_SW" link set "$port" master br0 up
    ip -n "$ns" addr add "10.99.0.$idx/24" dev eth0
    ip -n "$ns" addr add "fd00:99::$idx/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
}

setup_net() {
    ip netns add "$NS_SW"
    ip -n "$NS_SW" link set lo up
    ip -n "$NS_SW" link add br0 type bridge forward_delay 0 mcast_snooping 0
    ip -n "$NS_SW" link set br0 up
    add_node "$NS_FRR" 1 p-frr
    add_node "$NS_BIRDA" 2 p-birda
    add_node "$NS_BIRDB" 3 p-birdb
    add_node "$NS_GOBGP" 4 p-gobgp
    if ((COLLECTOR)); then add_node "$NS_RC" 5 p-rc; fi
    # (No ping check: ping is not always installed, and the BGP sessions
    # coming up prove reachability anyway.)
}

# ---------------------------------------------------------------- route data
# Deterministic variety for route number I: AS path of length 0..5 (plus
# classic prepending) mixing 2- and 4-byte ASNs, ORIGIN, communities
# (incl. NO_EXPORT), large and extended communities, MED.

# as_path_for I -> ASNs separated by spaces (may be empty), nearest first.
as_path_for() {
    local i=$1 len=$(($1 % 6)) k out=()
    for ((k = 0; k < len; k++)); do
        out+=("${ASN_POOL[$(((i + k * 5) % ${#ASN_POOL[@]}))]}")
    done
    if ((i % 9 == 4)); then # prepending: the nearest AS three times
        out=("${out[0]}" "${out[0]}" "${out[@]}")
    fi
    echo "${out[*]}"
}

# bird_attrs I -> BIRD filter statements setting BGP attributes.
bird_attrs() {
    local i=$1 s="" a path
    path=$(as_path_for "$i")
    # prepend() adds in front, so start from the origin end of the path.
    for a in $(tr ' ' '\n' <<<"$path" | tac); do
        s+="bgp_path.prepend($a); "
    done
    case $((i % 3)) in
        0) s+="bgp_origin = ORIGIN_IGP; " ;;
        1) s+="bgp_origin = ORIGIN_EGP; " ;;
        2) s+="bgp_origin = ORIGIN_INCOMPLETE; " ;;
    esac
    if ((i % 2 == 0)); then s+="bgp_community.add((65010, $i)); bgp_community.add((3356, 2$((i % 10)))); "; fi
    if ((i % 17 == 0)); then s+="bgp_community.add((65535, 65281)); "; fi # NO_EXPORT
    if ((i % 3 == 0)); then s+="bgp_large_community.add((4200000001, 1, $i)); bgp_large_community.add((64512, 7, $((i * 1000)))); "; fi
    if ((i % 4 == 0)); then s+="bgp_ext_community.add((rt, 65010, $i)); "; fi
    if ((i % 8 == 0)); then s+="bgp_ext_community.add((ro, 4200000001, $i)); bgp_ext_community.add((rt, 192.0.2.1, $i)); "; fi
    if ((i % 5 == 0)); then s+="bgp_med = $((i * 10)); "; fi
    echo "$s"
}

# bird_static AFI NAME SEED EXTRA PREFIX...: static protocol whose routes
# carry BGP attributes; SEED shifts the attribute pattern, EXTRA is one more
# filter statement in which "$i" stands for the route's number.
bird_static() {
    local afi=$1 name=$2 i=$3 extra=$4 p
    shift 4
    echo "protocol static $name {"
    echo "    $afi;"
    for p in "$@"; do
        echo "    route $p blackhole { ${extra//\$i/$i} $(bird_attrs "$i") };"
        i=$((i + 1))
    done
    echo "}"
}

seq_v4() { # seq_v4 10.110 0 9 -> 10.110.0.0/24 ... 10.110.9.0/24
    local n
    for ((n = $2; n <= $3; n++)); do echo "$1.$n.0/24"; done
}
seq_v6() { # seq_v6 2001:db8:110 0 9 -> 2001:db8:110:0::/64 ... (hex)
    local n
    for ((n = $2; n <= $3; n++)); do printf '%s:%x::/64\n' "$1" "$n"; done
}

# Routes per originator (a few hundred in total). The counts are used to
# wait for convergence.
# 10.120.0.0/16 and 2001:db8:120::/48 are aggregated (AS_SET) by FRR.
BIRDA_V4=($(seq_v4 10.110 0 99) $(seq_v4 10.120 1 8))
BIRDA_V6=($(seq_v6 2001:db8:110 0 39) $(seq_v6 2001:db8:120 1 4))
BIRDA_V4_WD=($(seq_v4 10.111 0 29))       # withdrawn (and re-announced) in churn()
BIRDA_V6_WD=($(seq_v6 2001:db8:111 0 14)) # withdrawn in churn()
BIRDB_V4=($(seq_v4 10.130 0 39))          # 10.130.0.0/16 aggregated by FRR
BIRDB_V6=($(seq_v6 2001:db8:130 0 19))
GOBGP_V4=($(seq_v4 10.150 0 39) $(seq_v4 10.120 101 108))
GOBGP_V6=($(seq_v6 2001:db8:150 0 19) $(seq_v6 2001:db8:120 101 104))
GOBGP_V4_DEL=($(seq_v4 10.150 30 39))     # withdrawn in churn()
GOBGP_V6_DEL=($(seq_v6 2001:db8:150 10 19))

# ---------------------------------------------------------------- FRR
start_frr() {
    local d="$WORK/frr" n
    mkdir -p "$d"
    local peers=("$BIRDA4 $BIRDA_AS" "$BIRDA6 $BIRDA_AS" "$BIRDB4 $BIRDB_AS" "$BIRDB6 $BIRDB_AS"
        "$GOBGP4 $GOBGP_AS" "$GOBGP6 $GOBGP_AS")
    if ((COLLECTOR)); then peers+=("$RC4 $RC_AS" "$RC6 $RC_AS"); fi
    {
        cat <<EOF
frr defaults traditional
hostname vigil-frr
log file $d/bgpd.log informational
!
! BGP4MP records: received UPDATEs; and, with extended (microsecond)
! timestamps, all messages and state changes.
dump bgp updates $d/frr-updates.mrt
dump bgp all-et $d/frr-all-et.mrt
!
! Attributes for FRR's own networks (they show up in the other daemons' dumps).
route-map ORIG-A permit 10
 set community 65001:100 65001:200 3356:666
 set large-community 65001:1:1 4200000001:2:3
 set extcommunity rt 65001:10 4200000001:20
 set metric 42
 set origin egp
 set as-path prepend 64600 4200000300
!
route-map ORIG-B permit 10
 set extcommunity soo 65001:7
 set local-preference 250
 set origin incomplete
 set as-path prepend 64700
!
router bgp $FRR_AS
 bgp router-id $FRR4
 bgp log-neighbor-changes
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
EOF
        local addr as
        for n in "${peers[@]}"; do
            read -r addr as <<<"$n"
            echo " neighbor $addr remote-as $as"
            # fast (re)connects and no MRAI batching, to keep the run short
            echo " neighbor $addr timers connect 1"
            echo " neighbor $addr advertisement-interval 0"
        done
        cat <<EOF
 !
 address-family ipv4 unicast
  network 10.140.0.0/24 route-map ORIG-A
  network 10.140.1.0/24 route-map ORIG-B
  network 10.140.2.0/24
  network 10.140.3.0/24 route-map ORIG-A
  ! AS_SET: the components come from bird-a (10.120.1-8) and gobgp (10.120.101-108)
  aggregate-address 10.120.0.0/16 as-set
  ! Plain aggregate of iBGP routes: ATOMIC_AGGREGATE + AGGREGATOR
  aggregate-address 10.130.0.0/16
EOF
        for n in "${peers[@]}"; do
            read -r addr as <<<"$n"
            if [[ $addr == *.* ]]; then echo "  neighbor $addr activate"; fi
        done
        echo "  neighbor $BIRDA4 addpath-tx-all-paths" # ADD-PATH with bird-a (see bird_a_session)
        cat <<EOF
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:140::/48 route-map ORIG-A
  network 2001:db8:141::/48 route-map ORIG-B
  network 2001:db8:142::/48
  aggregate-address 2001:db8:120::/48 as-set
EOF
        for n in "${peers[@]}"; do
            read -r addr as <<<"$n"
            if [[ $addr == *:* ]]; then echo "  neighbor $addr activate"; fi
        done
        echo "  neighbor $BIRDA6 addpath-tx-all-paths"
        echo " exit-address-family"
        echo "!"
    } >"$d/bgpd.conf"
    # -Z: no zebra (no kernel routes wanted); -S: stay root, no frr user or
    # capability juggling; vty only on a private unix socket, no TCP port.
    nsx "$NS_FRR" /usr/lib/frr/bgpd -d -f "$d/bgpd.conf" -Z -S -i "$d/bgpd.pid" \
        --vty_socket "$d" -A 127.0.0.1 -P 0 >"$d/stdout.log" 2>&1 ||
        die "bgpd failed to start: $(cat "$d/stdout.log")"
    wait_until 10 "FRR vty socket" test -S "$d/bgpd.vty"
}

frr_established() { # frr_established NEIGHBOR
    frr_vtysh -c "show bgp neighbors $1 json" | jq -e --arg n "$1" '.[$n].bgpState == "Established"'
}
frr_not_established() { ! frr_established "$1"; }

# frr_pfx_at_least AFI NEIGHBOR N: FRR accepted at least N prefixes from NEIGHBOR.
frr_pfx_at_least() {
    frr_vtysh -c "show bgp $1 unicast summary json" |
        jq -e --arg n "$2" --argjson want "$3" '.peers[$n].pfxRcd >= $want'
}

# ---------------------------------------------------------------- BIRD
# bird_head ROUTERID DIR: the part both BIRD configs share.
bird_head() {
    cat <<EOF
router id $1;
log "$2/bird.log" all;
# BIRD must know eth0 and its addresses for direct sessions and next hops.
protocol device { scan time 5; }

template bgp fast {
    # short timers: the whole run must finish in about a minute
    connect delay time 1;
    connect retry time 2;
    error wait time 1, 4;
}
EOF
}

# bird_a_session NAME NEIGHBOR AS: bird-a's BGP session, every message and
# state change goes to the mrtdump file.
bird_a_session() {
    local name=$1 addr=$2 as=$3 export="all" addpath=""
    # ADD-PATH both ways with FRR (which sends all its paths to bird-a): BIRD then
    # writes the UPDATEs it receives as BGP4MP_MESSAGE_AS4_ADDPATH (subtype 9),
    # and FRR's dumps hold path identifiers too.
    if [[ $addr == "$FRR4" || $addr == "$FRR6" ]]; then addpath=" add paths on;"; fi
    if [[ $addr == *:* ]]; then
        # On direct IPv6 sessions BIRD sends global + link-local next hop (32
        # bytes). bgpd without zebra cannot map a link-local next hop to an
        # interface and treats such routes as withdrawn, so towards FRR set a
        # global-only next hop. Other peers keep the 32-byte form (variety).
        if [[ $addr == "$FRR6" ]]; then export="filter { bgp_next_hop = $BIRDA6; accept; }"; fi
        cat <<EOF
protocol bgp $name from fast {
    mrtdump all;
    local $BIRDA6 as $BIRDA_AS;
    neighbor $addr as $as;
    ipv6 { import all; export $export;$addpath };
}
EOF
    else
        cat <<EOF
protocol bgp $name from fast {
    mrtdump all;
    local $BIRDA4 as $BIRDA_AS;
    neighbor $addr as $as;
    ipv4 { import all; export all;$addpath };
}
EOF
    fi
}

start_bird_a() {
    local d="$WORK/birda"
    mkdir -p "$d"
    {
        bird_head "$BIRDA4" "$d"
        echo "# BGP4MP: messages and state changes of sessions with 'mrtdump all'."
        echo "mrtdump \"$d/bird-messages.mrt\";"
        bird_static ipv4 s4_main 0 "" "${BIRDA_V4[@]}"
        bird_static ipv6 s6_main 1 "" "${BIRDA_V6[@]}"
        # These two are disabled half way -> withdrawals / MP_UNREACH_NLRI.
        bird_static ipv4 s4_wd 2 "" "${BIRDA_V4_WD[@]}"
        bird_static ipv6 s6_wd 3 "" "${BIRDA_V6_WD[@]}"
        bird_a_session frr4 "$FRR4" "$FRR_AS"
        bird_a_session frr6 "$FRR6" "$FRR_AS"
        bird_a_session gobgp4 "$GOBGP4" "$GOBGP_AS"
        bird_a_session gobgp6 "$GOBGP6" "$GOBGP_AS"
        if ((COLLECTOR)); then
            bird_a_session rc4 "$RC4" "$RC_AS"
            bird_a_session rc6 "$RC6" "$RC_AS"
        fi
    } >"$d/bird.conf"
    nsx "$NS_BIRDA" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" >"$d/stdout.log" 2>&1 ||
        die "bird (bird-a) failed to start: $(cat "$d/stdout.log")"
    wait_until 10 "bird-a control socket" birdc_a show status
}

# bird-b: iBGP speaker in FRR's AS, the only source of LOCAL_PREF.
start_bird_b() {
    local d="$WORK/birdb"
    mkdir -p "$d"
    {
        bird_head "$BIRDB4" "$d"
        # LOCAL_PREF "5<i>" / "2<i>": 53..542 and 25..224
        bird_static ipv4 s4_ibgp 3 'bgp_local_pref = 5$i;' "${BIRDB_V4[@]}"
        bird_static ipv6 s6_ibgp 5 'bgp_local_pref = 2$i;' "${BIRDB_V6[@]}"
        cat <<EOF
# iBGP defaults to multihop with recursive next hops, which needs an IGP;
# the peer is on the shared subnet, so run direct sessions instead.
protocol bgp frr4 from fast {
    direct;
    local $BIRDB4 as $BIRDB_AS;
    neighbor $FRR4 as $FRR_AS;
    ipv4 { import all; export where source = RTS_STATIC; next hop self; };
}
protocol bgp frr6 from fast {
    direct;
    local $BIRDB6 as $BIRDB_AS;
    neighbor $FRR6 as $FRR_AS;
    # global-only next hop towards FRR (see bird_a_session)
    ipv6 {
        import all;
        export filter { if source != RTS_STATIC then reject; bgp_next_hop = $BIRDB6; accept; };
    };
}
EOF
    } >"$d/bird.conf"
    nsx "$NS_BIRDB" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" >"$d/stdout.log" 2>&1 ||
        die "bird (bird-b) failed to start: $(cat "$d/stdout.log")"
    wait_until 10 "bird-b control socket" birdc_b show status
}

bird_established() { # bird_established birdc_a|birdc_b PROTOCOL
    "$1" show protocols "$2" | grep -q Established
}

# bird_a_imported_at_least PROTOCOL N: bird-a accepted at least N routes on
# PROTOCOL ("Routes: 81 imported, ..." in `show protocols all`).
bird_a_imported_at_least() {
    local n
    n=$(birdc_a show protocols all "$1" | awk '$1 == "Routes:" { print $2; exit }')
    [[ -n $n ]] && ((n >= $2))
}

# ---------------------------------------------------------------- GoBGP
# gobgp_neighbors "ADDR AS"...: TOML neighbour blocks; the address family
# follows the session's transport.
gobgp_neighbors() {
    local spec addr as
    for spec in "$@"; do
        read -r addr as <<<"$spec"
        cat <<EOF

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$addr"
    peer-as = $as
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$([[ $addr == *:* ]] && echo ipv6 || echo ipv4)-unicast"
EOF
    done
}

# run_gobgpd NS DIR: start gobgpd with DIR/gobgpd.toml, wait for its API.
# The MRT file names are relative and gobgpd runs in DIR: an "updates" dump
# always rotates, and GoBGP then passes the whole file name through Go's
# time.Format, so digits and words like "Mon" or "pm" in an absolute
# /tmp/... path would be replaced by parts of the current date.
run_gobgpd() {
    local ns=$1 d=$2
    (cd "$d" && exec ip netns exec "$ns" gobgpd -f gobgpd.toml -p -l info --pprof-disable \
        --api-hosts "127.0.0.1:$GOBGP_API" >gobgpd.log 2>&1) &
    wait_until 10 "gobgpd API in $ns" nsx "$ns" gobgp -p "$GOBGP_API" global
}

# The speaker: originates routes (injected over the API) and dumps the
# UPDATEs it receives.
start_gobgp() {
    local d="$WORK/gobgp"
    mkdir -p "$d"
    local peers=("$FRR4 $FRR_AS" "$FRR6 $FRR_AS" "$BIRDA4 $BIRDA_AS" "$BIRDA6 $BIRDA_AS")
    if ((COLLECTOR)); then peers+=("$RC4 $RC_AS" "$RC6 $RC_AS"); fi
    {
        cat <<EOF
[global.config]
  as = $GOBGP_AS
  router-id = "$GOBGP4"

[[mrt-dump]]
  [mrt-dump.config]
    dump-type = "updates"
    file-name = "gobgp-updates.mrt"
EOF
        gobgp_neighbors "${peers[@]}"
    } >"$d/gobgpd.toml"
    run_gobgpd "$NS_GOBGP" "$d"
}

# The route collector: peers with everybody, announces nothing, and dumps
# its RIB (TABLE_DUMP_V2) every 60 s, GoBGP's minimum. The first dump comes
# 60 s after start, so this daemon is started first.
start_collector() {
    local d="$WORK/rc"
    mkdir -p "$d"
    {
        cat <<EOF
[global.config]
  as = $RC_AS
  router-id = "$RC4"
[global.apply-policy.config]
  default-export-policy = "reject-route"

[[mrt-dump]]
  [mrt-dump.config]
    dump-type = "table"
    file-name = "gobgp-table.mrt"
    dump-interval = 60
EOF
        gobgp_neighbors "$FRR4 $FRR_AS" "$FRR6 $FRR_AS" "$BIRDA4 $BIRDA_AS" "$BIRDA6 $BIRDA_AS" \
            "$GOBGP4 $GOBGP_AS" "$GOBGP6 $GOBGP_AS"
    } >"$d/gobgpd.toml"
    run_gobgpd "$NS_RC" "$d"
}

# gobgp_routes: originate routes over the API, with attribute variety like
# BIRD's, plus an AS_SET inside some AS paths.
gobgp_routes() {
    local i=0 p args path
    for p in "${GOBGP_V4[@]}" "${GOBGP_V6[@]}"; do
        if [[ $p == *:* ]]; then
            args=(-a ipv6 "$p" nexthop "$GOBGP6")
        else
            args=(-a ipv4 "$p" nexthop "$GOBGP4")
        fi
        path=$(as_path_for $((i + 2)))
        ((i % 10 == 7)) && path="$path {64512,4200000555,3356}"
        path=${path# }
        [[ -n $path ]] && args+=(aspath "$path")
        case $((i % 3)) in
            0) args+=(origin igp) ;;
            1) args+=(origin egp) ;;
            2) args+=(origin incomplete) ;;
        esac
        ((i % 2 == 1)) && args+=(community "65003:$i,174:$((i * 3))")
        ((i % 3 == 1)) && args+=(large-community "65003:$i:$((i + 1)),4200000100:0:$i")
        ((i % 4 == 2)) && args+=(med $((i * 7)))
        gobgp_cli global rib add "${args[@]}" >/dev/null || die "gobgp global rib add ${args[*]} failed"
        i=$((i + 1))
    done
}

gobgp_established() { # gobgp_established gobgp_cli|rc_cli NEIGHBOR
    "$1" neighbor "$2" -j | jq -e '.state.session_state == 6'
}

# ---------------------------------------------------------------- scenario
wait_all_sessions() {
    local n
    for n in $BIRDA4 $BIRDA6 $BIRDB4 $BIRDB6 $GOBGP4 $GOBGP6; do
        wait_until 30 "FRR session with $n Established" frr_established "$n"
    done
    for n in gobgp4 gobgp6; do
        wait_until 30 "bird-a session $n Established" bird_established birdc_a "$n"
    done
    if ((COLLECTOR)); then
        for n in $FRR4 $FRR6 $BIRDA4 $BIRDA6 $GOBGP4 $GOBGP6; do
            wait_until 30 "collector session with $n Established" gobgp_established rc_cli "$n"
        done
    fi
}

# wait_converged A4 A6 B4 B6 G4 G6: FRR holds at least that many prefixes from
# each neighbour (what the neighbour originates; relayed ones come on top).
wait_converged() {
    wait_until 30 "FRR prefixes from bird-a v4 >= $1" frr_pfx_at_least ipv4 "$BIRDA4" "$1"
    wait_until 30 "FRR prefixes from bird-a v6 >= $2" frr_pfx_at_least ipv6 "$BIRDA6" "$2"
    wait_until 30 "FRR prefixes from bird-b v4 >= $3" frr_pfx_at_least ipv4 "$BIRDB4" "$3"
    wait_until 30 "FRR prefixes from bird-b v6 >= $4" frr_pfx_at_least ipv6 "$BIRDB6" "$4"
    wait_until 30 "FRR prefixes from gobgp v4 >= $5" frr_pfx_at_least ipv4 "$GOBGP4" "$5"
    wait_until 30 "FRR prefixes from gobgp v6 >= $6" frr_pfx_at_least ipv6 "$GOBGP6" "$6"
    sleep 1 # let relayed copies (bird-a <-> gobgp <-> frr) settle as well
}

# wait_bird_a_converged: bird-a (whose table is dumped) has what FRR and gobgp
# announce themselves; FRR only starts announcing a moment after a reset.
wait_bird_a_converged() {
    local frr4=$((${#BIRDB_V4[@]} + 4)) frr6=$((${#BIRDB_V6[@]} + 3)) # + FRR's networks
    local gob4=$((${#GOBGP_V4[@]} - ${#GOBGP_V4_DEL[@]})) gob6=$((${#GOBGP_V6[@]} - ${#GOBGP_V6_DEL[@]}))
    wait_until 30 "bird-a routes from frr4 >= $frr4" bird_a_imported_at_least frr4 "$frr4"
    wait_until 30 "bird-a routes from frr6 >= $frr6" bird_a_imported_at_least frr6 "$frr6"
    wait_until 30 "bird-a routes from gobgp4 >= $gob4" bird_a_imported_at_least gobgp4 "$gob4"
    wait_until 30 "bird-a routes from gobgp6 >= $gob6" bird_a_imported_at_least gobgp6 "$gob6"
    sleep 1
}

churn() {
    log "churn: withdrawals, session resets, re-announcement"
    local p
    # Withdrawals: IPv4 (UPDATE withdrawn routes) and IPv6 (MP_UNREACH_NLRI).
    birdc_a disable s4_wd >/dev/null
    birdc_a disable s6_wd >/dev/null
    for p in "${GOBGP_V4_DEL[@]}"; do gobgp_cli global rib del -a ipv4 "$p" >/dev/null || die "gobgp rib del $p failed"; done
    for p in "${GOBGP_V6_DEL[@]}"; do gobgp_cli global rib del -a ipv6 "$p" >/dev/null || die "gobgp rib del $p failed"; done
    sleep 1
    # Session down and up (NOTIFICATION + STATE_CHANGE records): BIRD closes
    # its IPv4 session to FRR ...
    birdc_a disable frr4 >/dev/null
    wait_until 10 "FRR noticing bird-a v4 going down" frr_not_established "$BIRDA4"
    birdc_a enable frr4 >/dev/null
    # ... and FRR resets an IPv6 session (to BIRD, which reconnects at once;
    # GoBGP would sit in idle-hold for ~5 s).
    frr_vtysh -c "clear bgp $BIRDB6" >/dev/null
    # Announce the withdrawn IPv4 routes again.
    birdc_a enable s4_wd >/dev/null
    wait_all_sessions
}

# ---------------------------------------------------------------- dumps
# wait_file_stable FILE TIMEOUT: FILE non-empty and not growing any more.
wait_file_stable() {
    local f=$1 s1 s2
    wait_until "$2" "$(basename "$f") to be written" test -s "$f"
    s1=$(stat -c %s "$f")
    while sleep 0.5; s2=$(stat -c %s "$f"); [[ $s1 != "$s2" ]]; do s1=$s2; done
}

dump_ribs() {
    log "RIB dumps"
    # Without an interval, routes-mrt dumps once, right away.
    frr_vtysh -c "configure terminal" -c "dump bgp routes-mrt $WORK/frr/frr-rib.mrt" >/dev/null
    birdc_a "mrt dump table \"master*\" to \"$WORK/birda/bird-table.mrt\"" >/dev/null
    wait_file_stable "$WORK/frr/frr-rib.mrt" 20
    wait_file_stable "$WORK/birda/bird-table.mrt" 20
    if ((COLLECTOR)); then
        log "waiting for the collector's periodic table dump (60 s after it started)"
        wait_file_stable "$WORK/rc/gobgp-table.mrt" 80
    fi
}

stop_daemons() {
    # Stop gracefully, so every writer has flushed and closed its files.
    birdc_a down >/dev/null 2>&1 || true
    birdc_b down >/dev/null 2>&1 || true
    local ns
    for ns in "$NS_FRR" "$NS_GOBGP" "$NS_RC"; do ns_kill "$ns" TERM; done
    for ns in "${ALL_NS[@]}"; do
        wait_until 10 "daemons in $ns to exit" ns_empty "$ns"
    done
}

collect_and_check() {
    local files=(frr/frr-updates.mrt frr/frr-all-et.mrt frr/frr-rib.mrt
        birda/bird-messages.mrt birda/bird-table.mrt gobgp/gobgp-updates.mrt)
    if ((COLLECTOR)); then files+=(rc/gobgp-table.mrt); fi
    local f name lines
    # Check everything before copying anything, so OUTDIR never holds a
    # half-good set.
    for f in "${files[@]}"; do
        name=$(basename "$f")
        [[ -s $WORK/$f ]] || die "$name is missing or empty"
        # Under pipefail a bgpdump crash (e.g. an assertion) fails here too.
        lines=$(bgpdump -m "$WORK/$f" 2>/dev/null | wc -l) || die "bgpdump -m failed (exit $?) on $name"
        ((lines > 0)) || die "bgpdump -m printed no lines for $name"
    done
    for f in "${files[@]}"; do cp "$WORK/$f" "$OUTDIR/"; done
    # A table dump left over from an earlier full run would not match the rest.
    if ((!COLLECTOR)); then rm -f "$OUTDIR/gobgp-table.mrt"; fi
    echo
    echo "==== record kinds per file: bgpdump -m FILE | cut -d'|' -f1,3 | sort | uniq -c"
    for f in "${files[@]}"; do
        name=$(basename "$f")
        echo "-- $name"
        bgpdump -m "$OUTDIR/$name" 2>/dev/null | cut -d'|' -f1,3 | sort | uniq -c
    done
    echo
    echo "==== files in $OUTDIR"
    for f in "${files[@]}"; do
        name=$(basename "$f")
        printf '%10d bytes %7d bgpdump lines  %s\n' "$(stat -c %s "$OUTDIR/$name")" \
            "$(bgpdump -m "$OUTDIR/$name" 2>/dev/null | wc -l)" "$name"
    done
    if ((!COLLECTOR)); then
        echo "NOTE: gobgp-table.mrt was NOT produced (VIGIL_GOBGP_TABLE=0)"
    fi
}

# ---------------------------------------------------------------- main
main() {
    ensure_packages
    log "setting up namespaces $TAG-*"
    setup_net
    if ((COLLECTOR)); then start_collector; fi # first: its dump timer starts with it
    start_gobgp
    start_frr
    start_bird_a
    start_bird_b
    gobgp_routes
    log "daemons started; waiting for sessions"
    wait_all_sessions
    wait_converged $((${#BIRDA_V4[@]} + ${#BIRDA_V4_WD[@]})) $((${#BIRDA_V6[@]} + ${#BIRDA_V6_WD[@]})) \
        ${#BIRDB_V4[@]} ${#BIRDB_V6[@]} ${#GOBGP_V4[@]} ${#GOBGP_V6[@]}
    churn
    wait_converged $((${#BIRDA_V4[@]} + ${#BIRDA_V4_WD[@]})) ${#BIRDA_V6[@]} \
        ${#BIRDB_V4[@]} ${#BIRDB_V6[@]} \
        $((${#GOBGP_V4[@]} - ${#GOBGP_V4_DEL[@]})) $((${#GOBGP_V6[@]} - ${#GOBGP_V6_DEL[@]}))
    wait_bird_a_converged
    dump_ribs
    stop_daemons
    collect_and_check
    log "done in $((SECONDS - START))s"
}

main
