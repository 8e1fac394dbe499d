import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry, MdnsRegistry, type Registry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroError } from '../../lib/index.js';
import { resolveOptions } from '../../lib/nest/options.js';
import { startProcess, waitFor, type Started } from '../support/processes.js';

const fixture = 'test/integration/client/fixtures/greeter-node.ts';
const registry: Registry = createRegistry('mdns', '127.0.0.1');
const watcherRegistry = MdnsRegistry.fromAddress('127.0.0.1');
const client = new MicroClient(resolveOptions({ registry, env: false, client: { retries: 3 } }), 'greeter');
const started: Started[] = [];

async function startNode(): Promise<{ proc: Started; address: string }> {
  const proc = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', fixture]);
  started.push(proc);
  await waitFor(() => /node ready (\S+)/.test(proc.output()), 60_000, 'node start');
  const address = /node ready (\S+)/.exec(proc.output())![1]!;
  await waitFor(
    async () =>
      (await registry.getService('greeter')).some((s) => s.nodes.some((n) => n.address === address)),
    10_000,
    'node registered',
  );
  return { proc, address };
}

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  await client.options.transport.close();
  await registry.close?.();
  await watcherRegistry.close();
});

describe('rolling restart', () => {
  it('SIGTERM each of 3 nodes in turn under 32 concurrent calls: zero failed calls, deregistration before refusal', async () => {
    // When a node's deregistration is seen, it must still be accepting calls (propagation window).
    const afterDeregister: Array<Promise<unknown>> = [];
    const watcher = watcherRegistry.watch(
      (event) => {
        if (event.action !== 'delete') return;
        for (const node of event.service.nodes) {
          afterDeregister.push(
            client.call('greeter', 'Debug.Health', {}, { address: node.address, retries: 0 }),
          );
        }
      },
      { service: 'greeter' },
    );
    // The watcher is up before the nodes announce themselves, so it knows every one of them.
    const nodes = await Promise.all([startNode(), startNode(), startNode()]);

    const stopped = new AbortController(); // ends every worker's loop
    let calls = 0;
    const failures: unknown[] = [];
    const worker = async (): Promise<void> => {
      while (!stopped.signal.aborted) {
        try {
          await client.call('greeter', 'Greeter.Hello', { name: 'roll' });
          calls++;
        } catch (error) {
          failures.push(error instanceof MicroError ? error.toJSON() : String(error));
        }
      }
    };
    const workers = Array.from({ length: 32 }, worker);
    for (const old of nodes) {
      await startNode();
      await old.proc.stop('SIGTERM');
      expect(old.proc.child.exitCode === 0 || old.proc.child.signalCode === 'SIGTERM').toBe(true);
    }
    stopped.abort();
    await Promise.all(workers);
    watcher.stop();

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(100);
    expect(afterDeregister.length).toBeGreaterThanOrEqual(3);
    expect(await Promise.all(afterDeregister)).toEqual(afterDeregister.map(() => ({ status: 'ok' })));
  }, 120000);
});
