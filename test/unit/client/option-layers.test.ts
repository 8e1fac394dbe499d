import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryRegistry, type Service } from '../../../lib/core/registry/index.js';
import { MicroClient } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/nest/options.js';
import { type Filter } from '../../../lib/core/selector/index.js';

describe('call option layers (module → client → with() → call)', () => {
  it('compose filters and wrappers across layers instead of replacing them', async () => {
    const registry = new MemoryRegistry();
    const seen: string[] = [];
    const tag =
      (name: string): Filter =>
      (services: Service[]) => (seen.push(name), services);
    const client = new MicroClient(
      resolveOptions({ registry, env: false, client: { filters: [tag('module')] } }),
      'nobody',
      { filters: [tag('client')] },
    );
    await client
      .with({ filters: [tag('with')] })
      .call('nobody', 'Nobody.Home', {}, { filters: [tag('call')] })
      .catch(() => undefined);
    // the service is unknown (404 before filtering), so register it and look again
    await registry.register({
      name: 'nobody',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'n', address: '127.0.0.1:1', metadata: {} }],
    });
    await client
      .with({ filters: [tag('with')], metadata: { a: '1' } })
      .call('nobody', 'Nobody.Home', {}, { filters: [tag('call')], retries: 0, timeout: 200 })
      .catch(() => undefined);
    expect(seen).toEqual(['module', 'client', 'with', 'call']);
    seen.length = 0;
    await new Promise<void>((resolve) =>
      client
        .with({ filters: [tag('with')] })
        .stream('nobody', 'Nobody.Talk', from([1]), { filters: [tag('stream')], timeout: 200 })
        .subscribe({ error: () => resolve(), complete: () => resolve() }),
    );
    expect(seen).toEqual(['module', 'client', 'with', 'stream']);
    await client.options.transport.close();
  });
});
