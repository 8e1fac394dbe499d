/**
 * go-micro's HTTP stream framing on the wire, as a go-micro client writes it: raw `POST /`
 * requests with `Micro-Stream` on one connection, two streams interleaved, EOS to end; answers are
 * unpaired `200`s told apart by `Micro-Stream`. Served on the HTTP transport and on the TCP
 * transport's shared port. Bad input gets an in-band error and never takes the server down.
 */
import 'reflect-metadata';
import { connect } from 'node:net';
import { Module, type INestMicroservice } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../lib/core/transport/index.js';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroModule, MicroServer } from '../../../lib/index.js';
import { Http1Parser, type Parsed } from '../../../lib/core/transport/http/http1-parser.js';
import { ChatController } from './chat.fixture.js';

const apps: INestMicroservice[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function start(transport: 'http' | 'tcp'): Promise<string> {
  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'chat',
        address: '127.0.0.1:0',
        registry: new MemoryRegistry(),
        broker: new MemoryBroker(),
        env: false,
        transport: createTransport(transport),
        maxBodySize: 1024,
      }),
    ],
    controllers: [ChatController],
  })
  class WireModule {}
  const ref = await Test.createTestingModule({ imports: [WireModule] }).compile();
  const app = ref.createNestMicroservice(MicroServer.fromModule());
  await app.listen();
  apps.push(app);
  return app.get(MicroServer).address!;
}

function post(stream: string, body: string, extra: Record<string, string> = {}): string {
  const headers = {
    'Content-Type': 'application/json',
    'Micro-Service': 'chat',
    'Micro-Endpoint': 'Chat.Echo',
    'Micro-Method': 'Chat.Echo',
    'Micro-Id': stream,
    'Micro-Stream': stream,
    ...extra,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return `POST / HTTP/1.1\r\nHost: chat\r\n${lines.join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Writes `raw`, collects responses until `until` says enough (or the connection closes). */
function exchange(address: string, raw: string, until: (got: Parsed[]) => boolean): Promise<Parsed[]> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const got: Parsed[] = [];
    const socket = connect({ host, port: Number(port) });
    const parser = new Http1Parser('response', 1 << 20, (m) => {
      got.push(m);
      if (until(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('data', (d: Buffer) => parser.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.write(raw);
  });
}

const byStream = (got: Parsed[], id: string): string[] =>
  got
    .filter((m) => m.header['micro-stream'] === id)
    .map((m) => m.header['micro-error'] ?? m.body.toString().trim());

/** Both streams have answered EOS. */
const bothEnded = (got: Parsed[]): boolean =>
  got.filter((m) => m.header['micro-error'] === 'EOS').length === 2;

/** A json-rpc opening message for `endpoint`. */
const open = (endpoint: string): string => `{"params":[{}],"id":"1","method":"${endpoint}"}\n`;
/** proto-rpc frames: each a big-endian uint32 length (small here), then the bytes. */
const frames = (...parts: Buffer[]): Buffer =>
  Buffer.concat(parts.flatMap((p) => [Buffer.from([0, 0, 0, p.length]), p]));

for (const transport of ['http', 'tcp'] as const) {
  describe(`go-micro HTTP stream framing on the ${transport} transport's port`, () => {
    it('serves two interleaved streams on one connection; EOS ends each', async () => {
      const address = await start(transport);
      const raw =
        post('1', '{}') + // opening message: its body is not data (as go-micro)
        post('2', '{}') +
        post('1', '{"n":1}') +
        post('2', '{"n":20}') +
        post('1', '{"n":2}') +
        post('2', '', { 'Micro-Error': 'EOS' }) +
        post('1', '', { 'Micro-Error': 'EOS' });
      const got = await exchange(address, raw, bothEnded);
      expect(got.every((m) => m.status === 200)).toBe(true);
      expect(byStream(got, '1')).toEqual(['{"n":1}', '{"n":2}', 'EOS']);
      expect(byStream(got, '2')).toEqual(['{"n":20}', 'EOS']);
    });

    it('ends json-rpc and proto-rpc streams with the envelope go-micro reads EOS and errors from', async () => {
      const address = await start(transport);
      // go-micro's json-rpc and proto-rpc stream readers decode every message's body (an empty one is
      // EOF): the end and an error travel in the envelope, as go-micro's own server writes them
      const rpc = { 'Content-Type': 'application/json-rpc' };
      const echo = await exchange(
        address,
        post('1', open('Chat.Echo'), rpc) + post('1', '', { ...rpc, 'Micro-Error': 'EOS' }),
        (got) => got.some((m) => m.header['micro-error'] === 'EOS'),
      );
      expect(echo.at(-1)!.body.toString()).toBe('{"id":"1","result":null,"error":"EOS"}\n');
      const fail = { ...rpc, 'Micro-Endpoint': 'Chat.FailAfter', 'Micro-Method': 'Chat.FailAfter' };
      const failed = await exchange(address, post('2', open('Chat.FailAfter'), fail), (got) =>
        got.some((m) => m.header['micro-error']),
      );
      const last = failed.find((m) => m.header['micro-error'])!;
      const envelope = JSON.parse(last.body.toString()) as { error: string };
      expect(envelope.error).toBe(last.header['micro-error']);
      expect(JSON.parse(envelope.error)).toMatchObject({ code: 409, detail: 'failed after 50' });
      const proto = { 'Content-Type': 'application/proto-rpc' };
      // Request{service_method: "Chat.Echo", seq: 1}, then an empty body
      const head = Buffer.concat([Buffer.from([0x0a, 9]), Buffer.from('Chat.Echo'), Buffer.from([0x10, 1])]);
      const ended = await exchange(
        address,
        post('3', frames(head, Buffer.alloc(0)).toString('latin1'), proto) +
          post('3', '', { ...proto, 'Micro-Error': 'EOS' }),
        (got) => got.some((m) => m.header['micro-error'] === 'EOS'),
      );
      const eos = ended.at(-1)!.body;
      expect(eos.readUInt32BE(0)).toBeGreaterThan(0); // the envelope frame…
      expect(eos.subarray(4, 4 + eos.readUInt32BE(0)).toString('latin1')).toContain('EOS'); // …with error "EOS"
      expect(eos.readUInt32BE(4 + eos.readUInt32BE(0))).toBe(0); // and an empty body frame
    });

    it('answers an unknown endpoint and an oversized message in band, and keeps serving', async () => {
      const address = await start(transport);
      const unknown = await exchange(
        address,
        post('7', '{}', { 'Micro-Endpoint': 'Chat.Nope', 'Micro-Method': 'Chat.Nope' }),
        (got) => got.length >= 2,
      );
      expect(JSON.parse(unknown[0]!.header['micro-error']!)).toMatchObject({ code: 404 });
      const big = await exchange(
        address,
        post('8', '{}') + post('8', `{"n":"${'x'.repeat(4096)}"}`),
        () => false,
      );
      const error = big.find((m) => m.header['micro-error'] && m.header['micro-error'] !== 'EOS');
      expect(JSON.parse(error!.header['micro-error']!)).toMatchObject({ code: 413 });
      const garbage = await exchange(
        address,
        'POST / HTTP/1.1\r\nMicro-Stream: 9\r\nContent-Length: x\r\n\r\n',
        () => false,
      );
      expect(garbage.length).toBeLessThanOrEqual(1);
      const again = await exchange(
        address,
        post('3', '{}') + post('3', '{"n":3}') + post('3', '', { 'Micro-Error': 'EOS' }),
        (got) => got.some((m) => m.header['micro-error'] === 'EOS'),
      );
      expect(byStream(again, '3')).toEqual(['{"n":3}', 'EOS']);
    });
  });
}
