// The test suites `npm run test:<suite>` runs apart; `npm test` runs every test file at once.
//   unit         no server, no child process, no listening socket (some dial a closed address)
//   e2e          Nest apps calling each other over a real transport (test/e2e, test/codec-e2e)
//   interop      against real go-micro programs (test/interop; Go and root for some scenarios)
//   integration  every other file: real servers (Consul, Redis), child processes, sockets
// A file is in exactly one suite: the first whose prefixes match, else integration.
import { readdirSync } from 'node:fs';

export const SUITES = {
  unit: [
    'test/unit/',
    'test/codec/',
    'test/selector/',
    'test/validation/',
    'test/bench/',
    'test/client/send.test.ts',
    'test/client/option-layers.test.ts',
    'test/cli/cli.units.test.ts',
    'test/registry/cache.registry.test.ts',
    'test/registry/encoding.test.ts',
    'test/registry/endpoint-values.test.ts',
    'test/registry/memory.registry.test.ts',
    'test/server/limits.test.ts',
    'test/streaming/outbound-fairness.test.ts',
    'test/transport/tcp.protocol.test.ts',
  ],
  e2e: ['test/e2e/', 'test/codec-e2e/'],
  interop: ['test/interop/'],
};

export function suiteOf(file) {
  for (const [suite, prefixes] of Object.entries(SUITES)) {
    if (prefixes.some((prefix) => file.startsWith(prefix))) return suite;
  }
  return 'integration';
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
