#!/bin/sh
# autogen.sh - install missing build dependencies (Debian, as root), generate
# the build system, and configure. Arguments are passed to ./configure.
# Set NOCONFIGURE=1 to stop after generating, YB_NO_APT=1 to skip installing.
set -e
cd "$(dirname "$0")"

packages="autoconf automake libtool pkg-config make gcc libevent-dev libxml2-dev
libcurl4-openssl-dev libsqlite3-dev libcunit1-dev libjansson-dev libssl-dev curl
sqlite3 openssl wrk"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
fi
if [ -n "$missing" ] && [ -z "$YB_NO_APT" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "autogen.sh: installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $missing
    else
        echo "autogen.sh: missing packages:$missing" >&2
        echo "autogen.sh: install them with: apt-get install$missing" >&2
        exit 1
    fi
fi

mkdir -p m4 build-aux
autoreconf --force --install
if [ -z "$NOCONFIGURE" ]; then
    ./configure "$@"
fi
