/**
 * What go-micro's client puts on and reads off the HTTP wire, checked byte for byte against a Nest
 * service on both transports (the TCP transport's port speaks HTTP too): UTF-8 header values both
 * ways, refusals as 200s carrying Micro-Error, no Content-Type read as protobuf, JSON-RPC reply ids
 * echoing the request envelope, a void handler answering `{}`. The real Go peers check the same in
 * test/interop; these pin the bytes.
 */
import 'reflect-metadata';
import { connect } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { INestMicroservice } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../lib/core/transport/index.js';
import { Handler, MicroError, MicroModule, MicroServer } from '../../lib/index.js';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { startService } from '../support/apps.js';

@Controller()
class WireController {
  @Handler('Wire.Hello')
  hello(@Payload() request: { name: string }): { msg: string } {
    return { msg: `Hello ${request.name}` };
  }

  @Handler('Wire.Euro')
  euro(@Payload() request: { name: string }): never {
    throw MicroError.conflict('wire.euro', `refusé: 5 € for ${request.name}\nsecond line`);
  }

  @Handler('Wire.Void')
  void(): void {}

  @Handler('Wire.Chat', { stream: true })
  chat(@Payload() requests: Observable<unknown>): Observable<unknown> {
    return requests;
  }

  @Handler('Wire.Echo')
  echo(@Payload() request: unknown): unknown {
    return request;
  }
}

interface RawReply {
  status: number;
  /** Header values as the raw bytes decoded as UTF-8 (what a Go reader sees). */
  headers: Record<string, string>;
  body: Buffer;
}

/** One HTTP/1.1 exchange on a fresh connection, written and read as raw bytes. */
function exchange(address: string, head: string, body: Buffer | string = ''): Promise<RawReply> {
  const [host, port] = address.split(':');
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply within 5 s'));
    }, 5_000);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = all.subarray(0, end).toString('utf8').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (all.length < end + 4 + length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        status: Number(lines[0]!.split(' ')[1]),
        headers,
        body: all.subarray(end + 4, end + 4 + length),
      });
    });
    socket.on('error', reject);
    socket.write(
      Buffer.concat([Buffer.from(`${head}Content-Length: ${payload.length}\r\n\r\n`, 'utf8'), payload]),
    );
  });
}

function mucpHead(
  endpoint: string,
  extra: Record<string, string> = {},
  contentType = 'application/json',
): string {
  const headers: Record<string, string> = {
    ...(contentType ? { 'Content-Type': contentType } : {}),
    'Micro-Id': '7',
    'Micro-Service': 'wire',
    'Micro-Endpoint': endpoint,
    'Micro-Method': endpoint,
    Timeout: '5000000000',
    ...extra,
  };
  let head = 'POST / HTTP/1.1\r\nHost: test\r\n';
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return head;
}

for (const transport of ['http', 'tcp'] as const) {
  describe(`go-micro's HTTP wire on the ${transport} transport's port`, () => {
    let app: INestMicroservice;
    let address: string;

    beforeAll(async () => {
      @Module({
        imports: [
          MicroModule.forRoot({
            name: 'wire',
            address: '127.0.0.1:0',
            registry: new MemoryRegistry(),
            broker: new MemoryBroker(),
            env: false,
            maxBodySize: 1024,
            transport: createTransport(transport),
          }),
        ],
        controllers: [WireController],
      })
      class WireModule {}
      app = await startService(WireModule);
      address = app.get(MicroServer).address!;
    });

    afterAll(() => app?.close());

    it('sends a handler error with text above U+00FF as UTF-8 bytes in Micro-Error, and keeps serving', async () => {
      const reply = await exchange(address, mucpHead('Wire.Euro'), '{"name":"Zoë"}\n');
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.headers['micro-error']!)).toEqual({
        id: 'wire.euro',
        code: 409,
        detail: 'refusé: 5 € for Zoë\nsecond line',
        status: 'Conflict',
      });
      const again = await exchange(address, mucpHead('Wire.Hello'), '{"name":"x"}');
      expect(JSON.parse(again.body.toString())).toEqual({ msg: 'Hello x' });
    });

    it('reads UTF-8 metadata from the caller as text (Go writes header values raw)', async () => {
      const reply = await exchange(address, mucpHead('Wire.Hello', { 'X-Who': 'Zoë 5 €' }), '{"name":"€"}');
      expect(JSON.parse(reply.body.toString())).toEqual({ msg: 'Hello €' });
    });

    it('answers invalid JSON holding "€" with a 400 at once', async () => {
      const reply = await exchange(address, mucpHead('Wire.Hello'), '{"name": "5 €');
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.headers['micro-error']!)).toMatchObject({ code: 400 });
    });

    it('answers a void handler with {} (go-micro clients always decode the body)', async () => {
      const reply = await exchange(address, mucpHead('Wire.Void'), '{}');
      expect(reply.headers['micro-error']).toBeUndefined();
      expect(reply.body.toString()).toBe('{}\n');
    });

    it('refuses a unary call to a streaming endpoint with a 400 (the handler never sees a plain value)', async () => {
      const reply = await exchange(address, mucpHead('Wire.Chat'), '{}');
      expect(JSON.parse(reply.headers['micro-error']!)).toMatchObject({
        code: 400,
        detail: expect.stringContaining('streaming endpoint'),
      });
    });

    it('reads a request without Content-Type as application/protobuf, as a go-micro server does', async () => {
      const reply = await exchange(address, mucpHead('Wire.Echo', {}, ''), '{"name":"json"}');
      // the handler declares no protobuf type: a 415, not a JSON reading of the bytes
      expect(JSON.parse(reply.headers['micro-error']!)).toMatchObject({ code: 415 });
      const empty = await exchange(address, mucpHead('Wire.Void', {}, ''), '');
      expect(empty.headers['micro-error']).toBeUndefined();
    });

    it('echoes the JSON-RPC request envelope id in the reply, not Micro-Id', async () => {
      const body = '{"params":[{"name":"rpc"}],"id":"env-42","method":"Wire.Hello"}\n';
      const reply = await exchange(address, mucpHead('Wire.Hello', {}, 'application/json-rpc'), body);
      expect(JSON.parse(reply.body.toString())).toEqual({
        id: 'env-42',
        result: { msg: 'Hello rpc' },
        error: null,
      });
      const failed = await exchange(
        address,
        mucpHead('Wire.Euro', {}, 'application/json-rpc'),
        '{"params":[{"name":"z"}],"id":"env-43","method":"Wire.Euro"}\n',
      );
      const envelope = JSON.parse(failed.body.toString()) as { id: string; error: string };
      expect(envelope.id).toBe('env-43');
      expect(JSON.parse(envelope.error)).toMatchObject({ code: 409, detail: expect.stringContaining('5 €') });
    });

    it('refuses another method and an oversized body with a 200 carrying Micro-Error (go-micro reads it only on a 200)', async () => {
      const get = await exchange(address, 'GET / HTTP/1.1\r\nHost: test\r\n');
      expect(get.status).toBe(200);
      expect(JSON.parse(get.headers['micro-error']!)).toMatchObject({ code: 405 });
      const big = await exchange(address, mucpHead('Wire.Echo'), `"${'x'.repeat(2048)}"`);
      expect(big.status).toBe(200);
      expect(JSON.parse(big.headers['micro-error']!)).toMatchObject({ code: 413 });
    });
  });
}
