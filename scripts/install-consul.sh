#!/usr/bin/env bash
# Installs a real `consul` binary for the test suite into .backends/consul (git-ignored): Debian
# bullseye's consul package (bookworm has none), through scripts/install-deb.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/install-deb.sh" consul consul bullseye usr/bin/consul \
  "sudo bash scripts/install-consul.sh   # Debian; elsewhere install consul 1.8+ (https://developer.hashicorp.com/consul/install) and put it on PATH"
