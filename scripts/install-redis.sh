#!/usr/bin/env bash
# Installs redis-server for the Redis broker tests (the tests start their own throwaway server on a
# free loopback port; no system service is needed). Idempotent: exits 0 when redis-server is on PATH.
# On Debian as root it installs Debian's package; elsewhere it prints what to run and exits 1.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server: $(command -v redis-server)"
  exit 0
fi

if [ -r /etc/debian_version ] && [ "$(id -u)" = "0" ]; then
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update once per machine state: only when the package is not already known.
  if ! apt-cache show redis-server >/dev/null 2>&1; then
    apt-get update
  fi
  # policy-rc.d 101 keeps dpkg from starting the system service during installation.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  apt-get install -y --no-install-recommends redis-server || status=$?
  [ "$created_policy" = 1 ] && rm -f "$policy"
  [ "${status:-0}" = 0 ] || exit "$status"
  # If a system service was started anyway, stop and disable it: tests run their own servers.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
  fi
  command -v redis-server >/dev/null 2>&1 || { echo "redis-server still not on PATH" >&2; exit 1; }
  echo "redis-server: $(command -v redis-server)"
  exit 0
fi

echo "redis-server not found. Install it, e.g.:" >&2
echo "  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y redis-server" >&2
echo "  macOS:         brew install redis" >&2
exit 1
