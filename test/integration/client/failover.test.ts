import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../lib/core/transport/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroError } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/nest/options.js';
import { type AttemptWrapper } from '../../../lib/core/client/index.js';
import { freePort } from '../../support/ports.js';
import { startProcess, waitFor, type Started } from '../../support/processes.js';

const fixture = 'test/integration/client/fixtures/greeter-node.ts';

async function startNode(
  address = '127.0.0.1:0',
  transport = 'tcp',
): Promise<{ proc: Started; address: string }> {
  const proc = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', fixture], {
    NODE_ADDRESS: address,
    MICRO_REGISTRY: '',
    MICRO_TRANSPORT: transport,
  });
  await waitFor(() => /node ready (\S+)/.test(proc.output()), 60_000, 'node start');
  return { proc, address: /node ready (\S+)/.exec(proc.output())![1]! };
}

describe('failover: a node SIGKILLed under load', () => {
  const registry = new MemoryRegistry();
  const nodes: Array<{ proc: Started; address: string }> = [];

  beforeAll(async () => {
    nodes.push(...(await Promise.all([startNode(), startNode(), startNode()])));
    await registry.register({
      name: 'greeter',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: nodes.map((n, i) => ({ id: `greeter-${i}`, address: n.address, metadata: {} })),
    });
  }, 90000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.proc.stop('SIGKILL')));
  }, 90000);

  it('costs the caller nothing at 32 concurrent calls, and the dead node leaves rotation', async () => {
    const attemptsTo = new Map<string, number>();
    const count: AttemptWrapper = (next) => (a) => {
      attemptsTo.set(a.node.address, (attemptsTo.get(a.node.address) ?? 0) + 1);
      return next(a);
    };
    const client = new MicroClient(
      resolveOptions({ registry, env: false, client: { retries: 2, attemptWrappers: [count] } }),
      'greeter',
    );
    const victim = nodes[0]!;
    let done = 0;
    let killedAt = -1;
    const failures: unknown[] = [];
    const total = 3_000;
    const worker = async (): Promise<void> => {
      while (done < total) {
        done++;
        if (done === 600 && killedAt < 0) {
          killedAt = done;
          victim.proc.child.kill('SIGKILL');
        }
        try {
          const reply = await client.call<{ msg: string }>('greeter', 'Greeter.Hello', { name: 'x' });
          if (reply.msg !== 'Hello x') failures.push(reply);
        } catch (error) {
          failures.push(error instanceof MicroError ? error.toJSON() : String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    expect(failures).toEqual([]);
    expect(killedAt).toBe(600);
    // After the kill the victim is ejected: the attempts it still received are a handful (in-flight
    // ones, the ejection threshold and the occasional half-open probe), not a third of 2,400 calls.
    const toVictim = attemptsTo.get(victim.address) ?? 0;
    const toOthers = [...attemptsTo.entries()]
      .filter(([a]) => a !== victim.address)
      .reduce((n, [, c]) => n + c, 0);
    expect(toOthers).toBeGreaterThanOrEqual(total - 600);
    expect(toVictim).toBeLessThan(600 / 3 + 100);
    await client.options.transport.close();
  }, 90000);
});

describe.each(['tcp', 'http'])('connection pool (%s)', (transport) => {
  it('a server restarted on the same port does not leave the client on dead sockets', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let node = await startNode(address, transport);
    const client = new MicroClient(
      resolveOptions({ env: false, transport: createTransport(transport), client: { address, retries: 0 } }),
      'greeter',
    );
    try {
      const first = await client.call<{ pid: number }>('greeter', 'Greeter.Hello', { name: 'a' });
      await Promise.all(
        Array.from({ length: 8 }, () => client.call('greeter', 'Greeter.Hello', { name: 'warm' })),
      );
      await node.proc.stop('SIGKILL');
      node = await startNode(address, transport);
      // Even with no retries allowed, no call may be sent down a socket of the dead process.
      const replies = await Promise.all(
        Array.from({ length: 8 }, () =>
          client.call<{ pid: number }>('greeter', 'Greeter.Hello', { name: 'b' }),
        ),
      );
      for (const r of replies) expect(r.pid).not.toBe(first.pid);
    } finally {
      await node.proc.stop('SIGKILL');
      await client.options.transport.close();
    }
  }, 90000);
});
