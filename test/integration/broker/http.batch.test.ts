/**
 * The HTTP broker's batch extension (lib/broker/http/batch.ts): between nest-micro nodes the
 * deliveries of one turn to one node go as one POST, each publish still answered by its own
 * envelope's outcome; an address whose replies lack the batch mark (go-micro) only ever gets
 * go-micro's one envelope per POST, and a batch answered without the mark is sent again one by one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpBroker } from '../../../lib/core/broker/http.broker.js';
import { BATCH_CONTENT_TYPE, BATCH_HEADER, splitBatch } from '../../../lib/core/broker/http/batch.js';
import { createReceiver } from '../../../lib/core/broker/http/receiver.js';
import type { BrokerEvent } from '../../../lib/core/broker/broker.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import { waitFor } from '../../support/processes.js';
import { registerSubscriberNode } from './harness.js';

const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).toReversed()) await close();
});

interface Post {
  type: string | undefined;
  envelopes: number;
}

/**
 * An HTTP listener registered as the subscriber node `<topic>-n1`, recording each POST: `serve`
 * answers it once its body is in, or `direct` is handed the request at once.
 */
async function node(
  registry: MemoryRegistry,
  topic: string,
  serve: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  direct?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ posts: Post[]; server: Server }> {
  const posts: Post[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = req.headers['content-type'];
      posts.push({ type, envelopes: type === BATCH_CONTENT_TYPE ? splitBatch(body).length : 1 });
      if (!direct) serve(req, res, body);
    });
    direct?.(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closing.push(() => new Promise((r) => server.close(r)));
  closing.push(async () => server.closeAllConnections());
  const port = (server.address() as { port: number }).port;
  await registerSubscriberNode(registry, topic, `${topic}-n1`, `127.0.0.1:${port}`);
  return { posts, server };
}

async function publisher(registry: MemoryRegistry, retryInterval = 50): Promise<HttpBroker> {
  const b = new HttpBroker({ registry, retryInterval });
  await b.connect();
  closing.push(() => b.disconnect());
  return b;
}

const message = (n: number) => ({
  header: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ n })),
});
const numberOf = (e: BrokerEvent): number => JSON.parse(e.message.body.toString()).n as number;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('HttpBroker batches', () => {
  it('sends the deliveries of one turn to a nest-micro node as one POST, each publish answered', async () => {
    const registry = new MemoryRegistry();
    const got: number[] = [];
    const attempts = new Map<number, number>();
    const receiver = createReceiver({
      find: () => ({
        topic: 'b',
        autoAck: true,
        handler: (e) => {
          const n = numberOf(e);
          attempts.set(n, (attempts.get(n) ?? 0) + 1);
          if (n % 5 === 4 && attempts.get(n) === 1) throw new Error(`first try of ${n} fails`);
          got.push(n);
        },
      }),
      maxBodySize: 4 * 1024 * 1024,
      ackTimeout: 1_000,
    });
    const { posts } = await node(
      registry,
      'b',
      () => {},
      (req, res) => void receiver(req, res),
    );
    const b = await publisher(registry, 500);
    await b.publish('b', message(0)); // a single POST: learns the batch mark
    await Promise.all(range(40).map((n) => b.publish('b', message(n))));
    expect(posts[0]).toEqual({ type: 'application/json', envelopes: 1 });
    expect(posts.length).toBeLessThanOrEqual(3);
    expect(posts.slice(1).reduce((n, p) => n + p.envelopes, 0)).toBe(40);
    expect(posts[1]!.type).toBe(BATCH_CONTENT_TYPE);
    expect(b.stats().queued).toBe(8);
    // 4, 9, … 39 failed once: they sit in the retry inbox and come again
    await waitFor(() => got.length === 41 && b.stats().queued === 0, 10_000, 'retries delivered');
    expect(got.toSorted((x, y) => x - y)).toEqual([0, ...range(40)]);
  });

  it('a node without the batch mark (go-micro) gets one envelope per POST', async () => {
    const registry = new MemoryRegistry();
    const { posts } = await node(registry, 'g', (_req, res) => res.end());
    const b = await publisher(registry);
    await b.publish('g', message(0));
    await Promise.all(range(20).map((n) => b.publish('g', message(n))));
    expect(posts).toHaveLength(21);
    expect(posts.every((p) => p.type === 'application/json' && p.envelopes === 1)).toBe(true);
  });

  it('a batch answered without the mark (go-micro now on that address) is sent again one by one', async () => {
    const registry = new MemoryRegistry();
    let goMicro = false;
    const singles: string[] = [];
    const { posts } = await node(registry, 'x', (req, res, body) => {
      if (!goMicro) return void res.writeHead(200, { [BATCH_HEADER]: '1' }).end();
      if (req.headers['content-type'] === BATCH_CONTENT_TYPE) {
        res.writeHead(500).end('{"id":"go.micro.broker","code":500,"detail":"Error parsing request body"}');
        return;
      }
      singles.push(body.toString());
      res.end();
    });
    const b = await publisher(registry);
    await b.publish('x', message(0));
    goMicro = true;
    await Promise.all(range(10).map((n) => b.publish('x', message(n))));
    expect(b.stats().queued).toBe(0);
    expect(singles).toHaveLength(10);
    expect(posts.filter((p) => p.type === BATCH_CONTENT_TYPE)).toHaveLength(1);
    await Promise.all(range(5).map((n) => b.publish('x', message(n))));
    expect(singles).toHaveLength(15);
    expect(posts.filter((p) => p.type === BATCH_CONTENT_TYPE)).toHaveLength(1);
  });
});
