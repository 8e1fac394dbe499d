// mDNS on 127.0.0.1 between real processes: two child processes find each other (query answers
// and watch announcements), a deregistration (goodbye) is seen by the other, and a SIGKILLed
// node leaves once its record TTL lapses.
import { afterAll, describe, expect, it } from 'vitest';
import { MdnsRegistry } from '../../../lib/core/registry/mdns/mdns.registry.js';
import type { WatchEvent } from '../../../lib/core/registry/registry.js';
import { startProcess, waitFor, type Started } from '../../support/processes.js';

const started: Started[] = [];
function node(service: string, id: string, port: number, peer: string, ttl = 3000): Started {
  const p = startProcess(process.execPath, [
    '--import',
    './scripts/register-ts.mjs',
    'test/integration/registry/fixtures/mdns-node.ts',
    service,
    id,
    String(port),
    peer,
    String(ttl),
  ]);
  started.push(p);
  return p;
}
const lines = (p: Started): Array<Record<string, unknown>> =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const lastFound = (p: Started): unknown => lines(p).findLast((l) => 'found' in l)?.found;
const seen = (p: Started, what: string): Promise<void> =>
  waitFor(() => JSON.stringify(lastFound(p)) === what, 20_000, `${what} in ${p.output()}`);

afterAll(async () => {
  for (const p of started) await p.stop('SIGKILL');
});

describe('mDNS registry between processes on 127.0.0.1', () => {
  it('two processes discover each other and see a deregistration', async () => {
    const a = node('alpha', 'alpha-1', 7101, 'beta');
    const b = node('beta', 'beta-1', 7102, 'alpha');
    await seen(a, '["beta-1@127.0.0.1:7102"]');
    await seen(b, '["alpha-1@127.0.0.1:7101"]');
    expect(lines(a)).toContainEqual({ event: 'create', nodes: ['beta-1'] });

    await b.stop('SIGTERM');
    expect(b.child.exitCode).toBe(0);
    await waitFor(() => lines(a).some((l) => l.event === 'delete'), 10_000, 'goodbye seen');
    expect(lines(a)).toContainEqual({ event: 'delete', nodes: ['beta-1'] });
    await seen(a, '[]');
  });

  it('a SIGKILLed node leaves when its record TTL lapses', async () => {
    const registry = new MdnsRegistry({ interface: '127.0.0.1' });
    const events: WatchEvent[] = [];
    registry.watch((e) => events.push(e), { service: 'gamma' });
    try {
      const c = node('gamma', 'gamma-1', 7103, '', 2000);
      await waitFor(async () => (await registry.getService('gamma')).length === 1, 20_000, 'gamma found');
      const [svc] = await registry.getService('gamma');
      expect(svc?.nodes[0]).toMatchObject({ id: 'gamma-1', address: '127.0.0.1:7103' });
      expect(svc?.endpoints.map((e) => e.name)).toEqual(['Greeter.Hello']);
      await waitFor(() => events.some((e) => e.action === 'create'), 10_000, 'create');

      await c.stop('SIGKILL');
      await waitFor(() => events.some((e) => e.action === 'delete'), 10_000, 'TTL lapse');
      expect(events.find((e) => e.action === 'delete')?.service.nodes.map((n) => n.id)).toEqual(['gamma-1']);
      expect(await registry.getService('gamma')).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});
