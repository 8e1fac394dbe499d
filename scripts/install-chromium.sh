#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (test/e2e/web: playwright-core drives
# /usr/bin/chromium; no browser is ever downloaded by Playwright). Idempotent: exits 0 when
# /usr/bin/chromium exists. On Debian as root it installs Debian's package; elsewhere it prints what
# to run and exits 1.
set -euo pipefail

chromium=/usr/bin/chromium
if [ -x "$chromium" ]; then
  echo "chromium: $chromium"
  exit 0
fi

if [ -r /etc/debian_version ] && [ "$(id -u)" = "0" ]; then
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update once per machine state: only when the package is not already known.
  if ! apt-cache show chromium >/dev/null 2>&1; then
    apt-get update
  fi
  apt-get install -y --no-install-recommends chromium
  [ -x "$chromium" ] || { echo "chromium installed but $chromium is missing" >&2; exit 1; }
  echo "chromium: $chromium"
  exit 0
fi

echo "$chromium not found; the dashboard's browser tests need Debian's chromium package:" >&2
echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
echo "  (or, as root: bash scripts/install-chromium.sh)" >&2
exit 1
