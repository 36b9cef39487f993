#!/usr/bin/env bash
# Vigil's test command (README.md): installs what the tests need, builds, runs every test.
# Run as root on Debian 12: the daemon tests start BIRD, FRR and GoBGP in network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: bgpdump is the reference for `vigil dump -m`;
# the routing daemons write real MRT archives; iproute2 makes the namespaces.
packages=(bgpdump bird2 frr gobgpd iproute2 gzip bzip2)
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

swift build --build-tests
swift test
