import { describe, expect, it } from 'vitest';
import { startProcess, waitFor } from '../support/processes.js';

const fixture = 'test/e2e/fixtures/sigterm-service.ts';

describe.each([
  ['microservice', []],
  ['hybrid app', ['--hybrid']],
])('SIGTERM on a %s with enableShutdownHooks', (_kind, args) => {
  it('deregisters the node before the process exits', async () => {
    const proc = startProcess(
      process.execPath,
      ['--import', './scripts/register-ts.mjs', fixture, ...(args as string[])],
      { MICRO_REGISTRY: '' },
    );
    try {
      await waitFor(() => proc.output().includes('ready'), 20_000, 'service start');
      const id = /registered (\S+)/.exec(proc.output())![1];
      await proc.stop('SIGTERM');
      expect(proc.output()).toContain(`deregistered ${id}`);
    } finally {
      await proc.stop('SIGKILL');
    }
  });
});
