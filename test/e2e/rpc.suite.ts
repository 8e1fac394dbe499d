/**
 * The e2e suite of issue 2, run once per transport: two Nest apps (service and caller) over a real
 * transport, found through a shared memory registry. The "bad input" rows send go-micro's raw
 * request as a plain client would: a curl-style POST on tcp and http, a NATS request carrying
 * go-micro's JSON transport message on nats.
 */
import 'reflect-metadata';
import { request } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { MemoryRegistry } from '../../lib/core/registry/index.js';
import { MicroClient, MicroError, MicroModule, MicroServer } from '../../lib/index.js';
import { createTransport, type Transport } from '../../lib/core/transport/index.js';
import { decodeMessage, encodeMessage } from '../../lib/core/transport/nats/nats.wire.js';
import { closePair, startPair, type AppPair } from '../support/apps.js';
import { waitFor } from '../support/processes.js';
import { GreeterController, received, RequireUserGuard, ShoutInterceptor } from './greeter.fixture.js';

/** The headers a plain curl-style POST to a go-micro (mucp) HTTP server carries. */
const mucp = (endpoint: string): Record<string, string> => ({
  'Content-Type': 'application/json',
  'Micro-Service': 'greeter',
  'Micro-Endpoint': endpoint,
  'Micro-Method': endpoint,
  'Micro-Id': '1',
  Timeout: '5000000000',
});

/** A raw exchange's answer, as an HTTP response reads (status 200 and lower-case headers on NATS). */
interface RawReply {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * `make` builds each app's transport (default: by name); `natsServers` is where a raw NATS request
 * goes (the nats transport only).
 */
export function rpcSuite(
  transport: 'http' | 'tcp' | 'nats',
  make: () => Transport = () => createTransport(transport),
  natsServers?: string,
): void {
  const registry = new MemoryRegistry();
  const broker = new MemoryBroker();

  function greeterModule(): new () => unknown {
    @Module({
      imports: [
        MicroModule.forRoot({
          name: 'greeter',
          address: '127.0.0.1:0',
          registry,
          broker,
          env: false,
          maxBodySize: 1024,
          transport: make(),
        }),
      ],
      controllers: [GreeterController],
    })
    class GreeterModule {}
    return GreeterModule;
  }

  @Module({
    imports: [
      MicroModule.forRoot({
        name: 'caller',
        registry,
        broker,
        env: false,
        transport: make(),
      }),
      MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
    ],
  })
  class CallerModule {}

  let client: MicroClient;
  let address: string;

  function post(headers: Record<string, string>, body: string | Buffer): Promise<RawReply> {
    return transport === 'nats' ? natsRequest(headers, body) : httpPost(headers, body);
  }

  /** go-micro's transport message as a NATS request to the node's subject. */
  async function natsRequest(headers: Record<string, string>, body: string | Buffer): Promise<RawReply> {
    const nc = await connect({ servers: natsServers! });
    try {
      const header = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      const payload = encodeMessage({ header, body: Buffer.from(body) });
      const reply = decodeMessage((await nc.request(address, payload, { timeout: 5_000 })).data, 'test');
      if (reply instanceof MicroError) throw reply;
      return { status: 200, headers: reply.header, body: reply.body.toString() };
    } finally {
      await nc.close();
    }
  }

  function httpPost(headers: Record<string, string>, body: string | Buffer): Promise<RawReply> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const req = request({ host, port: Number(port), method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  let pair: AppPair | undefined;

  beforeAll(async () => {
    pair = await startPair(greeterModule(), CallerModule);
    address = pair.address;
    client = pair.caller.get<MicroClient>('GREETER');
  });

  afterAll(() => closePair(pair));

  describe(`RPC between two Nest apps over the ${transport} transport`, () => {
    it('registers the node with go-micro node metadata and named endpoints', async () => {
      const [svc] = await registry.getService('greeter');
      expect(svc!.version).toBe('latest');
      expect(svc!.nodes[0]!.id).toMatch(/^greeter-[0-9a-f-]{36}$/);
      expect(svc!.nodes[0]!.metadata).toMatchObject({
        transport,
        broker: 'memory',
        registry: 'memory',
        server: 'mucp',
        protocol: 'mucp',
      });
      const names = svc!.endpoints.map((e) => e.name);
      expect(names).toContain('Greeter.Hello');
      expect(svc!.endpoints.find((e) => e.name === 'Greeter.Hello')!.request).toMatchObject({
        name: 'HelloRequest',
      });
      expect(svc!.endpoints.find((e) => e.name === 'greetings')!.metadata).toEqual({
        topic: 'greetings',
        subscriber: 'true',
      });
    });

    it('replies through send() and call()', async () => {
      expect(await firstValueFrom(client.send('Greeter.Hello', { name: 'John' }))).toEqual({
        msg: 'Hello John',
      });
      expect(await client.call('greeter', 'Greeter.Hello', { name: 'Jane' })).toEqual({ msg: 'Hello Jane' });
    });

    it('delivers a thrown MicroError with its code, id and detail', async () => {
      const error = await client.call('greeter', 'Greeter.Fail', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicroError);
      expect(error).toMatchObject({
        id: 'greeter.fail',
        code: 409,
        detail: 'name already taken',
        status: 'Conflict',
      });
      const viaSend = await firstValueFrom(client.send('Greeter.Fail', {})).catch((e: unknown) => e);
      expect(viaSend).toBeInstanceOf(MicroError);
      expect(viaSend).toMatchObject({ code: 409, detail: 'name already taken' });
    });

    it('turns a plain Error into a 500, an HttpException into its status and an RpcException into its payload', async () => {
      await expect(client.call('greeter', 'Greeter.Crash', {})).rejects.toMatchObject({
        code: 500,
        detail: 'database exploded',
        id: 'greeter',
      });
      await expect(client.call('greeter', 'Greeter.Missing', {})).rejects.toMatchObject({
        code: 404,
        detail: 'no such greeting',
      });
      await expect(client.call('greeter', 'Greeter.Rpc', {})).rejects.toMatchObject({
        code: 401,
        detail: 'token expired',
        id: 'auth',
      });
    });

    it('carries per-call metadata and the remote address to the handler context', async () => {
      const reply = await client
        .with({ metadata: { 'X-User': 'alice' } })
        .call('greeter', 'Greeter.Whoami', {});
      expect(reply).toMatchObject({ user: 'alice', endpoint: 'Greeter.Whoami', hasDeadline: true });
      // on NATS the caller is its reply subject, as go-micro's transport/nats reports it
      expect((reply as { remote: string }).remote).toMatch(
        transport === 'nats' ? /^_INBOX\./ : /^127\.0\.0\.1:\d+$/,
      );
    });

    it('runs guards and interceptors on a @Handler', async () => {
      const guardCalls = RequireUserGuard.calls;
      await expect(client.call('greeter', 'Greeter.Guarded', { name: 'bob' })).rejects.toMatchObject({
        code: 403,
      });
      expect(RequireUserGuard.calls).toBe(guardCalls + 1);
      const interceptorCalls = ShoutInterceptor.calls;
      const reply = await client.call(
        'greeter',
        'Greeter.Guarded',
        { name: 'bob' },
        { metadata: { 'x-user': 'bob' } },
      );
      expect(reply).toEqual({ msg: 'HELLO BOB' });
      expect(ShoutInterceptor.calls).toBe(interceptorCalls + 1);
    });

    it('publishes to @Subscriber handlers through emit()', async () => {
      await firstValueFrom(client.emit('greetings', { from: 'test' }));
      await waitFor(() => received.length > 0, 5_000, 'event delivery');
      expect(received).toContainEqual({ from: 'test' });
    });
  });

  describe('bad input never takes the server down', () => {
    it('answers a plain request with the mucp headers (curl-style POST; a NATS request)', async () => {
      const res = await post(mucp('Greeter.Hello'), '{"name":"John"}');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ msg: 'Hello John' });
    });

    it('unknown endpoint → NotFound 404 in the Micro-Error header', async () => {
      const res = await post(mucp('Greeter.Nope'), '{}');
      expect(res.status).toBe(200);
      expect(res.body).toBe('');
      expect(JSON.parse(res.headers['micro-error'] as string)).toMatchObject({ code: 404, id: 'greeter' });
      await expect(client.call('greeter', 'Greeter.Nope', {})).rejects.toMatchObject({ code: 404 });
    });

    it('invalid JSON → BadRequest 400', async () => {
      const res = await post(mucp('Greeter.Hello'), '{"name":');
      expect(JSON.parse(res.headers['micro-error'] as string)).toMatchObject({ code: 400 });
    });

    it('a body over the limit → 413 without the server buffering it', async () => {
      const res = await post(mucp('Greeter.Hello'), Buffer.alloc(64 * 1024, 'a'));
      expect(JSON.parse(res.headers['micro-error'] as string)).toMatchObject({ code: 413 });
      await expect(client.call('greeter', 'Greeter.Hello', { name: 'x'.repeat(2000) })).rejects.toMatchObject(
        {
          code: 413,
        },
      );
    });

    it('an unknown service → NotFound from the client, without a network call', async () => {
      await expect(client.call('nobody', 'Nobody.Home', {})).rejects.toMatchObject({
        code: 404,
        detail: expect.stringContaining('nobody'),
      });
    });

    it('keeps serving after all of that', async () => {
      expect(await client.call('greeter', 'Greeter.Hello', { name: 'still here' })).toEqual({
        msg: 'Hello still here',
      });
    });
  });

  describe('shutdown', () => {
    it('deregisters on app.close()', async () => {
      const ref = await Test.createTestingModule({ imports: [greeterModule()] }).compile();
      const second = ref.createNestMicroservice(MicroServer.fromModule());
      await second.listen();
      expect((await registry.getService('greeter'))[0]!.nodes).toHaveLength(2);
      await second.close();
      expect((await registry.getService('greeter'))[0]!.nodes).toHaveLength(1);
    });
  });
}
