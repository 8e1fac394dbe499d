/**
 * HTTP broker in one process: the registry entries, the go-micro wire format both ways, queue
 * failover from a throwing member, the retry-inbox bound, manual ack, and bad requests.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerEvent } from '../../../lib/core/broker/broker.js';
import {
  BROADCAST_VERSION,
  HTTP_BROKER_SERVICE,
  HttpBroker,
  type HttpBrokerOptions,
} from '../../../lib/core/broker/http.broker.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import type { Registry } from '../../../lib/core/registry/registry.js';
import { waitFor } from '../../support/processes.js';
import { registerSubscriberNode } from './harness.js';

const brokers: HttpBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.disconnect()));
});

async function broker(registry: Registry, options: Partial<HttpBrokerOptions> = {}): Promise<HttpBroker> {
  const b = new HttpBroker({ registry, retryInterval: 50, ...options });
  brokers.push(b);
  await b.connect();
  return b;
}

const envelope = (topic: string): string => JSON.stringify({ Header: { 'Micro-Topic': topic }, Body: '' });
const text = (s: string) => ({ header: { 'content-type': 'text/plain' }, body: Buffer.from(s) });

describe('HttpBroker', () => {
  it('announces each subscription under micro.http.broker and withdraws it on unsubscribe', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry);
    const s1 = await b.subscribe('orders', () => {});
    await b.subscribe('orders', () => {}, { queue: 'billing' });
    const services = await registry.getService(HTTP_BROKER_SERVICE);
    expect(services.map((s) => s.version).toSorted()).toEqual(['billing', BROADCAST_VERSION].toSorted());
    const nodes = services.flatMap((s) => s.nodes);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(2);
    for (const n of nodes) {
      expect(n.id.startsWith('orders-')).toBe(true);
      expect(n.address).toBe(b.address());
      expect(n.metadata).toEqual({ broker: 'http', topic: 'orders', secure: 'false' });
    }
    expect(b.address()).toMatch(/^127\.0\.0\.1:\d+$/);
    await s1.unsubscribe();
    expect((await registry.getService(HTTP_BROKER_SERVICE)).map((s) => s.version)).toEqual(['billing']);
  });

  it("POSTs go-micro envelopes to /?id=<nodeId> with go-micro's header keys", async () => {
    const registry = new MemoryRegistry();
    const seen: { url: string; method: string; type: string; body: string }[] = [];
    const fake = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url!, method: req.method!, type: req.headers['content-type']!, body });
        res.end();
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as { port: number }).port;
    await registerSubscriberNode(registry, 'events', 'events-go1', `127.0.0.1:${port}`);
    const b = await broker(registry);
    await b.publish('events', {
      header: { 'content-type': 'application/json', 'micro-id': '1' },
      body: Buffer.from('{"a":1}'),
    });
    fake.close();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ url: '/?id=events-go1', method: 'POST', type: 'application/json' });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      Header: { 'Content-Type': 'application/json', 'Micro-ID': '1', 'Micro-Topic': 'events' },
      Body: Buffer.from('{"a":1}\n').toString('base64'), // json.Encoder's newline, as go-micro writes it
    });
  });

  it('accepts what a go-micro publisher sends: canonical keys become lower-case, Body is base64', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry);
    const got: BrokerEvent[] = [];
    await b.subscribe('greet', (e) => void got.push(e));
    const [node] = (await registry.getService(HTTP_BROKER_SERVICE))[0]!.nodes;
    const res = await fetch(`http://${b.address()}/?id=${node!.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Header: { 'Micro-Topic': 'greet', 'Micro-ID': 'go-1', 'X-Trace': 't1' },
        Body: Buffer.from('hi').toString('base64'),
      }),
    });
    expect(res.status).toBe(200);
    expect(got[0]!.message.header).toEqual({ 'micro-topic': 'greet', 'micro-id': 'go-1', 'x-trace': 't1' });
    expect(got[0]!.message.body.toString()).toBe('hi');
  });

  it('answers bad requests with go-micro error JSON and never calls the handler', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry, { maxBodySize: 1024 });
    let calls = 0;
    await b.subscribe('t', () => void calls++);
    const id = (await registry.getService(HTTP_BROKER_SERVICE))[0]!.nodes[0]!.id;
    const post = (body: string, query = `?id=${id}`) =>
      fetch(`http://${b.address()}/${query}`, { method: 'POST', body });
    const cases: [Promise<Response>, number][] = [
      [fetch(`http://${b.address()}/?id=${id}`), 405],
      [post('{not json'), 400],
      [post('[]'), 400],
      [post(JSON.stringify({ Header: {}, Body: '' })), 400],
      [post(JSON.stringify({ Header: { 'Micro-Topic': 't' }, Body: '***' })), 400],
      [post(JSON.stringify({ Header: { 'Micro-Topic': 't', n: 1 } })), 400],
      [post(envelope('t'), '?id=nobody'), 404],
      [post(envelope('other'), `?id=${id}`), 404],
      [post('x'.repeat(2048)), 413],
    ];
    for (const [response, status] of cases) {
      const res = await response;
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ id: 'go.micro.broker', code: status });
    }
    expect(calls).toBe(0);
  });

  it('queue: a member whose handler throws gets a 500 and the message goes to another member', async () => {
    const registry = new MemoryRegistry();
    const good: string[] = [];
    let failures = 0;
    const a = await broker(registry);
    const c = await broker(registry);
    await a.subscribe(
      'jobs',
      () => {
        failures++;
        throw new Error('boom');
      },
      { queue: 'w' },
    );
    await c.subscribe('jobs', (e) => void good.push(e.message.body.toString()), { queue: 'w' });
    const p = await broker(registry);
    for (let i = 0; i < 20; i++) await p.publish('jobs', text(String(i)));
    expect(good.toSorted()).toEqual(Array.from({ length: 20 }, (_, i) => String(i)).toSorted());
    expect(failures).toBeGreaterThan(0);
    expect(p.stats()).toMatchObject({ queued: 0, dropped: 0 });
  });

  it('a handler that throws gets the message again from the retry inbox; maxAttempts bounds it', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry, { maxAttempts: 3 });
    let calls = 0;
    const got: string[] = [];
    await b.subscribe('flaky', (e) => {
      if (++calls === 1) throw new Error('first time fails');
      got.push(e.message.body.toString());
    });
    let poison = 0;
    await b.subscribe('poison', () => {
      poison++;
      throw new Error('always');
    });
    await b.publish('flaky', text('x'));
    await b.publish('poison', text('y'));
    await waitFor(() => got.length === 1 && b.stats().rejected === 1, 10_000, 'retry and give-up');
    expect(got).toEqual(['x']);
    expect(poison).toBe(3);
    expect(b.stats().queued).toBe(0);
  });

  it('a subscriber slower than the timeout is retried a bounded number of times, not forever', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry, { maxAttempts: 3, timeout: 50 });
    let calls = 0;
    let release!: () => void;
    const never = new Promise<void>((r) => (release = r));
    await b.subscribe('slow', () => {
      calls++;
      return never;
    });
    await b.publish('slow', text('z'));
    await waitFor(() => b.stats().rejected === 1, 10_000, 'give-up after maxAttempts timeouts');
    expect(calls).toBe(3);
    expect(b.stats().queued).toBe(0);
    release();
  });

  it('manual ack: the publisher is answered only once the handler calls ack()', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry, { timeout: 300 });
    let calls = 0;
    await b.subscribe(
      'manual',
      (e) => {
        calls++;
        if (calls > 1) setTimeout(() => void e.ack(), 10); // acknowledged after the handler returned
      },
      { autoAck: false },
    );
    await b.publish('manual', text('m')); // first delivery not acknowledged → queued for retry
    await waitFor(() => calls >= 2 && b.stats().queued === 0, 10_000, 'acknowledged retry');
    expect(calls).toBe(2);
  });

  it('rejects a publish with a MicroError and counts it when the retry inbox is full', async () => {
    const registry = new MemoryRegistry();
    await registerSubscriberNode(registry, 'down', 'down-1', '127.0.0.1:1');
    const b = await broker(registry, { inboxSize: 3, retryInterval: 60_000 });
    for (let i = 0; i < 3; i++) await b.publish('down', text(String(i)));
    const error = await b.publish('down', text('3')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 503 });
    expect(b.stats()).toMatchObject({ queued: 3, dropped: 1 });
  });

  it('drops retries for a subscriber that left the registry, and counts them', async () => {
    const registry = new MemoryRegistry();
    const gone = {
      id: 'gone-1',
      address: '127.0.0.1:1',
      metadata: { broker: 'http', topic: 'gone', secure: 'false' },
    };
    const service = { name: HTTP_BROKER_SERVICE, version: 'q', metadata: {}, endpoints: [], nodes: [gone] };
    await registry.register(service);
    const b = await broker(registry);
    await b.publish('gone', text('1'));
    expect(b.stats().queued).toBe(1);
    await registry.deregister(service);
    await waitFor(() => b.stats().gone === 1, 10_000, 'given up');
    expect(b.stats().queued).toBe(0);
  });

  it('fails with MicroErrors when not connected or when the registry fails', async () => {
    const registry = new MemoryRegistry();
    const idle = new HttpBroker({ registry });
    await expect(idle.publish('t', text('x'))).rejects.toMatchObject({ code: 503 });
    await expect(idle.subscribe('t', () => {})).rejects.toBeInstanceOf(MicroError);
    const broken: Registry = Object.assign(new MemoryRegistry(), {
      getService: async () => {
        throw new Error('registry down');
      },
      register: async () => {
        throw new Error('registry down');
      },
    });
    const b = await broker(broken);
    await expect(b.publish('t', text('x'))).rejects.toMatchObject({ code: 503, retryable: true });
    await expect(b.subscribe('t', () => {})).rejects.toMatchObject({ code: 503 });
  });

  it('cannot listen on a taken address: a MicroError, not a crash', async () => {
    const registry = new MemoryRegistry();
    const b = await broker(registry);
    const clash = new HttpBroker({ registry, address: b.address() });
    await expect(clash.connect()).rejects.toBeInstanceOf(MicroError);
  });
});
