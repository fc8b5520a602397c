#!/usr/bin/env bash
# Builds the local Kubernetes binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) and kwok's stage files from the Go module proxy, once, into a cache folder keyed by version. A no-op when they
# are already there, so tests, CI and `npm start` all call it.
#
# Prints the folder holding the binaries on its last line of stdout; progress goes to stderr.
# Honours KUBEBUILDER_ASSETS (a folder with etcd and kube-apiserver, the envtest convention):
# those two are used from there and only the rest is built.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$here/tools"
K8S_VERSION=v1.32.0
ETCD_VERSION=v3.5.16
KWOK_VERSION=v0.7.0
cache_root=${RIGGING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rigging}
bin="$cache_root/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"

say() { printf '[k8s-binaries] %s\n' "$*" >&2; }
die() { printf '[k8s-binaries] error: %s\n' "$*" >&2; exit 1; }

have_all() {
  for b in "$@"; do [ -x "$bin/$b" ] || return 1; done
  return 0
}

link_assets() {
  # envtest-style assets win for the two binaries they carry.
  [ -n "${KUBEBUILDER_ASSETS:-}" ] || return 0
  for b in etcd kube-apiserver; do
    [ -x "$KUBEBUILDER_ASSETS/$b" ] || die "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable '$b'; unset it or point it at an envtest assets folder"
    mkdir -p "$bin"
    ln -sf "$KUBEBUILDER_ASSETS/$b" "$bin/$b"
  done
}

timed_build() {
  # timed_build <label> <module dir> <go build args...>: runs `go build`, printing elapsed time
  # every 30 s so that a cold build (many minutes) is visibly alive.
  local label=$1 dir=$2
  shift 2
  local start=$SECONDS log
  log=$(mktemp)
  say "building $label (cold builds take several minutes on two cores)"
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

link_assets
all=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwok-stages)
if have_all "${all[@]}"; then
  echo "$bin"
  exit 0
fi

# GO names the toolchain to use. The Go tarball install puts go in /usr/local/go/bin, which
# non-login shells may not have on PATH.
if [ -z "${GO:-}" ]; then
  GO=go
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
fi
command -v "$GO" >/dev/null 2>&1 || die "Go is not installed or not on PATH. Install Go 1.24 or newer (https://go.dev/doc/install, or your distribution's golang package) and run again."
go_minor=$("$GO" env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "${go_minor:-0}" -ge 24 ] 2>/dev/null || die "Go $("$GO" env GOVERSION) is too old: kwok $KWOK_VERSION needs Go 1.24 or newer."

mkdir -p "$bin"
tmp="$bin.tmp.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

k8s_missing=()
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  have_all "$b" || k8s_missing+=("k8s.io/kubernetes/cmd/$b")
done
if [ ${#k8s_missing[@]} -gt 0 ]; then
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=32 -X k8s.io/component-base/version.gitTreeState=clean"
  timed_build "${k8s_missing[*]##*/} $K8S_VERSION" "$tools/k8s" -ldflags "$ldflags" -o "$tmp/" "${k8s_missing[@]}"
fi
if ! have_all etcd; then
  timed_build "etcd $ETCD_VERSION" "$tools/etcd" -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
fi
if ! have_all kwok; then
  timed_build "kwok $KWOK_VERSION" "$tools/kwok" -ldflags "-s -w" -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok
fi
if ! have_all kwok-stages; then
  # kwok's own Stage files (fake node heartbeats, pods becoming Running with IPs) come from the
  # same module download as the binary, so they always match its version.
  kwok_src=$(cd "$tools/kwok" && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  mkdir -p "$tmp/kwok-stages"
  cp "$kwok_src"/kustomize/stage/node/fast/node-initialize.yaml \
    "$kwok_src"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    "$kwok_src"/kustomize/stage/pod/fast/pod-*.yaml "$tmp/kwok-stages/"
  chmod -R u+w "$tmp/kwok-stages"
fi
# Move into place only after a build succeeded, so a half-built cache is never reused.
for f in "$tmp"/*; do
  [ -e "$f" ] || continue
  rm -rf "${bin:?}/$(basename "$f")"
  mv -f "$f" "$bin/"
done
have_all "${all[@]}" || die "binaries missing in $bin after build"
echo "$bin"
