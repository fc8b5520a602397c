#!/usr/bin/env bash
# Fetches a Prometheus server from Debian's `prometheus` package, once, into the project's binary
# cache, for the tests that scrape a running control plane. A no-op when it is already there.
# It is a test dependency only: nothing of it ships with Rigging.
#
# Usage: scripts/prometheus-binary.sh           (fetches if absent; prints the binary's path last)
#        scripts/prometheus-binary.sh --where   (prints where the binary belongs; fetches nothing)
#
# The package is unpacked (dpkg-deb -x), not installed: only its static `prometheus` binary is
# kept, so neither the system's services nor its package state change. Debian's package is used
# because this machine reaches Debian's archive and no other download site.
set -euo pipefail

cache_root=${RIGGING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rigging}
dir="$cache_root/bin/prometheus-debian"
binary="$dir/prometheus"

say() { printf '[prometheus-binary] %s\n' "$*" >&2; }
die() { printf '[prometheus-binary] error: %s\n' "$*" >&2; exit 1; }

if [ "${1:-}" = --where ]; then
  echo "$binary"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (usage: scripts/prometheus-binary.sh [--where])"

if [ -x "$binary" ]; then
  say "cached: $(cat "$dir/VERSION" 2>/dev/null || echo 'version unknown')"
  echo "$binary"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this script takes Prometheus from Debian's 'prometheus' package"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download needs the package lists; refresh them once if the package is not known yet.
if ! apt-cache show prometheus >/dev/null 2>&1 || [ -z "$(apt-cache policy prometheus | sed -n 's/^ *Candidate: //p' | grep -v none)" ]; then
  say "refreshing Debian's package lists (apt-get update)"
  apt-get update -qq >&2 || die "apt-get update failed"
fi
say "downloading Debian's prometheus package"
apt-get download prometheus >&2 2>"$work/download.log" || {
  cat "$work/download.log" >&2
  die "apt-get download prometheus failed"
}
deb=$(ls "$work"/prometheus_*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$dir"
install -m 0755 "$work/root/usr/bin/prometheus" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "$version" >"$dir/VERSION"
say "unpacked prometheus $version"
echo "$binary"
