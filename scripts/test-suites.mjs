// The test suites `npm run test:<suite>` runs apart; `npm test` runs every test file at once.
// A suite is a folder of test/:
//   unit         no server, no child process, no listening socket (some dial a closed address)
//   integration  real servers (Consul, Redis), child processes, sockets
//   e2e          Nest apps calling each other over a real transport
//   interop      against real go-micro programs (Go and root for some scenarios)
// test/support holds helpers every suite shares.
import { readdirSync } from 'node:fs';

export const SUITES = {
  unit: ['test/unit/'],
  integration: ['test/integration/'],
  e2e: ['test/e2e/'],
  interop: ['test/interop/'],
};

export function suiteOf(file) {
  for (const [suite, prefixes] of Object.entries(SUITES)) {
    if (prefixes.some((prefix) => file.startsWith(prefix))) return suite;
  }
  throw new Error(`${file} is in no suite folder (test/unit, integration, e2e or interop)`);
}

/** The test files of `suite`, as paths relative to the repository root (dot folders skipped). */
export function filesOf(suite, dir = 'test') {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && !entry.name.startsWith('.')) files.push(...filesOf(suite, path));
    else if (entry.isFile() && path.endsWith('.test.ts') && suiteOf(path) === suite) files.push(path);
  }
  return files.toSorted();
}
