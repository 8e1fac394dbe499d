// MicroDashboard's HTTP API over a real Nest service (memory registry and broker, the caller's
// MicroClient): the services and their live snapshot, calls and their MicroErrors, streams over a
// WebSocket, publish and subscribe, each node's health and stats.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Service } from '../../../lib/core/registry/index.js';
import { MicroDashboard } from '../../../lib/web/index.js';
import { waitFor } from '../../support/processes.js';
import { stats as producer } from '../streaming/chat.fixture.js';
import { SseReader, startWebApps, StreamSocket, type WebApps } from './web.helpers.js';

const extra: Service = {
  name: 'extra',
  version: '2',
  metadata: {},
  endpoints: [{ name: 'Extra.Do', metadata: {} }],
  nodes: [{ id: 'extra-1', address: '127.0.0.1:9', metadata: {} }],
};

/** The service names of an `event: services`. */
const names = (e: { data: unknown }): string[] =>
  (e.data as { services: Service[] }).services.map((s) => s.name);

describe('MicroDashboard API over a Nest service', () => {
  let apps: WebApps;
  let dashboard: MicroDashboard;
  let base: string;

  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${base}/api/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeEach(() => producer.reset());

  beforeAll(async () => {
    apps = await startWebApps();
    dashboard = new MicroDashboard({
      client: apps.client,
      registry: apps.registry,
      broker: apps.broker,
      rateLimit: false,
    });
    base = `http://${await dashboard.listen('127.0.0.1:0')}`;
  });

  afterAll(async () => {
    await dashboard?.close();
    await apps?.close();
  });

  it('lists the services with their endpoints and nodes', async () => {
    const res = await fetch(`${base}/api/services`);
    expect(res.status).toBe(200);
    const { services } = (await res.json()) as { services: Service[] };
    const chat = services.find((s) => s.name === 'chat')!;
    expect(chat.endpoints.map((e) => e.name)).toEqual(expect.arrayContaining(['Chat.Echo', 'Greeter.Hello']));
    expect(chat.endpoints.find((e) => e.name === 'Chat.Echo')!.metadata).toEqual({ stream: 'true' });
    expect(chat.nodes).toHaveLength(1);
    expect(chat.nodes[0]!.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('sends a full snapshot first, then again when a service registers and deregisters', async () => {
    const feed = await SseReader.open(`${base}/api/events`);
    try {
      expect(feed.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const first = await feed.next((e) => e.event === 'services');
      expect(names(first)).toContain('chat');
      expect(names(first)).not.toContain('extra');
      await apps.registry.register(extra);
      await feed.next((e) => e.event === 'services' && names(e).includes('extra'));
      await apps.registry.deregister(extra);
      const gone = await feed.next((e) => e.event === 'services' && !names(e).includes('extra'));
      expect(names(gone)).toContain('chat');
    } finally {
      feed.close();
    }
  });

  it('calls an endpoint and answers its reply with the time it took', async () => {
    const res = await post('call', {
      service: 'chat',
      endpoint: 'Greeter.Hello',
      request: { name: 'Ann' },
      timeout: 5000,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { reply: unknown; ms: number };
    expect(body.reply).toEqual({ message: 'Hello Ann' });
    expect(body.ms).toBeGreaterThanOrEqual(0);
  });

  it("answers a service's MicroError as go-micro's error JSON with its code as status", async () => {
    const res = await post('call', { service: 'chat', endpoint: 'Greeter.Fail', request: {} });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      id: 'greeter',
      code: 409,
      detail: 'it failed on purpose',
      status: 'Conflict',
    });
  });

  it('refuses a stream endpoint on api/call', async () => {
    const res = await post('call', { service: 'chat', endpoint: 'Chat.Echo', request: {} });
    expect(res.status).toBe(400);
  });

  it('streams both ways over a WebSocket: send, end, replies, end', async () => {
    const ws = await StreamSocket.open(
      `${base.replace('http', 'ws')}/api/stream?service=chat&endpoint=Chat.Echo`,
    );
    for (const n of [1, 2, 3]) ws.send({ type: 'send', data: { n } });
    ws.send({ type: 'end' });
    await ws.closed;
    expect(ws.frames).toEqual([
      { type: 'message', data: { n: 1 } },
      { type: 'message', data: { n: 2 } },
      { type: 'message', data: { n: 3 } },
      { type: 'end' },
    ]);
  });

  it('serves a server stream: one send, then the replies', async () => {
    const ws = await StreamSocket.open(
      `${base.replace('http', 'ws')}/api/stream?service=chat&endpoint=Chat.Count`,
    );
    ws.send({ type: 'send', data: { count: 4 } });
    ws.send({ type: 'end' });
    await ws.closed;
    expect(ws.frames.map((f) => f.data ?? f.type)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }, 'end']);
  });

  it("reports a stream's failure as an error frame, after the replies before it", async () => {
    const ws = await StreamSocket.open(
      `${base.replace('http', 'ws')}/api/stream?service=chat&endpoint=Chat.FailAfter`,
    );
    ws.send({ type: 'end' });
    await ws.closed;
    expect(ws.frames.filter((f) => f.type === 'message')).toHaveLength(50);
    expect(ws.frames.at(-1)).toEqual({
      type: 'error',
      error: { id: 'chat.fail', code: 409, detail: 'failed after 50', status: 'Conflict' },
    });
  });

  it('cancels a stream: the server ends and closes the socket', async () => {
    const ws = await StreamSocket.open(
      `${base.replace('http', 'ws')}/api/stream?service=chat&endpoint=Chat.Ticker`,
    );
    ws.send({ type: 'send', data: {} });
    await ws.until(3);
    ws.send({ type: 'cancel' });
    expect(await ws.closed).toBe(1000);
    expect(ws.frames.at(-1)).toEqual({ type: 'end', cancelled: true });
    // end to end: the service's producer was torn down
    await waitFor(() => producer.stopped, 10_000, 'the Ticker producer stopped');
  });

  it('cancels the stream end to end when the page closes the socket', async () => {
    const ws = await StreamSocket.open(
      `${base.replace('http', 'ws')}/api/stream?service=chat&endpoint=Chat.Ticker`,
    );
    ws.send({ type: 'send', data: {} });
    await ws.until(3);
    ws.socket.close();
    await ws.closed;
    await waitFor(() => producer.stopped, 10_000, 'the Ticker producer stopped');
  });

  it('refuses a stream to an endpoint the registry does not list before upgrading', async () => {
    const ws = base.replace('http', 'ws');
    expect(await StreamSocket.refused(`${ws}/api/stream?service=chat&endpoint=Chat.Nope`)).toBe(404);
    expect(await StreamSocket.refused(`${ws}/api/stream?service=nope&endpoint=Chat.Echo`)).toBe(404);
    expect(await StreamSocket.refused(`${ws}/api/stream?service=chat&endpoint=Greeter.Hello`)).toBe(400);
  });

  it('publishes, and a subscribed page sees the message', async () => {
    const feed = await SseReader.open(`${base}/api/subscribe?topic=web.test`);
    try {
      expect(feed.response.status).toBe(200);
      const res = await post('publish', { topic: 'web.test', message: { hi: 1 }, metadata: { who: 'me' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
      const event = await feed.next((e) => e.event === 'message');
      expect(event.data).toMatchObject({ topic: 'web.test', message: { hi: 1 }, metadata: { who: 'me' } });
      expect((event.data as { at: number }).at).toBeGreaterThan(0);
    } finally {
      feed.close();
    }
  });

  it('ends its open live feeds when it closes, so a server holding it can close', async () => {
    const other = new MicroDashboard({ client: apps.client, registry: apps.registry, broker: apps.broker });
    const otherBase = `http://${await other.listen('127.0.0.1:0')}`;
    const events = await SseReader.open(`${otherBase}/api/events`);
    const messages = await SseReader.open(`${otherBase}/api/subscribe?topic=web.closing`);
    await events.next((e) => e.event === 'services');
    await other.close();
    await Promise.all([events.ended, messages.ended]);
  });

  it('asks every node for Debug.Health', async () => {
    const res = await fetch(`${base}/api/health?service=chat`);
    expect(res.status).toBe(200);
    const { nodes } = (await res.json()) as { nodes: Array<Record<string, unknown>> };
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ status: 'SERVING', version: expect.any(String) });
    expect(nodes[0]!.ms).toBeGreaterThanOrEqual(0);
  });

  it('asks every node for Debug.Stats, with the latency histogram of a nest-micro node', async () => {
    await post('call', { service: 'chat', endpoint: 'Greeter.Hello', request: {} });
    const res = await fetch(`${base}/api/stats?service=chat`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      at: number;
      nodes: Array<{ stats: { requests: number; latency: { bounds: number[]; counts: number[] } } }>;
      chaos: { ejected: unknown[]; breakers: unknown[] };
    };
    expect(body.at).toBeGreaterThan(0);
    const stats = body.nodes[0]!.stats;
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.latency.counts).toHaveLength(stats.latency.bounds.length + 1);
    expect(stats.latency.counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(body.chaos).toEqual({ ejected: expect.any(Array), breakers: expect.any(Array) });
  });

  it("never asks a broker's subscription entry for health or stats (it is no RPC server)", async () => {
    const entry = {
      name: 'micro.http.broker',
      version: 'ff.http.broadcast',
      metadata: {},
      endpoints: [],
      nodes: [{ id: 'sub-1', address: '127.0.0.1:1', metadata: { broker: 'http', topic: 'web.x' } }],
    };
    await apps.registry.register(entry);
    try {
      const health = (await (await fetch(`${base}/api/health?service=micro.http.broker`)).json()) as {
        nodes: unknown[];
      };
      const stats = (await (await fetch(`${base}/api/stats?service=micro.http.broker`)).json()) as {
        nodes: unknown[];
        chaos: { ejected: Array<{ node: string }> };
      };
      expect(health.nodes).toEqual([]);
      expect(stats.nodes).toEqual([]);
      expect(stats.chaos.ejected.map((e) => e.node)).not.toContain('sub-1');
    } finally {
      await apps.registry.deregister(entry);
    }
  });

  it('answers a 404 for health and stats of a service not in the registry', async () => {
    expect((await fetch(`${base}/api/health?service=nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/stats?service=nope`)).status).toBe(404);
  });
});
