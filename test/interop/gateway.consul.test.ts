// The API gateway in front of a real go-micro v5.30.0 service over one Consul on 127.0.0.1: the
// same URLs as go-micro's gateway reach the Go Greeter (a call, its typed failure, headers as its
// metadata, a server stream as Server-Sent Events with a failure mid-stream), the Go service's
// field tree validates requests and appears in /openapi.json.
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../lib/core/broker/index.js';
import { createRegistry, type Registry } from '../../lib/core/registry/index.js';
import { MicroGateway } from '../../lib/gateway/index.js';
import { MicroClient, MicroModule } from '../../lib/index.js';
import { consulAvailability, startConsul, type ConsulAgent } from '../support/consul.js';
import { waitFor } from '../support/processes.js';
import {
  buildGoPeer,
  consulEnv,
  goAvailability,
  GO_BUILD_TIMEOUT_MS,
  startGoPeer,
  type GoPeer,
} from './support/go-peer.js';
import { why } from './support/greeter.js';

describe.skipIf(goAvailability.skip || consulAvailability.skip)(
  `API gateway in front of go-micro v5 over Consul ${why(goAvailability.reason, consulAvailability.reason)}`,
  () => {
    let consul: ConsulAgent;
    let goGreeter: GoPeer;
    let caller: INestApplicationContext;
    let registry: Registry;
    let gateway: MicroGateway;
    let base: string;

    beforeAll(async () => {
      [consul] = await Promise.all([startConsul(), buildGoPeer()]);
      goGreeter = startGoPeer(['serve'], consulEnv(consul.address));
      await goGreeter.ready();
      registry = createRegistry('consul', consul.address);
      @Module({
        imports: [MicroModule.forRoot({ name: 'gw', registry, broker: new MemoryBroker(), env: false })],
      })
      class CallerModule {}
      caller = await (await Test.createTestingModule({ imports: [CallerModule] }).compile()).init();
      gateway = new MicroGateway({ client: caller.get(MicroClient), registry });
      base = `http://${await gateway.listen('127.0.0.1:0')}`;
      await waitFor(
        async () => (await registry.getService('go.greeter')).length > 0,
        30_000,
        'go.greeter in Consul',
      );
    }, GO_BUILD_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      await gateway?.close();
      await caller?.close();
      await goGreeter?.stop();
      await consul?.close();
    });

    const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    it('POST /api/go.greeter/Greeter.Hello calls the Go service', async () => {
      const res = await post('/api/go.greeter/Greeter.Hello', { name: 'John' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ msg: 'Hello John' });
      const split = await post('/api/go.greeter/Greeter/Hello', { name: 'Ann' });
      expect(await split.json()).toEqual({ msg: 'Hello Ann' });
    });

    it("the Go handler's error is the HTTP status and go-micro's error JSON", async () => {
      const res = await post('/api/go.greeter/Greeter.Fail', { name: 'Bo' });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({
        id: 'go.greeter.fail',
        code: 409,
        detail: 'refusé: 5 € for Bo',
        status: 'Conflict',
      });
    });

    it('request headers reach the Go handler as metadata, the Timeout header as its deadline', async () => {
      const meta = (await (
        await post('/api/go.greeter/Greeter.Metadata', {}, { 'x-user': 'bob' })
      ).json()) as {
        metadata: Record<string, string>;
      };
      expect(meta.metadata['X-User']).toBe('bob');
      const deadline = (await (
        await post('/api/go.greeter/Greeter.Deadline', {}, { timeout: '3s' })
      ).json()) as {
        remainingMs?: number;
        remaining_ms?: number;
      };
      const left = deadline.remainingMs ?? deadline.remaining_ms ?? -1;
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(3_000);
    });

    it("the Go service's field tree validates requests before the call", async () => {
      const res = await post('/api/go.greeter/Greeter.Hello', { name: 5 });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/name: expected a string/);
    });

    it('a Go server stream as Server-Sent Events, and a failure mid-stream as an error event', async () => {
      const ok = await post('/api/go.greeter/Greeter.ServerStream', { name: 'Go', count: 2 });
      expect(ok.headers.get('content-type')).toMatch(/text\/event-stream/);
      expect((await ok.text()).split('\n\n').filter(Boolean)).toEqual([
        'data: {"msg":"Hello Go #1"}',
        'data: {"msg":"Hello Go #2"}',
        'event: end\ndata: {}',
      ]);
      const failing = (await (await post('/api/go.greeter/Greeter.ServerStream', { name: 'fail' })).text())
        .split('\n\n')
        .filter(Boolean);
      expect(failing.slice(0, 2)).toEqual(['data: {"msg":"Hello fail #1"}', 'data: {"msg":"Hello fail #2"}']);
      expect(failing[2]).toMatch(
        /^event: error\ndata: \{"id":"go.greeter.stream","code":500,"detail":"stream broke: 5 €"/,
      );
    });

    it('/openapi.json describes the Go endpoints from their field trees', async () => {
      const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
        paths: Record<
          string,
          { post: { requestBody: { content: Record<string, { schema: { properties: unknown } }> } } }
        >;
      };
      const hello = doc.paths['/api/go.greeter/Greeter.Hello']!.post;
      expect(hello.requestBody.content['application/json']!.schema.properties).toMatchObject({
        name: { type: 'string' },
        count: { type: 'integer' },
      });
    });
  },
);
