#!/usr/bin/env bash
# Installs the real servers the backend test suites start (Consul, nats-server and etcd into
# .backends/, Debian's redis-server). Idempotent; each installer says what it does and exits 0 when
# already present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install-consul.sh"
bash "$here/install-redis.sh"
bash "$here/install-nats.sh"
bash "$here/install-etcd.sh"
