/**
 * Span attributes: the current RPC and messaging names by default, and the older ones beside them
 * when OTEL_SEMCONV_STABILITY_OPT_IN asks (`rpc/dup`, `messaging/dup`; read when the module loads).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

type Attributes = typeof import('../../../lib/core/telemetry/attributes.js');
type Errors = typeof import('../../../lib/core/errors/index.js');

/** MicroError as the freshly loaded attributes module knows it (modules are reset per load). */
let MicroError: Errors['MicroError'];

async function load(optIn = ''): Promise<Attributes> {
  vi.resetModules();
  vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', optIn);
  ({ MicroError } = await import('../../../lib/core/errors/index.js'));
  return import('../../../lib/core/telemetry/attributes.js');
}

const node = { id: 'greeter-1', address: '127.0.0.1:4100', metadata: {} };

describe('span attributes', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('uses the current names only by default', async () => {
    const a = await load();
    expect(a.rpcAttributes('greeter', 'Greeter.Hello')).toEqual({
      'rpc.system.name': 'go-micro',
      'rpc.method': 'greeter.Greeter.Hello',
    });
    expect(a.nodeAttributes(node)).toEqual({
      'server.address': '127.0.0.1',
      'server.port': 4100,
      'micro.node.id': 'greeter-1',
    });
    expect(a.failureOf(new MicroError('greeter', 'taken', 409)).attributes).toEqual({
      'rpc.status_code': '409',
      'error.type': '409',
    });
    expect(a.messagingAttributes('nats', 'orders', true)).not.toHaveProperty('messaging.operation');
  });

  it('adds the older RPC names with rpc/dup, keeping the current ones', async () => {
    const a = await load('http, rpc/dup');
    expect(a.rpcAttributes('greeter', 'Greeter.Hello')).toEqual({
      'rpc.system.name': 'go-micro',
      'rpc.method': 'greeter.Greeter.Hello',
      'rpc.system': 'go-micro',
      'rpc.service': 'greeter',
    });
    expect(a.nodeAttributes({ ...node, address: '[::1]:4100' })).toMatchObject({
      'server.address': '::1',
      'net.peer.name': '::1',
      'net.peer.port': 4100,
    });
    expect(a.failureOf(MicroError.unavailable('greeter', 'down')).attributes).toEqual({
      'rpc.status_code': '503',
      'rpc.response.status_code': '503',
      'error.type': '503',
    });
    expect(a.messagingAttributes('nats', 'orders', true)).not.toHaveProperty('messaging.operation');
  });

  it('adds messaging.operation with messaging/dup', async () => {
    const a = await load('messaging/dup');
    expect(a.messagingAttributes('nats', 'orders', true)).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.operation': 'publish',
    });
    expect(a.messagingAttributes('nats', 'orders', false)).toMatchObject({
      'messaging.operation': 'process',
    });
    expect(a.rpcAttributes('greeter', 'Greeter.Hello')).not.toHaveProperty('rpc.system');
  });

  it('gives a failure that is not a MicroError its class as error.type', async () => {
    const a = await load();
    expect(a.failureOf(new TypeError('bad')).attributes).toEqual({ 'error.type': 'TypeError' });
  });
});
