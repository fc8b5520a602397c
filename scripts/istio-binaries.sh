#!/usr/bin/env bash
# Builds Istio's own binaries from Istio's Go module (pinned in tools/istio/go.mod), once, into a
# cache folder keyed by that version. A no-op when they are already there, so tests and CI call it.
#
# Usage: scripts/istio-binaries.sh [pilot-agent] [pilot-discovery] [adsc-watch]   (default: pilot-agent)
#        scripts/istio-binaries.sh --where [name]   (prints the folder, or a binary's path; builds nothing)
# Prints the folder holding the binaries on its last line of stdout; progress goes to stderr.
#
# No tagged istio.io/istio version is served by the Go module proxy (Istio tags are not Go-module
# semver), so tools/istio pins a pseudo-version of master; its VERSION file says 1.31, the same
# minor as the proxyv2 image that Rigging injects.
#
# adsc-watch is Rigging's own small program over Istio's ADS client (tools/istio/cmd/adsc-watch):
# its binary name carries a hash of its source, so an edit rebuilds it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$here/tools/istio"
# The one place the version lives is tools/istio/go.mod; the cache key follows it.
ISTIO_MODULE_VERSION=$(sed -nE 's/^require istio\.io\/istio (v[^ ]+)$/\1/p' "$tools/go.mod")
# What the binaries report as their version (Istio's Makefile appends -dev to VERSION on master).
ISTIO_BUILD_VERSION=1.31-dev
cache_root=${RIGGING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rigging}

say() { printf '[istio-binaries] %s\n' "$*" >&2; }
die() { printf '[istio-binaries] error: %s\n' "$*" >&2; exit 1; }

[ -n "$ISTIO_MODULE_VERSION" ] || die "tools/istio/go.mod has no 'require istio.io/istio <version>' line"
bin="$cache_root/bin/istio-$ISTIO_MODULE_VERSION"
adsc_src_hash=$(cat "$tools"/cmd/adsc-watch/*.go | sha256sum | cut -c1-12)
# The file a wanted name is built into (adsc-watch's carries its source hash).
bin_file() { if [ "$1" = adsc-watch ]; then echo "adsc-watch-$adsc_src_hash"; else echo "$1"; fi; }
# The package a wanted name is built from.
package_of() { if [ "$1" = adsc-watch ]; then echo ./cmd/adsc-watch; else echo "istio.io/istio/pilot/cmd/$1"; fi; }

if [ "${1:-}" = --where ]; then
  # For tests, which must not start a many-minute build themselves: where the binaries belong
  # (with a name: where that binary belongs).
  if [ -n "${2:-}" ]; then echo "$bin/$(bin_file "$2")"; else echo "$bin"; fi
  exit 0
fi

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(pilot-agent)
for b in "${wanted[@]}"; do
  case $b in
    pilot-agent | pilot-discovery | adsc-watch) ;;
    *) die "unknown binary '$b': this script builds pilot-agent, pilot-discovery and adsc-watch" ;;
  esac
done

have_all() {
  for b in "$@"; do [ -x "$bin/$(bin_file "$b")" ] || return 1; done
  # pilot-agent needs Envoy's bootstrap template, which the proxyv2 image ships at
  # /var/lib/istio/envoy/envoy_bootstrap_tmpl.json; it comes from the same module download.
  for b in "$@"; do
    if [ "$b" = pilot-agent ] && [ ! -f "$bin/envoy_bootstrap_tmpl.json" ]; then return 1; fi
  done
  return 0
}

timed_build() {
  # timed_build <label> <module dir> <go build args...>: runs `go build`, printing elapsed time
  # every 30 s so that a cold build (many minutes) is visibly alive.
  local label=$1 dir=$2
  shift 2
  local start=$SECONDS log
  log=$(mktemp)
  say "building $label (a cold build takes many minutes on two cores)"
  (cd "$dir" && "$GO" build "$@") >"$log" 2>&1 &
  local pid=$! last=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - last >= 30)); then
      last=$SECONDS
      say "  $label: $((SECONDS - start))s elapsed"
    fi
  done
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    if grep -qiE 'dial tcp|proxy.golang.org|connection refused|i/o timeout|no such host|module lookup disabled|reading .*: (403|404|410)' "$log"; then
      die "$label: a Go module could not be downloaded (is the Go module proxy reachable? GOPROXY=$("$GO" env GOPROXY))"
    fi
    die "$label: go build failed (log above)"
  fi
  rm -f "$log"
  say "built $label in $((SECONDS - start))s"
}

if have_all "${wanted[@]}"; then
  echo "$bin"
  exit 0
fi

# GO names the toolchain to use. The Go tarball install puts go in /usr/local/go/bin, which
# non-login shells may not have on PATH.
if [ -z "${GO:-}" ]; then
  GO=go
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
fi
command -v "$GO" >/dev/null 2>&1 || die "Go is not installed or not on PATH. Install Go 1.26 or newer (https://go.dev/doc/install) and run again."
go_minor=$("$GO" env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
# Istio's go.mod says `go 1.26.0`; an older toolchain would try to download a newer one.
[ "${go_minor:-0}" -ge 26 ] 2>/dev/null || die "Go $("$GO" env GOVERSION) is too old: istio.io/istio $ISTIO_MODULE_VERSION needs Go 1.26 or newer."

mkdir -p "$bin"
tmp="$bin.tmp.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

missing=()
for b in "${wanted[@]}"; do
  [ -x "$bin/$(bin_file "$b")" ] || missing+=("$(package_of "$b")")
done
if [ ${#missing[@]} -gt 0 ]; then
  v=istio.io/istio/pkg/version
  ldflags="-s -w -X $v.buildVersion=$ISTIO_BUILD_VERSION -X $v.buildGitRevision=${ISTIO_MODULE_VERSION##*-} -X $v.buildStatus=Clean -X $v.buildTag=$ISTIO_MODULE_VERSION -X $v.buildHub=docker.io/istio"
  # CGO off as Istio's own release builds do: static binaries, no C toolchain needed.
  CGO_ENABLED=0 timed_build "${missing[*]##*/} ($ISTIO_MODULE_VERSION)" "$tools" -trimpath -ldflags "$ldflags" -o "$tmp/" "${missing[@]}"
fi
if [[ " ${wanted[*]} " == *" pilot-agent "* ]] && [ ! -f "$bin/envoy_bootstrap_tmpl.json" ]; then
  istio_src=$(cd "$tools" && "$GO" list -m -f '{{.Dir}}' istio.io/istio)
  cp "$istio_src/tools/packaging/common/envoy_bootstrap.json" "$tmp/envoy_bootstrap_tmpl.json"
  chmod u+w "$tmp/envoy_bootstrap_tmpl.json"
fi

[ ! -e "$tmp/adsc-watch" ] || mv "$tmp/adsc-watch" "$tmp/adsc-watch-$adsc_src_hash"

# Move into place only after a build succeeded, so a half-built cache is never reused.
for f in "$tmp"/*; do
  [ -e "$f" ] || continue
  rm -f "${bin:?}/$(basename "$f")"
  mv -f "$f" "$bin/"
done
have_all "${wanted[@]}" || die "binaries missing in $bin after build"
echo "$bin"
