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
# Chromium loads every dashboard page headless (Tests/WebTests/DashboardTests.swift);
# Prometheus Alertmanager receives Vigil's alerts (Tests/AlertsTests/DeliveryTests.swift starts its own on loopback).
packages=(bgpdump bird2 frr gobgpd exabgp nftables iproute2 util-linux gzip bzip2 libsqlite3-dev python3 postgresql-15 chromium
          prometheus-alertmanager curl openssl)
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

# The dashboard's live test drives Chromium through the DevTools protocol (websocket-client);
# schemathesis checks the API against its OpenAPI file (below, after the tests).
if ! python3 -c "import websocket, schemathesis" 2>/dev/null; then
    echo "test.sh: installing websocket-client and schemathesis from PyPI"
    python3 -m pip install -q websocket-client schemathesis
fi

# The alert tests send mail to a real SMTP server (aiosmtpd, STARTTLS and AUTH: Tests/AlertsTests/Fixtures/smtp_receiver.py).
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
    echo "test.sh: installing aiosmtpd from PyPI"
    python3 -m pip install -q aiosmtpd
fi

# The RIS Live tests stream to Vigil from a local RIS Live stand-in (websockets: Tests/RISLiveTests/Fixtures/ris_live_server.py).
if ! python3 -c "import websockets.asyncio.server" 2>/dev/null; then
    echo "test.sh: installing websockets from PyPI"
    python3 -m pip install -q "websockets>=13"
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

# The API against its OpenAPI file (schemathesis), on a viewer of the bundled incident. Every check
# but "schema-valid requests are accepted": the API rightly refuses what the schema cannot say
# (from after until, more than 400 days, a prefix with a bad length), with a 400 and a reason.
work=$(mktemp -d)
.build/debug/vigil demo --dir "$work" --output "$work/demo.svg" >/dev/null 2>&1
.build/debug/vigil serve --db "$work/vigil.db" --listen 127.0.0.1:19479 --run-for 600 2>"$work/serve.log" &
viewer=$!
for _ in $(seq 50); do grep -q "viewing" "$work/serve.log" && break; sleep 0.2; done
set +e
(cd "$work" && schemathesis run http://127.0.0.1:19479/api/v1/openapi.json --url http://127.0.0.1:19479 --checks all \
    --exclude-checks positive_data_acceptance --max-examples 50 --seed 1) >"$work/schemathesis.log" 2>&1
api=$?
set -e
kill "$viewer" 2>/dev/null || true
tail -n 3 "$work/schemathesis.log"
if [ "$api" != 0 ]; then
    cat "$work/schemathesis.log"
    echo "schemathesis: the API does not match its OpenAPI file" >&2
    status=1
fi
rm -rf "$work"
echo "api: schemathesis exit $api"
exit "$status"
