#!/usr/bin/env bash
# Installs a real `nats-server` (with JetStream) for the NATS test suites into .backends/nats
# (git-ignored): Debian bookworm's nats-server package, through scripts/install-deb.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/install-deb.sh" nats nats-server bookworm usr/sbin/nats-server \
  "sudo bash scripts/install-nats.sh   # Debian; elsewhere install nats-server 2.9+ (https://docs.nats.io) and put it on PATH"
