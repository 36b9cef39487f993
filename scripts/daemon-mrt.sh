#!/usr/bin/env bash
# daemon-mrt.sh OUTDIR
#
# Make real routing daemons from Debian (FRR bgpd, BIRD 2, GoBGP) write MRT
# files, so that Vigil's MRT reader can be compared against `bgpdump -m` on
# files that were not produced by Vigil itself.
#
# Topology (all inside network namespaces created and deleted by this script;
# no packet ever leaves them):
#
#                 br0 (switch namespace), 10.99.0.0/24 + fd00:99::/64
#        ┌───────────────┬──────────┴─────┬───────────────┐
#      frr .1          bird-a .2        bird-b .3       gobgp .4
#      AS 65001        AS 4200000001    AS 65001 (iBGP) AS 65003
#
#   frr    <-> bird-a  eBGP, 4-byte peer AS, one IPv4 and one IPv6 session
#   frr    <-> bird-b  iBGP (LOCAL_PREF), IPv4 + IPv6 sessions
#   frr    <-> gobgp   eBGP, IPv4 + IPv6 sessions
#   bird-a <-> gobgp   eBGP, IPv4 + IPv6 sessions (so RIB dumps have several peers)
#
# Each address family runs over its own transport (IPv4 NLRI over IPv4, IPv6
# NLRI over IPv6 via MP_REACH/MP_UNREACH), because bgpd without zebra cannot
# work out a usable next hop of the other family.
#
# Output files (OUTDIR):
#   frr-updates.mrt   FRR `dump bgp updates`     BGP4MP UPDATEs received by FRR
#   frr-all-et.mrt    FRR `dump bgp all-et`      BGP4MP_ET: all messages + state changes
#   frr-rib.mrt       FRR `dump bgp routes-mrt`  TABLE_DUMP_V2 RIB, several peers
#   bird-messages.mrt BIRD `mrtdump all`         BGP4MP messages + state changes
#   bird-table.mrt    BIRD `mrt dump table`      TABLE_DUMP_V2 of master4 + master6
#   gobgp-updates.mrt GoBGP mrt-dump "updates"   BGP4MP UPDATEs received by GoBGP
#   gobgp-table.mrt   GoBGP mrt-dump "table"     TABLE_DUMP_V2 of GoBGP's global RIB
#
# GoBGP refuses table-dump intervals below 60 s and has no on-demand dump, so
# the run takes a bit over a minute. VIGIL_GOBGP_TABLE=0 skips that one file
# (announced loudly) and the run then takes ~15 s.
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
[[ $EUID -eq 0 ]] || { echo "daemon-mrt: must run as root (network namespaces, apt-get)" >&2; exit 2; }
mkdir -p "$1"
OUTDIR=$(cd "$1" && pwd)
GOBGP_TABLE=${VIGIL_GOBGP_TABLE:-1}

# Unique names per run so that parallel runs do not clash.
TAG="vmrt$$"
NS_SW="$TAG-sw"
NS_FRR="$TAG-frr"
NS_BIRDA="$TAG-birda"
NS_BIRDB="$TAG-birdb"
NS_GOBGP="$TAG-gobgp"
ALL_NS=("$NS_FRR" "$NS_BIRDA" "$NS_BIRDB" "$NS_GOBGP" "$NS_SW")

WORK=$(mktemp -d "/tmp/vigil-daemon-mrt.XXXXXX")
START=$SECONDS
OK=0

# Addresses and AS numbers. Synthetic origin ASNs below never equal these.
FRR4=10.99.0.1   FRR6=fd00:99::1   FRR_AS=65001
BIRDA4=10.99.0.2 BIRDA6=fd00:99::2 BIRDA_AS=4200000001
BIRDB4=10.99.0.3 BIRDB6=fd00:99::3 BIRDB_AS=65001
GOBGP4=10.99.0.4 GOBGP6=fd00:99::4 GOBGP_AS=65003
GOBGP_API=50051   # only reachable inside the gobgp namespace

# Synthetic AS numbers for AS paths: 2-byte public/private and 4-byte.
ASN_POOL=(174 3356 1299 2914 64512 64777 65010 4200000100 4200000222 4294967294 6939 4200001000)

# ---------------------------------------------------------------- helpers
log() { printf '[daemon-mrt %3ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() { printf 'daemon-mrt: ERROR: %s\n' "$*" >&2; exit 1; }

# wait_until TIMEOUT DESCRIPTION CMD...: poll CMD until it succeeds.
wait_until() {
    local timeout=$1 desc=$2
    shift 2
    local end=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || die "timed out after ${timeout}s waiting for: $desc"
        sleep 0.2
    done
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_empty() { [[ -z $(ip netns pids "$1") ]]; }

frr_vtysh() { nsx "$NS_FRR" vtysh --vty_socket "$WORK/frr" "$@"; }
birdc_a() { birdc -s "$WORK/birda/bird.ctl" "$@"; }
birdc_b() { birdc -s "$WORK/birdb/bird.ctl" "$@"; }
gobgp_cli() { nsx "$NS_GOBGP" gobgp -p "$GOBGP_API" "$@"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if ((rc != 0)) && [[ -d $WORK ]]; then
        echo "---- daemon-mrt failed (exit $rc); last log lines ----" >&2
        local f
        for f in "$WORK"/*/*.log; do
            [[ -s $f ]] || continue
            echo "== $f" >&2
            tail -n 15 "$f" >&2
        done
    fi
    # Stop every process that runs inside one of our namespaces (only this
    # script's daemons can be there), politely first.
    local ns pids
    for ns in "${ALL_NS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(for ns in "${ALL_NS[@]}"; do ip netns pids "$ns" 2>/dev/null; done)
        [[ -z $pids ]] && break
        sleep 0.3
    done
    for ns in "${ALL_NS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
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
    command -v bird >/dev/null && command -v birdc >/dev/null || need+=(bird2)
    [[ -x /usr/lib/frr/bgpd ]] && command -v vtysh >/dev/null || need+=(frr)
    command -v gobgpd >/dev/null && command -v gobgp >/dev/null || need+=(gobgpd)
    command -v bgpdump >/dev/null || need+=(bgpdump)
    command -v jq >/dev/null || need+=(jq)
    ((${#need[@]} == 0)) && return 0
    log "installing: ${need[*]}"
    # No candidate for some package: the package lists are missing or stale.
    if [[ $(apt-cache policy "${need[@]}" 2>/dev/null | grep -c 'Candidate: [0-9]') -lt ${#need[@]} ]]; then
        apt-get update -qq || die "apt-get update failed"
    fi
    # The packages' init scripts would start system-wide daemons; we only want
    # the binaries, so keep policy-rc.d semantics (no service starts) as-is.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >"$WORK/apt.log" 2>&1 ||
        { tail -n 20 "$WORK/apt.log" >&2; die "apt-get install ${need[*]} failed"; }
    for p in bird birdc /usr/lib/frr/bgpd vtysh gobgpd gobgp bgpdump jq; do
        command -v "$p" >/dev/null || die "$p still missing after installing ${need[*]}"
    done
}

# ---------------------------------------------------------------- network
# One "switch" namespace with a bridge; every daemon namespace gets a veth
# into it. The veth is created inside the switch namespace (not the root
# namespace) so interface names never collide with other runs.
setup_net() {
    ip netns add "$NS_SW"
    ip -n "$NS_SW" link set lo up
    ip -n "$NS_SW" link add br0 type bridge forward_delay 0 mcast_snooping 0
    ip -n "$NS_SW" link set br0 up
    local ns idx port
    for ns in "$NS_FRR" "$NS_BIRDA" "$NS_BIRDB" "$NS_GOBGP"; do
        case $ns in
            "$NS_FRR") idx=1 port=p-frr ;;
            "$NS_BIRDA") idx=2 port=p-birda ;;
            "$NS_BIRDB") idx=3 port=p-birdb ;;
            "$NS_GOBGP") idx=4 port=p-gobgp ;;
        esac
        ip netns add "$ns"
        # No duplicate address detection: link-local and global IPv6 addresses
        # are usable at once (BIRD picks up eth0's link-local at session start).
        nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
        ip -n "$ns" link set lo up
        ip -n "$NS_SW" link add "$port" type veth peer name eth0 netns "$ns"
        ip -n "$NS_SW" link set "$port" master br0 up
        ip -n "$ns" addr add "10.99.0.$idx/24" dev eth0
        ip -n "$ns" addr add "fd00:99::$idx/64" dev eth0 nodad
        ip -n "$ns" link set eth0 up
    done
    # (No ping check: ping is not installed everywhere, and the BGP sessions
    # coming up below prove reachability anyway.)
}

# ---------------------------------------------------------------- route data
# Deterministic variety for route number I: AS path length 0..5 with 2- and
# 4-byte ASNs (sometimes classic prepending), origin, communities, large and
# extended communities, MED.

# as_path_for I -> space separated ASNs (may be empty), left = nearest.
as_path_for() {
    local i=$1 len=$(($1 % 6)) k out=()
    for ((k = 0; k < len; k++)); do
        out+=("${ASN_POOL[$(((i + k * 5) % ${#ASN_POOL[@]}))]}")
    done
    if ((i % 9 == 4)); then # prepending: repeat the first AS three times
        out=("${out[0]}" "${out[0]}" "${out[@]}")
    fi
    echo "${out[*]}"
}

# bird_attrs I -> BIRD filter statements for a static route.
bird_attrs() {
    local i=$1 s="" a path
    path=$(as_path_for "$i")
    # prepend() puts the AS in front, so prepend the path from the origin end.
    for a in $(echo "$path" | tr ' ' '\n' | tac); do
        s+="bgp_path.prepend($a); "
    done
    case $((i % 3)) in
        0) s+="bgp_origin = ORIGIN_IGP; " ;;
        1) s+="bgp_origin = ORIGIN_EGP; " ;;
        2) s+="bgp_origin = ORIGIN_INCOMPLETE; " ;;
    esac
    ((i % 2 == 0)) && s+="bgp_community.add((65010, $i)); bgp_community.add((3356, 2$((i % 10)))); "
    ((i % 17 == 0)) && s+="bgp_community.add((65535, 65281)); " # NO_EXPORT
    ((i % 3 == 0)) && s+="bgp_large_community.add((4200000001, 1, $i)); bgp_large_community.add((64512, 7, $((i * 1000)))); "
    ((i % 4 == 0)) && s+="bgp_ext_community.add((rt, 65010, $i)); "
    ((i % 8 == 0)) && s+="bgp_ext_community.add((ro, 4200000001, $i)); bgp_ext_community.add((rt, 192.0.2.1, $i)); "
    ((i % 5 == 0)) && s+="bgp_med = $((i * 10)); "
    echo "$s"
}

# bird_static NAME AFI SEED PREFIX...: a static protocol whose routes carry
# BGP attributes; SEED shifts the attribute pattern between protocols.
bird_static() {
    local name=$1 afi=$2 i=$3 p
    shift 3
    echo "protocol static $name {"
    echo "    $afi;"
    for p in "$@"; do
        echo "    route $p blackhole { $(bird_attrs "$i") };"
        i=$((i + 1))
    done
    echo "}"
}

# Prefix lists (kept small: a few hundred routes in total).
seq_v4() { local pfx=$1 from=$2 to=$3 n; for ((n = from; n <= to; n++)); do echo "$pfx.$n.0/24"; done; }
seq_v6() { local pfx=$1 from=$2 to=$3 n; for ((n = from; n <= to; n++)); do printf '%s:%x::/64\n' "$pfx" "$n"; done; }

# ---------------------------------------------------------------- FRR
start_frr() {
    local d="$WORK/frr"
    mkdir -p "$d"
    cat >"$d/bgpd.conf" <<EOF
frr defaults traditional
hostname vigil-frr
log file $d/bgpd.log informational
!
! BGP4MP records of received UPDATEs, and (extended timestamp variant) of all
! messages and state changes.
dump bgp updates $d/frr-updates.mrt
dump bgp all-et $d/frr-all-et.mrt
!
! Attributes for FRR's own networks (seen by the other daemons' dumps).
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
 neighbor $BIRDA4 remote-as $BIRDA_AS
 neighbor $BIRDA6 remote-as $BIRDA_AS
 neighbor $BIRDB4 remote-as $BIRDB_AS
 neighbor $BIRDB6 remote-as $BIRDB_AS
 neighbor $GOBGP4 remote-as $GOBGP_AS
 neighbor $GOBGP6 remote-as $GOBGP_AS
EOF
    local n
    for n in $BIRDA4 $BIRDA6 $BIRDB4 $BIRDB6 $GOBGP4 $GOBGP6; do
        # Fast (re)connects and no MRAI batching, to keep the run short.
        echo " neighbor $n timers connect 1" >>"$d/bgpd.conf"
        echo " neighbor $n advertisement-interval 0" >>"$d/bgpd.conf"
    done
    cat >>"$d/bgpd.conf" <<EOF
 !
 address-family ipv4 unicast
  network 10.140.0.0/24 route-map ORIG-A
  network 10.140.1.0/24 route-map ORIG-B
  network 10.140.2.0/24
  network 10.140.3.0/24 route-map ORIG-A
  ! AS_SET: components come from bird-a (10.120.1-8) and gobgp (10.120.101-108).
  aggregate-address 10.120.0.0/16 as-set
  ! Plain aggregate: ATOMIC_AGGREGATE + AGGREGATOR (components from iBGP bird-b).
  aggregate-address 10.130.0.0/16
  neighbor $BIRDA4 activate
  neighbor $BIRDB4 activate
  neighbor $GOBGP4 activate
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:140::/48 route-map ORIG-A
  network 2001:db8:141::/48 route-map ORIG-B
  network 2001:db8:142::/48
  aggregate-address 2001:db8:120::/48 as-set
  neighbor $BIRDA6 activate
  neighbor $BIRDB6 activate
  neighbor $GOBGP6 activate
 exit-address-family
!
EOF
    # -Z: no zebra (no kernel routes wanted); -S: stay root, no frr user/caps
    # juggling; vty only on a private unix socket dir, no TCP vty port.
    nsx "$NS_FRR" /usr/lib/frr/bgpd -d -f "$d/bgpd.conf" -Z -S -i "$d/bgpd.pid" \
        --vty_socket "$d" -A 127.0.0.1 -P 0 >"$d/stdout.log" 2>&1 ||
        die "bgpd failed to start (see $d/stdout.log)"
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
# bird_common ROUTERID: shared head of both BIRD configs.
bird_common() {
    cat <<EOF
router id $1;
log "$2/bird.log" all;
# needed so BIRD knows eth0's addresses (direct eBGP sessions, next hops)
protocol device { scan time 5; }

template bgp fast {
    # short timers: the whole run must finish in about a minute
    connect delay time 1;
    connect retry time 2;
    error wait time 1, 4;
}
EOF
}

start_bird_a() {
    local d="$WORK/birda"
    mkdir -p "$d"
    {
        bird_common "$BIRDA4" "$d"
        cat <<EOF
# BGP4MP: all messages and state changes of the BGP protocols below.
mrtdump "$d/bird-messages.mrt";

EOF
        # Routes announced for the whole run.
        bird_static s4_main ipv4 0 $(seq_v4 10.110 0 99) $(seq_v4 10.120 1 8)
        bird_static s6_main ipv6 1 $(seq_v6 2001:db8:110 0 39) $(seq_v6 2001:db8:120 1 4)
        # Routes withdrawn half way (disable the protocol -> withdrawals / MP_UNREACH).
        bird_static s4_wd ipv4 2 $(seq_v4 10.111 0 29)
        bird_static s6_wd ipv6 3 $(seq_v6 2001:db8:111 0 14)
        cat <<EOF

protocol bgp frr4 from fast {
    mrtdump all;
    local $BIRDA4 as $BIRDA_AS;
    neighbor $FRR4 as $FRR_AS;
    ipv4 { import all; export all; };
}
# On direct IPv6 sessions BIRD sends global + link-local next hop (32 bytes).
# bgpd without zebra cannot map a link-local next hop to an interface and
# treats such routes as withdrawn, so towards FRR set a global-only next hop
# explicitly. (The gobgp sessions keep the 32-byte form, for variety.)
protocol bgp frr6 from fast {
    mrtdump all;
    local $BIRDA6 as $BIRDA_AS;
    neighbor $FRR6 as $FRR_AS;
    ipv6 { import all; export filter { bgp_next_hop = $BIRDA6; accept; }; };
}
protocol bgp gobgp4 from fast {
    mrtdump all;
    local $BIRDA4 as $BIRDA_AS;
    neighbor $GOBGP4 as $GOBGP_AS;
    ipv4 { import all; export all; };
}
protocol bgp gobgp6 from fast {
    mrtdump all;
    local $BIRDA6 as $BIRDA_AS;
    neighbor $GOBGP6 as $GOBGP_AS;
    ipv6 { import all; export all; };
}
EOF
    } >"$d/bird.conf"
    nsx "$NS_BIRDA" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" >"$d/stdout.log" 2>&1 ||
        die "bird (bird-a) failed to start: $(cat "$d/stdout.log")"
    wait_until 10 "bird-a control socket" birdc_a show status
}

# bird-b: iBGP speaker in FRR's AS, the only source of LOCAL_PREF.
start_bird_b() {
    local d="$WORK/birdb" i p
    mkdir -p "$d"
    {
        bird_common "$BIRDB4" "$d"
        echo "protocol static s4_ibgp {"
        echo "    ipv4;"
        i=0
        for p in $(seq_v4 10.130 0 39); do
            echo "    route $p blackhole { bgp_local_pref = $((50 + i * 10)); $(bird_attrs $((i + 3))) };"
            i=$((i + 1))
        done
        echo "}"
        echo "protocol static s6_ibgp {"
        echo "    ipv6;"
        i=0
        for p in $(seq_v6 2001:db8:130 0 19); do
            echo "    route $p blackhole { bgp_local_pref = $((300 - i * 7)); $(bird_attrs $((i + 5))) };"
            i=$((i + 1))
        done
        echo "}"
        cat <<EOF

# iBGP defaults to multihop with recursive next hops, which would need an IGP;
# the peer is on the shared subnet, so run it as a direct session instead.
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
    # global-only next hop towards FRR, see bird-a
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

bird_established() { # bird_established birdc_a|birdc_b PROTO
    "$1" show protocols "$2" | grep -q Established
}

# ---------------------------------------------------------------- GoBGP
start_gobgp() {
    local d="$WORK/gobgp"
    mkdir -p "$d"
    local table_cfg=""
    if [[ $GOBGP_TABLE == 1 ]]; then
        # 60 s is GoBGP's minimum dump interval; the first dump happens one
        # interval after start, so gobgpd is started first.
        table_cfg="
[[mrt-dump]]
  [mrt-dump.config]
    dump-type = \"table\"
    file-name = \"gobgp-table.mrt\"
    dump-interval = 60
"
    fi
    {
        cat <<EOF
[global.config]
  as = $GOBGP_AS
  router-id = "$GOBGP4"

[[mrt-dump]]
  [mrt-dump.config]
    dump-type = "updates"
    file-name = "gobgp-updates.mrt"
$table_cfg
EOF
        local n as afi
        for n in "$FRR4 $FRR_AS ipv4" "$FRR6 $FRR_AS ipv6" "$BIRDA4 $BIRDA_AS ipv4" "$BIRDA6 $BIRDA_AS ipv6"; do
            read -r n as afi <<<"$n"
            cat <<EOF
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$n"
    peer-as = $as
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$afi-unicast"
EOF
        done
    } >"$d/gobgpd.toml"
    # The "updates" dump always rotates, and GoBGP then runs the whole file
    # name through Go's time.Format: digits and words like "Mon" or "pm" in
    # an absolute /tmp/... path get replaced by the date. Hence relative file
    # names that contain no layout tokens, and gobgpd started in its directory.
    (cd "$d" && exec ip netns exec "$NS_GOBGP" gobgpd -f gobgpd.toml -p -l info --pprof-disable \
        --api-hosts "127.0.0.1:$GOBGP_API" >gobgpd.log 2>&1) &
    wait_until 10 "gobgpd API" gobgp_cli global
}

# gobgp_routes: originate routes through the API, with the same kind of
# attribute variety as BIRD (including an AS_SET in the AS path).
gobgp_routes() {
    local i=0 p args path
    for p in $(seq_v4 10.150 0 39) $(seq_v4 10.120 101 108) $(seq_v6 2001:db8:150 0 19) $(seq_v6 2001:db8:120 101 104); do
        if [[ $p == *:* ]]; then args=(-a ipv6 "$p" nexthop "$GOBGP6"); else args=(-a ipv4 "$p" nexthop "$GOBGP4"); fi
        path=$(as_path_for $((i + 2)))
        ((i % 10 == 7)) && path="$path {64512,4200000555,3356}"
        [[ -n ${path// /} ]] && args+=(aspath "${path# }")
        case $((i % 3)) in 0) args+=(origin igp) ;; 1) args+=(origin egp) ;; 2) args+=(origin incomplete) ;; esac
        ((i % 2 == 1)) && args+=(community "65003:$i,174:$((i * 3))")
        ((i % 3 == 1)) && args+=(large-community "65003:$i:$((i + 1)),4200000100:0:$i")
        ((i % 4 == 2)) && args+=(med $((i * 7)))
        gobgp_cli global rib add "${args[@]}" >/dev/null || die "gobgp global rib add ${args[*]} failed"
        i=$((i + 1))
    done
}

gobgp_established() { # gobgp_established NEIGHBOR
    gobgp_cli neighbor "$1" -j | jq -e '.state.session_state == 6'
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
}

# wait_converged A4 A6 B4 B6 G4 G6: FRR holds at least that many prefixes from
# each neighbour (what it originates itself; relayed routes may come on top).
wait_converged() {
    wait_until 30 "FRR prefixes from bird-a v4 >= $1" frr_pfx_at_least ipv4 "$BIRDA4" "$1"
    wait_until 30 "FRR prefixes from bird-a v6 >= $2" frr_pfx_at_least ipv6 "$BIRDA6" "$2"
    wait_until 30 "FRR prefixes from bird-b v4 >= $3" frr_pfx_at_least ipv4 "$BIRDB4" "$3"
    wait_until 30 "FRR prefixes from bird-b v6 >= $4" frr_pfx_at_least ipv6 "$BIRDB6" "$4"
    wait_until 30 "FRR prefixes from gobgp v4 >= $5" frr_pfx_at_least ipv4 "$GOBGP4" "$5"
    wait_until 30 "FRR prefixes from gobgp v6 >= $6" frr_pfx_at_least ipv6 "$GOBGP6" "$6"
    sleep 1 # let relayed copies (bird-a <-> gobgp <-> frr) settle too
}

churn() {
    log "churn: withdrawals, a session bounce, re-announcements"
    # Withdrawals: IPv4 (UPDATE withdrawn routes) and IPv6 (MP_UNREACH_NLRI).
    birdc_a disable s4_wd >/dev/null
    birdc_a disable s6_wd >/dev/null
    local p
    for p in $(seq_v4 10.150 30 39); do gobgp_cli global rib del -a ipv4 "$p" >/dev/null || die "gobgp rib del $p failed"; done
    for p in $(seq_v6 2001:db8:150 10 19); do gobgp_cli global rib del -a ipv6 "$p" >/dev/null || die "gobgp rib del $p failed"; done
    sleep 1
    # Session down/up: STATE_CHANGE records in bird-messages and frr-all-et.
    birdc_a disable frr4 >/dev/null
    wait_until 10 "FRR noticing bird-a v4 going down" frr_not_established "$BIRDA4"
    birdc_a enable frr4 >/dev/null
    # Hard reset of an IPv6 session from FRR's side (towards BIRD, which
    # reconnects at once; GoBGP would sit in idle-hold for ~5 s).
    frr_vtysh -c "clear bgp $BIRDB6" >/dev/null
    # Re-announce the withdrawn IPv4 routes.
    birdc_a enable s4_wd >/dev/null
    wait_all_sessions
}

# ---------------------------------------------------------------- dumps
# wait_file_stable FILE: non-empty and not growing any more.
wait_file_stable() {
    local f=$1 s1 s2
    wait_until 20 "$f to be written" test -s "$f"
    s1=$(stat -c %s "$f")
    while sleep 0.5; s2=$(stat -c %s "$f"); [[ $s1 != "$s2" ]]; do s1=$s2; done
}

dump_ribs() {
    log "RIB dumps"
    # One-off TABLE_DUMP_V2 dump (no interval = dump once, now).
    frr_vtysh -c "configure terminal" -c "dump bgp routes-mrt $WORK/frr/frr-rib.mrt" >/dev/null
    birdc_a "mrt dump table \"master*\" to \"$WORK/birda/bird-table.mrt\"" >/dev/null
    wait_file_stable "$WORK/frr/frr-rib.mrt"
    wait_file_stable "$WORK/birda/bird-table.mrt"
    if [[ $GOBGP_TABLE == 1 ]]; then
        log "waiting for GoBGP's periodic table dump (60 s after gobgpd start)"
        wait_until 75 "GoBGP table dump" test -s "$WORK/gobgp/gobgp-table.mrt"
        wait_file_stable "$WORK/gobgp/gobgp-table.mrt"
    fi
}

stop_daemons() {
    # Graceful stop so every writer has flushed and closed its files.
    birdc_a down >/dev/null 2>&1 || true
    birdc_b down >/dev/null 2>&1 || true
    local ns
    for ns in "$NS_FRR" "$NS_GOBGP"; do
        ip netns pids "$ns" | xargs -r kill -TERM
    done
    for ns in "${ALL_NS[@]}"; do
        wait_until 10 "daemons in $ns to exit" ns_empty "$ns"
    done
}

collect_and_check() {
    local files=(frr/frr-updates.mrt frr/frr-all-et.mrt frr/frr-rib.mrt
        birda/bird-messages.mrt birda/bird-table.mrt gobgp/gobgp-updates.mrt)
    [[ $GOBGP_TABLE == 1 ]] && files+=(gobgp/gobgp-table.mrt)
    local f name lines
    for f in "${files[@]}"; do
        name=$(basename "$f")
        [[ -s $WORK/$f ]] || die "$name is missing or empty"
        cp "$WORK/$f" "$OUTDIR/$name"
    done
    echo
    echo "==== record kinds per file (bgpdump -m | cut -d'|' -f1,3 | sort | uniq -c)"
    for f in "${files[@]}"; do
        name=$(basename "$f")
        lines=$(bgpdump -m "$OUTDIR/$name" 2>/dev/null | wc -l)
        ((lines > 0)) || die "bgpdump -m printed no lines for $name"
        echo "-- $name ($lines lines)"
        bgpdump -m "$OUTDIR/$name" 2>/dev/null | cut -d'|' -f1,3 | sort | uniq -c
    done
    echo
    echo "==== files in $OUTDIR"
    for f in "${files[@]}"; do
        name=$(basename "$f")
        printf '%10d  %s\n' "$(stat -c %s "$OUTDIR/$name")" "$name"
    done
    [[ $GOBGP_TABLE == 1 ]] || echo "NOTE: gobgp-table.mrt NOT produced (VIGIL_GOBGP_TABLE=0)"
}

# ---------------------------------------------------------------- main
main() {
    ensure_packages
    log "setting up namespaces ($TAG-*)"
    setup_net
    start_gobgp # first: its table dump timer starts with the daemon
    start_frr
    start_bird_a
    start_bird_b
    gobgp_routes
    log "daemons started; waiting for sessions"
    wait_all_sessions
    # originated counts: bird-a 108+30 / 44+15, bird-b 40 / 20, gobgp 48 / 24
    wait_converged 138 59 40 20 48 24
    churn
    wait_converged 138 44 40 20 38 14
    dump_ribs
    stop_daemons
    collect_and_check
    log "done in $((SECONDS - START))s"
}

main
