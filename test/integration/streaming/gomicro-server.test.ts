/**
 * The stream client against a server that behaves as go-micro's does (server/rpc_router.go,
 * rpc_stream.go), emulated at the byte level: it decodes the opening message with the stream's
 * codec (its json-rpc and proto-rpc decoders read an empty body as EOF), and a handler that read
 * the client's EOS returns without sending one. The real Go peers check the same in test/interop.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { MicroClient, MicroModule } from '../../../lib/index.js';
import { head, Http1Parser, type Parsed } from '../../../lib/core/transport/http/http1-parser.js';
import { canonicalHeader } from '../../../lib/core/metadata/headers.js';

/** Every opening body the fake server saw, per Content-Type. */
const openings: { contentType: string; body: string }[] = [];

/** go-micro's Collect handler: reads names until the client's EOS, answers once, ends silently. */
function goMicroServer(): Server {
  return createServer((socket) => {
    const names = new Map<string, string[]>();
    const parser = new Http1Parser('request', 1 << 20, (m: Parsed) => {
      const id = m.header['micro-stream']!;
      const contentType = m.header['content-type']!;
      const reply = (header: Record<string, string>, body: string): void => {
        const all = { 'content-type': contentType, 'micro-stream': id, ...header };
        socket.write(head('HTTP/1.1 200 OK', all, Buffer.byteLength(body), canonicalHeader), 'latin1');
        socket.write(body);
      };
      if (!names.has(id)) {
        openings.push({ contentType, body: m.body.toString() });
        names.set(id, []);
        return;
      }
      if (m.header['micro-error'] === 'EOS')
        return reply({}, JSON.stringify({ msg: names.get(id)!.join(',') }));
      names.get(id)!.push((JSON.parse(m.body.toString()) as { name: string }).name);
    });
    socket.on('data', (d: Buffer) => parser.push(d));
    socket.on('error', () => socket.destroy());
  });
}

describe('streams to a go-micro server', () => {
  const registry = new MemoryRegistry();
  let server: Server;
  let app: INestApplication;
  let client: MicroClient;

  beforeAll(async () => {
    server = goMicroServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await registry.register({
      name: 'go.greeter',
      version: 'latest',
      metadata: {},
      endpoints: [],
      nodes: [
        {
          id: 'go.greeter-1',
          address: `127.0.0.1:${port}`,
          metadata: { transport: 'http', broker: 'http', registry: 'mdns', server: 'mucp', protocol: 'mucp' },
        },
      ],
    });
    @Module({
      imports: [
        MicroModule.forRoot({ name: 'caller', registry, broker: new MemoryBroker(), env: false }),
        MicroModule.registerClients([{ name: 'GO', service: 'go.greeter' }]),
      ],
    })
    class CallerModule {}
    const ref = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
    client = app.get<MicroClient>('GO');
  });

  afterAll(async () => {
    await app?.close();
    server?.close();
  });

  it('completes a client stream once the go-micro server fell silent after our EOS, with its reply', async () => {
    const replies = client.stream('go.greeter', 'Greeter.Collect', from([{ name: 'a' }, { name: 'b' }]), {
      endGrace: 200,
      timeout: 10_000,
    });
    expect(await lastValueFrom(replies.pipe(toArray()))).toEqual([{ msg: 'a,b' }]);
  });

  it('opens with the codec’s empty request, never an empty body go-micro’s rpc decoders read as EOF', async () => {
    openings.length = 0;
    for (const contentType of ['application/json', 'application/json-rpc']) {
      const replies = client.stream('go.greeter', 'Greeter.Collect', from([]), {
        contentType,
        endGrace: 100,
      });
      await lastValueFrom(replies.pipe(toArray()), { defaultValue: [] }).catch(() => []);
    }
    expect(openings.map((o) => o.body.trim())).toEqual([
      '{}',
      expect.stringMatching(/^\{"params":\[\{\}\],"id":"[^"]+","method":"Greeter.Collect"\}$/),
    ]);
  });
});
