#!/usr/bin/env bash
# Installs Debian's `chromium` package, once, for the browser test of `rig dashboard`
# (test/integration/dashboard.test.ts drives it with playwright-core). A no-op when a chromium is
# already on PATH or at $RIGGING_CHROMIUM. It is a test dependency only: nothing of it ships
# with Rigging, and the dashboard itself needs no browser but the user's own.
#
# Usage: scripts/chromium-binary.sh           (installs if absent; prints the binary's path last)
#        scripts/chromium-binary.sh --where   (prints the binary's path, or nothing; installs nothing)
#
# Chromium is installed with apt-get rather than unpacked like Prometheus: it links against some
# fifty shared libraries that only the package's dependencies bring. Debian's package is used
# because this machine reaches Debian's archive and no browser download site.
set -euo pipefail

say() { printf '[chromium-binary] %s\n' "$*" >&2; }
die() { printf '[chromium-binary] error: %s\n' "$*" >&2; exit 1; }

find_chromium() {
  if [ -n "${RIGGING_CHROMIUM:-}" ] && [ -x "$RIGGING_CHROMIUM" ]; then
    echo "$RIGGING_CHROMIUM"
    return 0
  fi
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true
}

if [ "${1:-}" = --where ]; then
  find_chromium
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (usage: scripts/chromium-binary.sh [--where])"

found=$(find_chromium)
if [ -n "$found" ]; then
  say "present: $found ($(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo 'version unknown'))"
  echo "$found"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: install a chromium and set RIGGING_CHROMIUM to its path"
[ "$(id -u)" = 0 ] || die "installing Debian's chromium needs root (apt-get install chromium); or set RIGGING_CHROMIUM"
# apt-get install needs the package lists; refresh them once if the package is not known yet.
if [ -z "$(apt-cache policy chromium 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v none)" ]; then
  say "refreshing Debian's package lists (apt-get update)"
  apt-get update -qq >&2 || die "apt-get update failed"
fi
say "installing Debian's chromium package (about 100 MB, once)"
# Another apt-get on the machine holds the dpkg lock for a while; wait for it instead of failing.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=600 chromium >&2 || die "apt-get install chromium failed"
found=$(find_chromium)
[ -n "$found" ] || die "chromium installed but not on PATH"
say "installed chromium $(dpkg-query -W -f='${Version}' chromium)"
echo "$found"
