// `npm test`: makes sure the backend servers the suites need (and chromium for the browser tests)
// are installed (running the install script on Debian as root when one is missing; elsewhere
// printing the command), then runs vitest.
// Extra arguments go to vitest: `npm test -- test/e2e`. `--suite=<unit|integration|e2e|interop>`
// first runs that suite's files alone (scripts/test-suites.mjs); the unit suite needs no backend.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { filesOf, SUITES } from './test-suites.mjs';

const args = process.argv.slice(2);
const suite = args[0]?.startsWith('--suite=') ? args.shift().slice('--suite='.length) : undefined;
if (suite !== undefined && suite !== 'integration' && !Object.hasOwn(SUITES, suite)) {
  console.error(`Unknown suite ${suite}: unit, integration, e2e or interop.`);
  process.exit(2);
}
const files = suite === undefined ? [] : filesOf(suite);

const onPath = (name) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
const missing = [];
if (suite !== 'unit') {
  if (!existsSync('.backends/consul/usr/bin/consul') && !onPath('consul')) missing.push('consul');
  if (!onPath('redis-server')) missing.push('redis-server');
  if (!existsSync('.backends/nats/usr/sbin/nats-server') && !onPath('nats-server'))
    missing.push('nats-server');
  if (!existsSync('.backends/etcd/usr/bin/etcd') && !onPath('etcd')) missing.push('etcd');
}

if (missing.length > 0) {
  const canInstall = existsSync('/etc/debian_version') && process.getuid?.() === 0;
  if (canInstall) {
    console.log(`Installing missing test backends: ${missing.join(', ')}`);
    const result = spawnSync('bash', ['scripts/install-backends.sh'], { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error('Installing the test backends failed.');
      if (process.env.CI === 'true') process.exit(result.status ?? 1);
    }
  } else {
    console.error(
      `Missing test backends: ${missing.join(', ')}. Install them with: sudo bash scripts/install-backends.sh`,
    );
    if (process.env.CI === 'true') process.exit(1);
  }
}

// The dashboard's browser tests (test/e2e/web) drive Debian's chromium; under CI a missing one fails.
if ((suite === undefined || suite === 'e2e') && !existsSync('/usr/bin/chromium')) {
  const canInstall = existsSync('/etc/debian_version') && process.getuid?.() === 0;
  if (canInstall) {
    console.log('Installing chromium for the browser tests');
    const result = spawnSync('bash', ['scripts/install-chromium.sh'], { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error('Installing chromium failed.');
      if (process.env.CI === 'true') process.exit(result.status ?? 1);
    }
  } else {
    console.error(
      'Missing /usr/bin/chromium for the browser tests. Install it with: sudo bash scripts/install-chromium.sh',
    );
    if (process.env.CI === 'true') process.exit(1);
  }
}

const vitest = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files, ...args], {
  stdio: 'inherit',
});
process.exit(vitest.status ?? 1);
