#!/usr/bin/env bash
# Installs every build, test, benchmark and demo dependency of sluice on Debian 12 (bookworm)
# or Debian 13 (trixie). Idempotent: a second run changes nothing.
#
# llhttp and mbedTLS 3.6 exist only in trixie. On bookworm we add the trixie suite with an apt
# pin of priority 100, so that only packages named with /trixie come from it and nothing else
# on the machine moves.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

TRIXIE_LIBS="libllhttp-dev libmbedtls-dev libcyaml-dev libcjson-dev"
BASE_PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev llvm
  libuv1-dev libhiredis-dev libpcre2-dev zlib1g-dev libyaml-dev
  python3 python3-jwt python3-cryptography curl ca-certificates redis-server nginx-light haproxy
  wrk procps
  nodejs npm"

if [ "$codename" = "bookworm" ]; then
    if [ ! -f /etc/apt/sources.list.d/sluice-trixie.sources ]; then
        $SUDO tee /etc/apt/sources.list.d/sluice-trixie.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    pin=$'Package: *\nPin: release n=trixie\nPin-Priority: 100'
    # Written only when it differs, so that a second run needs no root (scripts/demo.sh runs this).
    if [ "$(cat /etc/apt/preferences.d/sluice-trixie 2>/dev/null)" != "$pin" ]; then
        printf '%s\n' "$pin" | $SUDO tee /etc/apt/preferences.d/sluice-trixie >/dev/null
    fi
    trixie_args=""
    for p in $TRIXIE_LIBS; do trixie_args="$trixie_args $p/trixie"; done
else
    # trixie and later: everything is native; clang's runtime has a versioned name there.
    trixie_args="$TRIXIE_LIBS"
    BASE_PKGS=$(echo "$BASE_PKGS" | sed 's/libclang-rt-14-dev/libclang-rt-dev/')
fi

missing=0
for p in $BASE_PKGS $TRIXIE_LIBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing=1
done
# node may come from another source than Debian; accept any node >= 18 with npm.
if [ $missing -eq 1 ] && command -v node >/dev/null && command -v npm >/dev/null; then
    BASE_PKGS=$(echo "$BASE_PKGS" | sed -e 's/\bnodejs\b//' -e 's/\bnpm\b//')
    missing=0
    for p in $BASE_PKGS $TRIXIE_LIBS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing=1
    done
fi

if [ $missing -eq 1 ]; then
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $BASE_PKGS $trixie_args
fi

# The distribution's services are not wanted running; tests start their own on loopback ports.
for svc in nginx redis-server haproxy; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
        $SUDO systemctl stop "$svc" || true
    fi
done

# Demo services' npm dependencies (Express), from the lock file.
here=$(cd "$(dirname "$0")/.." && pwd)
for svc in "$here"/examples/services/*/; do
    [ -f "$svc/package.json" ] || continue
    if [ ! -d "$svc/node_modules" ] || [ "$svc/package-lock.json" -nt "$svc/node_modules" ]; then
        (cd "$svc" && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error)
        touch "$svc/node_modules"
    fi
done

echo "sluice dependencies are installed."
