// The chaos snapshot: the nodes a selector ejected and the breakers a client holds open, read-only,
// as Debug.Stats and the dashboard report them; merging several views keeps each entry once.
import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../../lib/core/client/circuit-breaker.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { chaosSnapshot, mergeChaos } from '../../../lib/core/metrics/chaos.js';
import { RegistrySelector } from '../../../lib/core/selector/index.js';
import { manualClock, node, service, StubRegistry } from '../selector/stub-registry.js';

const unavailable = () => MicroError.unavailable('go.micro.client', 'connection reset');

describe('chaos snapshot', () => {
  it("lists a selector's ejected nodes until they recover", () => {
    const clock = manualClock();
    const registry = new StubRegistry({ pay: [service('v1', [node('a'), node('b')])] });
    const selector = new RegistrySelector({ registry, clock: clock.now, failureThreshold: 2 });
    const a = node('a');
    selector.mark('pay', a, unavailable());
    expect(selector.ejectedNodes()).toEqual([]);
    selector.mark('pay', a, unavailable());
    expect(selector.ejectedNodes()).toEqual([{ service: 'pay', node: a.id, address: a.address }]);
    expect(chaosSnapshot().ejected).toContainEqual({ service: 'pay', node: a.id, address: a.address });
    selector.mark('pay', a, null);
    expect(selector.ejectedNodes()).toEqual([]);
    expect(chaosSnapshot().ejected).not.toContainEqual({ service: 'pay', node: a.id, address: a.address });
  });

  it("lists a client's open breakers with their scope", () => {
    const breakers = new CircuitBreakers();
    const whole = breakers.for('ledger', 'Ledger.Add', { consecutive: 1 });
    const endpoint = breakers.for('ledger', 'Ledger.Get', { consecutive: 1, scope: 'endpoint' });
    expect(breakers.openBreakers()).toEqual([]);
    whole.exit(whole.enter(Date.now()) as number, unavailable());
    endpoint.exit(endpoint.enter(Date.now()) as number, unavailable());
    expect(breakers.openBreakers()).toEqual([
      { service: 'ledger', state: 'open' },
      { service: 'ledger', endpoint: 'Ledger.Get', state: 'open' },
    ]);
    expect(chaosSnapshot().breakers).toEqual(
      expect.arrayContaining([{ service: 'ledger', endpoint: 'Ledger.Get', state: 'open' }]),
    );
  });

  it('merges views, each node and breaker once', () => {
    const e = { service: 's', node: 'n', address: '127.0.0.1:1' };
    const b = { service: 's', state: 'open' as const };
    expect(mergeChaos({ ejected: [e], breakers: [b] }, { ejected: [{ ...e }] }, undefined)).toEqual({
      ejected: [e],
      breakers: [b],
    });
  });
});
