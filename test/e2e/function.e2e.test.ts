import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../lib/core/registry/index.js';
import { MicroClient } from '../../lib/index.js';
import { resolveOptions } from '../../lib/nest/options.js';
import { startProcess, waitFor } from '../support/processes.js';

const registry: Registry = createRegistry('mdns', '127.0.0.1');
const client = new MicroClient(resolveOptions({ registry, env: false }), 'greeter-fn');

afterAll(async () => {
  await client.options.transport.close();
  await registry.close?.();
});

describe('the function model', () => {
  it('registers, serves exactly one call, deregisters and exits 0', async () => {
    const fn = startProcess(process.execPath, [
      '--import',
      './scripts/register-ts.mjs',
      'sample/function.ts',
    ]);
    try {
      await waitFor(
        async () => (await registry.getService('greeter-fn')).length > 0,
        20_000,
        'greeter-fn to register',
      );
      expect(await client.call('greeter-fn', 'Greeter.Hello', { name: 'once' })).toEqual({
        msg: 'Hello once',
      });
      const exitCode = await new Promise<number | null>((resolve) => {
        if (fn.child.exitCode !== null) resolve(fn.child.exitCode);
        else fn.child.once('exit', (code) => resolve(code));
      });
      expect(exitCode).toBe(0);
      expect(fn.output()).toContain('greeter-fn served its call and stopped');
      await waitFor(
        async () => (await registry.getService('greeter-fn')).length === 0,
        10_000,
        'greeter-fn to leave the registry',
      );
    } finally {
      await fn.stop('SIGKILL');
    }
  }, 60000);
});
