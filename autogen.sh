#!/bin/sh
# Generate ./configure and Makefile.in.  Usage: ./autogen.sh && ./configure && make
set -e

srcdir=$(dirname "$0")
test -n "$srcdir" || srcdir=.
cd "$srcdir"

for tool in autoreconf autoconf automake aclocal pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "autogen.sh: '$tool' not found; install autoconf, automake and pkg-config" >&2
        exit 1
    fi
done

if ! aclocal --print-ac-dir >/dev/null 2>&1 ||
   ! test -f "$(aclocal --print-ac-dir)/pkg.m4" && ! test -f /usr/share/aclocal/pkg.m4; then
    echo "autogen.sh: pkg.m4 not found; install pkg-config (pkgconf)" >&2
    exit 1
fi

autoreconf --force --install --warnings=all,no-portability

echo "Now run ./configure && make"
