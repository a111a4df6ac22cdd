#!/bin/sh
# Checks the Debian packages aigwc builds with. As root it installs what is missing;
# otherwise it prints the exact apt-get line and fails, so nothing half-builds.
# Usage: tools/deps.sh [--fuzz] [--valgrind] [--serve]
#   --fuzz      also clang and libFuzzer (libclang-rt-dev: clang only recommends it, and
#               recommended packages are not installed here)
#   --valgrind  also valgrind, for the memcheck pass in .ci/run
#   --serve     also nginx, wrk and redis-server: aigwc serve's nginx and Redis tests and
#               its benchmark
set -eu
pkgs="re2c lemon libjansson-dev libssl-dev libcurl4-openssl-dev libcunit1-dev libmicrohttpd-dev libhiredis-dev pkg-config make gcc"
pkgs="$pkgs libxml2-utils"   # xmllint: make test checks that aigwc's JUnit XML parses
pkgs="$pkgs python3-yaml"   # make test parses the CI definitions of examples/ci
for a in "$@"; do
  case $a in
  --fuzz) pkgs="$pkgs clang libclang-rt-dev" ;;
  --valgrind) pkgs="$pkgs valgrind" ;;
  --serve) pkgs="$pkgs nginx wrk redis-server" ;;
  *) echo "usage: tools/deps.sh [--fuzz] [--valgrind] [--serve]" >&2; exit 2 ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "aigwc: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends $missing >&2
else
  echo "aigwc: missing Debian packages; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
