#!/usr/bin/env bash
# Installs a real `etcd` server for the etcd registry tests into .backends/etcd (git-ignored):
# Debian bookworm's etcd-server package, through scripts/install-deb.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/install-deb.sh" etcd etcd-server bookworm usr/bin/etcd \
  "sudo bash scripts/install-etcd.sh   # Debian; elsewhere install etcd 3.4+ (https://etcd.io) and put it on PATH"
