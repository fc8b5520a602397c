#!/usr/bin/env bash
# Builds tools/envoy-validate (Envoy's own resource rules from go-control-plane, pinned in
# tools/envoy-validate/go.mod) once into a cache folder keyed by that version and by a hash of
# the tool's sources. A no-op when the binary is already there, so tests and CI call it.
#
# Usage: scripts/envoy-validate.sh           builds if needed; prints the binary's path last
#        scripts/envoy-validate.sh --where   prints the binary's path only; builds nothing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$here/tools/envoy-validate"
ENVOY_MODULE_VERSION=$(sed -nE 's/^(require)?[[:space:]]*github\.com\/envoyproxy\/go-control-plane\/envoy (v[^ ]+)$/\2/p' "$tools/go.mod")
cache_root=${RIGGING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rigging}

say() { printf '[envoy-validate] %s\n' "$*" >&2; }
die() { printf '[envoy-validate] error: %s\n' "$*" >&2; exit 1; }

[ -n "$ENVOY_MODULE_VERSION" ] ||
  die "tools/envoy-validate/go.mod has no 'require github.com/envoyproxy/go-control-plane/envoy <version>' line"
# The tool's own code is part of the key: a changed check must never run as the cached old one.
sources_hash=$(cd "$tools" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)
bin="$cache_root/bin/envoy-validate-$ENVOY_MODULE_VERSION-$sources_hash/envoy-validate"

if [ "${1:-}" = --where ]; then
  echo "$bin"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (usage: scripts/envoy-validate.sh [--where])"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if [ -z "${GO:-}" ]; then
  GO=go
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
fi
command -v "$GO" >/dev/null 2>&1 || die "Go is not installed or not on PATH. Install Go 1.26 or newer (https://go.dev/doc/install) and run again."

mkdir -p "$(dirname "$bin")"
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
say "building envoy-validate (go-control-plane/envoy $ENVOY_MODULE_VERSION)"
start=$SECONDS
log=$(mktemp)
if ! (cd "$tools" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$tmp" .) >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  if grep -qiE 'dial tcp|proxy.golang.org|connection refused|i/o timeout|no such host|reading .*: (403|404|410)' "$log"; then
    die "a Go module could not be downloaded (is the Go module proxy reachable? GOPROXY=$("$GO" env GOPROXY))"
  fi
  die "go build failed (log above)"
fi
rm -f "$log"
mv -f "$tmp" "$bin"
say "built in $((SECONDS - start))s"
echo "$bin"
