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
import { createTransport, MemoryBroker, MemoryRegistry, MicroModule, MicroServer } from '../../lib/index.js';
import { Http1Parser, type Parsed } from '../../lib/transport/http/http1-parser.js';
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
      const done = (got: Parsed[]): boolean =>
        got.filter((m) => m.header['micro-error'] === 'EOS').length === 2;
      const got = await exchange(address, raw, done);
      expect(got.every((m) => m.status === 200)).toBe(true);
      expect(byStream(got, '1')).toEqual(['{"n":1}', '{"n":2}', 'EOS']);
      expect(byStream(got, '2')).toEqual(['{"n":20}', 'EOS']);
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
