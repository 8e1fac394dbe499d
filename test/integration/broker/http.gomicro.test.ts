/**
 * HTTP broker between nest-micro and go-micro v5, at the HTTP level. A Node publish is the request
 * a go-micro publisher sends (client.Publish + broker/http.go: header keys `Content-Type`,
 * `Micro-ID`, `Micro-Topic`, json.Marshal's sorted keys and escaping, a JSON body written by
 * json.Encoder with its trailing newline) and passes go-micro's subscriber checks
 * (httpBroker.ServeHTTP, rpcServer.HandleEvent: exact-key lookups, a Content-Type among its
 * codecs). A go-micro publisher's request reaches a @Subscriber with its id, metadata and
 * Content-Type.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_BROKER_SERVICE, HttpBroker } from '../../../lib/core/broker/http.broker.js';
import { encodeEnvelope } from '../../../lib/core/broker/http/envelope.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroContext, MicroModule, MicroServer, Subscriber } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/nest/options.js';
import { waitFor } from '../../support/processes.js';
import { registerSubscriberNode } from './harness.js';

/** server/rpc_codec.go DefaultCodecs: the Content-Types a go-micro subscriber can decode. */
const GO_SERVER_CODECS = [
  'application/grpc',
  'application/grpc+json',
  'application/grpc+proto',
  'application/json',
  'application/json-rpc',
  'application/protobuf',
  'application/proto-rpc',
  'application/octet-stream',
];

/** What a go-micro publisher POSTs: json.Marshal(broker.Message), map keys sorted, Body base64. */
function goEnvelope(header: Record<string, string>, body: string): string {
  const keys = Object.keys(header).toSorted();
  const h = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(header[k])}`).join(',');
  return `{"Header":{${h}},"Body":"${Buffer.from(body).toString('base64')}"}`;
}

const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).toReversed()) await close();
});

interface Captured {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** A go-micro subscriber's broker listener, registered as a node of `topic`. */
async function goSubscriber(registry: MemoryRegistry, topic: string): Promise<Captured[]> {
  const seen: Captured[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], body });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closing.push(() => new Promise((r) => server.close(r)));
  await registerSubscriberNode(
    registry,
    topic,
    `${topic}-go1`,
    `127.0.0.1:${(server.address() as { port: number }).port}`,
  );
  return seen;
}

/**
 * go-micro's subscriber side on one request: ServeHTTP (json.Unmarshal into broker.Message,
 * `Header["Micro-Topic"]`, `?id=`) then HandleEvent (`Header["Content-Type"]`, default
 * application/protobuf, exact codec lookup). Returns what the Go handler would get, or why not.
 */
function goDispatch(req: Captured, subscriberId: string): { header: Record<string, string>; body: Buffer } {
  if (req.method !== 'POST') throw new Error('405');
  const m = JSON.parse(req.body) as { Header: Record<string, string> | null; Body: string | null };
  const header = m.Header ?? {};
  if (!header['Micro-Topic']) throw new Error('Topic not found');
  if (new URL(req.url, 'http://go').searchParams.get('id') !== subscriberId) throw new Error('no subscriber');
  const contentType = header['Content-Type'] || 'application/protobuf';
  if (!GO_SERVER_CODECS.includes(contentType)) throw new Error(`unsupported Content-Type: ${contentType}`);
  return { header, body: Buffer.from(m.Body ?? '', 'base64') };
}

/** The body an envelope carries for a message of `contentType`. */
function envelopeBody(contentType: string, text: string): string {
  const env = JSON.parse(
    encodeEnvelope('t', { header: { 'content-type': contentType }, body: Buffer.from(text) }).toString(),
  ) as { Body: string };
  return Buffer.from(env.Body, 'base64').toString();
}

describe('Node publish → go-micro subscriber', () => {
  it('sends the envelope a go-micro publisher sends, byte for byte, and Go would dispatch it', async () => {
    const registry = new MemoryRegistry();
    const seen = await goSubscriber(registry, 'orders');
    const broker = new HttpBroker({ registry });
    closing.push(() => broker.disconnect());
    const client = new MicroClient(resolveOptions({ registry, broker, env: false }));
    await client.publish('orders', { id: 1, note: '<a&b>' }, { metadata: { 'x-tenant': 'acme' } });

    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(req).toMatchObject({ method: 'POST', url: '/?id=orders-go1', contentType: 'application/json' });
    const { header, body } = goDispatch(req, 'orders-go1');
    const id = header['Micro-ID']!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(header).toEqual({
      'Content-Type': 'application/json',
      'Micro-ID': id,
      'Micro-Topic': 'orders',
      'X-Tenant': 'acme',
    });
    // json.Encoder: Go's HTML escaping and a trailing newline
    expect(body.toString()).toBe('{"id":1,"note":"\\u003ca\\u0026b\\u003e"}\n');
    expect(req.body).toBe(goEnvelope(header, body.toString()));
  });

  it("spells go-micro's ID headers its way and sorts keys as json.Marshal does", () => {
    const envelope = encodeEnvelope('t', {
      header: {
        'micro-trace-id': 'tr',
        'x-b': '2',
        'micro-span-id': 'sp',
        'a-first': '<1>',
        'micro-id': 'i',
        'content-type': 'application/octet-stream',
      },
      body: Buffer.from([0, 1, 2]),
    });
    expect(envelope.toString()).toBe(
      '{"Header":{"A-First":"\\u003c1\\u003e","Content-Type":"application/octet-stream","Micro-ID":"i",' +
        '"Micro-Span-ID":"sp","Micro-Topic":"t","Micro-Trace-ID":"tr","X-B":"2"},"Body":"AAEC"}',
    );
  });

  it('sorts numeric header keys by bytes too, and keeps __proto__ a plain key', () => {
    const envelope = encodeEnvelope('t', {
      header: { '10': 'a', '9': 'b', __proto__x: 'c' },
      body: Buffer.alloc(0),
    });
    expect(envelope.toString()).toBe(
      '{"Header":{"10":"a","9":"b","Micro-Topic":"t","__proto__x":"c"},"Body":""}',
    );
    const proto = encodeEnvelope('t', { header: JSON.parse('{"__proto__":"p"}'), body: Buffer.alloc(0) });
    expect(proto.toString()).toBe('{"Header":{"Micro-Topic":"t","__proto__":"p"},"Body":""}');
  });

  it('adds the newline only to a JSON body that lacks it', () => {
    expect(envelopeBody('application/json', '{"a":1}')).toBe('{"a":1}\n');
    expect(envelopeBody('application/json', '{"a":1}\n')).toBe('{"a":1}\n');
    expect(envelopeBody('application/json', '')).toBe('');
    expect(envelopeBody('application/json-rpc', '{"a":1}')).toBe('{"a":1}'); // jsonrpc's Event write: json.Marshal
    expect(envelopeBody('text/plain', 'x')).toBe('x');
  });
});

const received: Array<{
  payload: unknown;
  id: string;
  contentType: string;
  tenant?: string;
  topic?: string;
}> = [];

@Controller()
class OrdersController {
  @Subscriber('orders.created')
  created(@Payload() payload: unknown, @Ctx() ctx: MicroContext): void {
    received.push({
      payload,
      id: ctx.getId(),
      contentType: ctx.getContentType(),
      tenant: ctx.get('x-tenant'),
      topic: ctx.getTopic(),
    });
  }
}

describe('go-micro publish → Node @Subscriber', () => {
  it('dispatches what a go-micro publisher POSTs, Micro-ID spelling, metadata and Content-Type kept', async () => {
    const registry = new MemoryRegistry();
    const broker = new HttpBroker({ registry });
    const moduleRef = await Test.createTestingModule({
      imports: [
        MicroModule.forRoot({
          name: 'orders',
          address: '127.0.0.1:0',
          registry,
          broker,
          env: false,
          propagationDelay: 0,
        }),
      ],
      controllers: [OrdersController],
    }).compile();
    const app = moduleRef.createNestMicroservice({ ...MicroServer.fromModule(), logger: false });
    await app.listen();
    closing.push(() => app.close());
    const node = (await registry.getService(HTTP_BROKER_SERVICE))
      .flatMap((s) => s.nodes)
      .find((n) => n.metadata.topic === 'orders.created')!;
    const id = 'a0b1c2d3-0000-4000-8000-000000000001';
    const res = await fetch(`http://${node.address}/?id=${encodeURIComponent(node.id)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Go-http-client/1.1' },
      body: goEnvelope(
        {
          'Content-Type': 'application/json',
          'Micro-ID': id,
          'Micro-Topic': 'orders.created',
          'X-Tenant': 'acme',
        },
        '{"order":7,"note":"\\u003cx\\u003e"}\n',
      ),
    });
    expect(res.status).toBe(200);
    await waitFor(() => received.length === 1, 5_000, 'the event');
    expect(received[0]).toEqual({
      payload: { order: 7, note: '<x>' },
      id,
      contentType: 'application/json',
      tenant: 'acme',
      topic: 'orders.created',
    });
  });
});
