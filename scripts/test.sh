#!/usr/bin/env bash
# Vigil's test command (README.md): installs what the tests need, builds, runs every test.
# Run as root on Debian 12: the daemon tests start BIRD, FRR and GoBGP in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: bgpdump is the reference for `vigil dump -m`;
# the routing daemons write real MRT archives; iproute2 makes the namespaces and shapes
# links (tc tbf); nftables drops packets; util-linux's setpriv drops CAP_NET_RAW for the
# unprivileged ICMP socket test; PostgreSQL 15 is the shared store the store tests run against
# (each test run starts its own cluster on a private port and stops it: Tests/ReplayTests/PostgresLab.swift);
# Chromium loads every dashboard page headless (Tests/WebTests/DashboardTests.swift).
packages=(bgpdump bird2 frr gobgpd exabgp nftables iproute2 util-linux gzip bzip2 libsqlite3-dev python3 postgresql-15 chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "test.sh: missing Debian packages ${missing[*]} and not root: install them first" >&2
        exit 1
    fi
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

# A real MaxMind database (GeoLite2-City, 2018) and MaxMind's Python reader, from PyPI,
# to check Vigil's MMDB reader against.
if ! python3 -c "import maxminddb, _maxminddb_geolite2" 2>/dev/null; then
    echo "test.sh: installing maxminddb and maxminddb-geolite2 from PyPI"
    python3 -m pip install -q maxminddb maxminddb-geolite2
fi

swift build --build-tests
# XCTest only (there are no Swift Testing tests), and a plain closing line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --disable-swift-testing 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
if [ -z "$summary" ]; then
    echo "test.sh: no XCTest summary found (swift test exit $status)" >&2
    exit 1
fi
echo "tests: $((executed - failed)) passed, $failed failed"
exit "$status"
