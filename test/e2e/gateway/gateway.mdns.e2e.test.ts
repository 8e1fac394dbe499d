// The API gateway in a Nest HTTP app (MicroGatewayModule under /gw) in front of a real Nest service
// found by mDNS on 127.0.0.1 (a private mDNS port): real HTTP requests through fetch for every
// route go-micro serves, metadata and deadlines from headers, every error path (404, 400, 413,
// 401/403, a handler's MicroError, 408, 503, a Nest guard's refusal), SSE, publish, CORS, OpenAPI.
import 'reflect-metadata';
import {
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, type Service } from '../../../lib/core/registry/index.js';
import { MicroGatewayModule, MicroModule, type GatewayRequest } from '../../../lib/index.js';
import { freePort } from '../../support/ports.js';
import { waitFor } from '../../support/processes.js';
import { published, registerGhost, startGatewayGreeter, ticks } from './gateway.fixture.js';

@Injectable()
class BlockGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const route = req.microRoute;
    return !(route?.kind === 'call' && req.headers['x-block'] === route.endpoint);
  }
}

interface ErrorJson {
  id: string;
  code: number;
  detail: string;
  status: string;
}

const expectError = async (res: Response, code: number, detail: RegExp): Promise<ErrorJson> => {
  expect(res.status).toBe(code);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const json = (await res.json()) as ErrorJson;
  expect(json).toEqual({
    id: expect.any(String),
    code,
    detail: expect.stringMatching(detail),
    status: expect.any(String),
  });
  return json;
};

describe('API gateway (MicroGatewayModule) over mDNS', () => {
  let mdns: string;
  let service: INestMicroservice;
  let gateway: INestApplication;
  let parsed: INestApplication;
  let parsedBase: string;
  let base: string;
  let registry: Registry;
  let ghost: Service;

  beforeAll(async () => {
    mdns = `127.0.0.1:${await freePort()}`;
    service = await startGatewayGreeter(createRegistry('mdns', mdns));

    registry = createRegistry('mdns', mdns);
    @Module({
      imports: [
        MicroModule.forRoot({ name: 'gw', registry, env: false }),
        MicroGatewayModule.forRoot({
          prefix: 'gw',
          guards: [BlockGuard],
          cors: { origins: ['https://app.example'] },
          maxBodySize: 2048,
          auth: { tokens: { 'admin-token': ['greeter.admin'], 'reader-token': ['greeter.read'] } },
        }),
      ],
    })
    class GatewayModule {}
    gateway = (await Test.createTestingModule({ imports: [GatewayModule] }).compile()).createNestApplication({
      logger: ['error'],
      bodyParser: false,
    });
    await gateway.listen(0, '127.0.0.1');
    base = `${await gateway.getUrl()}/gw`.replace('[::1]', '127.0.0.1');
    // a second app at the root of its own server, with Nest's default JSON body parser
    @Module({
      imports: [
        MicroModule.forRoot({ name: 'gw-parsed', registry, env: false }),
        MicroGatewayModule.forRoot({ maxBodySize: 2048 }),
      ],
    })
    class ParsedModule {}
    parsed = (await Test.createTestingModule({ imports: [ParsedModule] }).compile()).createNestApplication({
      logger: ['error'],
    });
    await parsed.listen(0, '127.0.0.1');
    parsedBase = (await parsed.getUrl()).replace('[::1]', '127.0.0.1');
    ghost = await registerGhost(registry);
    await waitFor(
      async () => (await registry.getService('gw-greeter')).length > 0,
      30_000,
      'gw-greeter in mDNS',
    );
  }, 60_000);

  afterAll(async () => {
    await registry?.deregister(ghost).catch(() => undefined);
    await gateway?.close();
    await parsed?.close();
    await service?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('calls by /api/{service}/{Svc.Method}, /api/{service}/{Svc}/{Method} and micro api paths', async () => {
    for (const path of [
      '/api/gw-greeter/Greeter.Hello',
      '/api/gw-greeter/Greeter/Hello',
      '/gw-greeter/Greeter.Hello',
    ]) {
      const res = await post(path, { name: 'John' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ msg: 'Hello John' });
    }
    const byHeader = await post('/gw-greeter', { name: 'Ann' }, { 'micro-endpoint': 'Greeter.Hello' });
    expect(await byHeader.json()).toEqual({ msg: 'Hello Ann' });
  });

  it('GET takes the request from the query, typed by the field tree', async () => {
    const res = await fetch(`${base}/api/gw-greeter/Greeter.Hello?name=Bob&age=7`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ msg: 'Hello Bob (7)' });
  });

  it('headers become metadata; the Timeout header is the call deadline', async () => {
    const res = await post('/api/gw-greeter/Greeter.Meta', {}, { 'x-user': 'bob', timeout: '4s' });
    const json = (await res.json()) as { user: string; hasDeadline: boolean; remaining: number };
    expect(json.user).toBe('bob');
    expect(json.hasDeadline).toBe(true);
    expect(json.remaining).toBeLessThanOrEqual(4_000);
  });

  it('404 for an unknown service, endpoint or path; nothing outside the registry is called', async () => {
    await expectError(await post('/api/nowhere/Foo.Bar', {}), 404, /service nowhere not found/);
    await expectError(await post('/api/gw-greeter/Greeter.Nope', {}), 404, /no endpoint Greeter.Nope/);
    await expectError(await post('/api/gw-greeter/x/y/z', {}), 404, /no route/);
    await expectError(await post('/api/127.0.0.1:1/Foo.Bar', {}), 404, /not found/);
  });

  it('400 for a body that is not JSON or a field of the wrong type, before any call', async () => {
    await expectError(await post('/api/gw-greeter/Greeter.Hello', '{name:'), 400, /not JSON/);
    const json = await expectError(
      await post('/api/gw-greeter/Greeter.Hello', { name: 'x', age: 'old' }),
      400,
      /age: expected an integer/,
    );
    expect(json.id).toBe('go.micro.api');
    await expectError(
      await post('/api/gw-greeter/Greeter.Hello', { name: 5 }),
      400,
      /name: expected a string/,
    );
  });

  it('413 for a body over the limit', async () => {
    await expectError(
      await post('/api/gw-greeter/Greeter.Hello', { name: 'x'.repeat(4096) }),
      413,
      /larger than 2048 bytes/,
    );
  });

  it('scopes: 401 without or with an unknown token, 403 without the scope, 200 with it', async () => {
    await expectError(await post('/api/gw-greeter/Greeter.Admin', {}), 401, /missing bearer token/);
    await expectError(
      await post('/api/gw-greeter/Greeter.Admin', {}, { authorization: 'Bearer nope' }),
      401,
      /invalid bearer token/,
    );
    await expectError(
      await post('/api/gw-greeter/Greeter.Admin', {}, { authorization: 'Bearer reader-token' }),
      403,
      /requires greeter.admin or ops/,
    );
    const ok = await post('/api/gw-greeter/Greeter.Admin', {}, { authorization: 'Bearer admin-token' });
    expect(await ok.json()).toEqual({ ok: true });
  });

  it("a Nest guard sees the route and its refusal is a 403 in go-micro's error JSON", async () => {
    const other = await post('/api/gw-greeter/Greeter/Meta', {}, { 'x-block': 'Greeter.Hello' });
    expect(other.status).toBe(200); // the guard saw the route: Greeter.Meta is not the one it blocks
    await expectError(
      await post('/api/gw-greeter/Greeter/Hello', { name: 'x' }, { 'x-block': 'Greeter.Hello' }),
      403,
      /Forbidden/,
    );
  });

  it("a handler's MicroError keeps its code, id and detail", async () => {
    const json = await expectError(await post('/api/gw-greeter/Greeter.Fail', {}), 409, /name already taken/);
    expect(json.id).toBe('gw-greeter.fail');
  });

  it('408 when the Timeout header runs out', async () => {
    await expectError(await post('/api/gw-greeter/Greeter.Sleep', {}, { timeout: '300ms' }), 408, /.+/);
  });

  it('503 when the only node of a service does not answer', async () => {
    await expectError(await post('/api/gw-ghost/Ghost.Call', {}), 503, /.+/);
  });

  it('a stream endpoint answers as Server-Sent Events, then an end event', async () => {
    const res = await fetch(`${base}/api/gw-greeter/Greeter.Count?n=3`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events).toEqual(['data: {"i":1}', 'data: {"i":2}', 'data: {"i":3}', 'event: end\ndata: {}']);
  });

  it('an application/x-ndjson body is a request stream: one request per line', async () => {
    const res = await post('/api/gw-greeter/Greeter.Sum', '{"n":1}\n{"n":2}\n\n{"n":3}\n', {
      'content-type': 'application/x-ndjson',
    });
    expect((await res.text()).split('\n\n').filter(Boolean)).toEqual([
      'data: {"total":6}',
      'event: end\ndata: {}',
    ]);
    await expectError(
      await post('/api/gw-greeter/Greeter.Sum', '{"n":1}\nnope\n', {
        'content-type': 'application/x-ndjson',
      }),
      400,
      /not JSON/,
    );
  });

  it('an SSE client going away cancels the stream at the service', async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/gw-greeter/Greeter.Ticks`, { signal: abort.signal });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^data: \{"tick":0\}/);
    abort.abort();
    await waitFor(() => ticks.cancelled === 1, 10_000, 'the service saw the stream cancelled');
  });

  it('POST /publish/{topic} reaches a subscriber through the broker', async () => {
    const res = await post('/publish/gw.events', { hello: 'world' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', topic: 'gw.events' });
    await waitFor(() => published.length > 0, 10_000, 'the subscriber got the message');
    expect(published).toContainEqual({ hello: 'world' });
  });

  it('CORS: a preflight from an allowed origin is 204 with the headers, another origin is refused', async () => {
    const ok = await fetch(`${base}/api/gw-greeter/Greeter.Hello`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type');
    const other = await fetch(`${base}/api/gw-greeter/Greeter.Hello`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/openapi.json: an OpenAPI 3.1 document of every endpoint with schemas, descriptions and scopes', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, Record<string, any>>>;
      components: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/gw' }]);
    const hello = doc.paths['/api/gw-greeter/Greeter.Hello']!.post!;
    expect(hello.operationId).toBe('gw-greeter.Greeter.Hello');
    expect(hello.description).toBe('Says hello');
    const body = hello.requestBody.content['application/json'];
    expect(body.schema.properties).toMatchObject({ name: { type: 'string' }, age: { type: 'integer' } });
    expect(body.example).toEqual({ name: 'John' });
    expect(doc.paths['/api/gw-greeter/Greeter.Hello']!.get!.parameters).toEqual([
      expect.objectContaining({
        name: 'name',
        in: 'query',
        schema: expect.objectContaining({ type: 'string' }),
      }),
      expect.objectContaining({
        name: 'age',
        in: 'query',
        schema: expect.objectContaining({ type: 'integer' }),
      }),
    ]);
    expect(hello.responses['200'].content['application/json'].schema.properties).toMatchObject({
      msg: { type: 'string' },
    });
    expect(doc.paths['/api/gw-greeter/Greeter.Admin']!.post!.security).toEqual([
      { bearer: ['greeter.admin', 'ops'] },
    ]);
    expect(doc.paths['/api/gw-greeter/Greeter.Count']!.post!.responses['200'].content).toHaveProperty(
      'text/event-stream',
    );
    expect(Object.keys(doc.paths).some((p) => p.includes('gw.events'))).toBe(false); // subscribers are not operations
    // structurally valid: every operation has an id, responses, and every $ref resolves
    const ids = new Set<string>();
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item)) {
        expect(typeof op.operationId).toBe('string');
        expect(ids.has(op.operationId as string)).toBe(false);
        ids.add(op.operationId as string);
        expect(Object.keys(op.responses as object).length).toBeGreaterThan(0);
      }
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g))
      expect(doc.components[ref[1]!]).toHaveProperty(ref[2]!);
  });

  it('/health, the service list and a service description', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const list = (await (await fetch(`${base}/api`)).json()) as Array<{ name: string; endpoints: string[] }>;
    expect(list).toContainEqual({
      name: 'gw-greeter',
      endpoints: expect.arrayContaining(['Greeter.Hello', 'Greeter.Count']),
    });
    const described = (await (await fetch(`${base}/micro/registry/gw-greeter`)).json()) as {
      name: string;
      nodes: number;
    };
    expect(described).toMatchObject({ name: 'gw-greeter', nodes: 1 });
  });

  const callParsed = (body: unknown): Promise<Response> =>
    fetch(`${parsedBase}/api/gw-greeter/Greeter.Hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("mounted at an app's root with Nest's JSON body parser: the parsed body is validated, limited and called", async () => {
    expect(await (await callParsed({ name: 'Eve' })).json()).toEqual({ msg: 'Hello Eve' });
    await expectError(await callParsed({ name: 'Eve', age: 1.5 }), 400, /age: expected an integer/);
    await expectError(await callParsed({ name: 'x'.repeat(4096) }), 413, /larger than 2048 bytes/);
  });

  it('405 for a method a route does not take', async () => {
    await expectError(
      await fetch(`${base}/api/gw-greeter/Greeter.Hello`, { method: 'PUT' }),
      405,
      /not allowed/,
    );
  });
});
