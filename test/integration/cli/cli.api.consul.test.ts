// `nest-micro api` (the HTTP API gateway on the command line) with MICRO_REGISTRY=consul, in front
// of a Nest service registered in a throwaway `consul agent -dev` on loopback: calls, a token's
// scopes, an SSE stream, a publish reaching the service's subscriber over the HTTP broker, a node
// that does not answer (503), a deadline (408), CORS, /openapi.json, and a clean exit on SIGTERM.
import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, type Service } from '../../../lib/core/registry/index.js';
import { published, registerGhost, startGatewayGreeter } from '../../e2e/gateway/gateway.fixture.js';
import { consulAvailability, startConsul, type ConsulAgent } from '../../support/consul.js';
import { freePort } from '../../support/ports.js';
import { waitFor, type Started } from '../../support/processes.js';
import { startCli } from './cli.helpers.js';

describe.skipIf(consulAvailability.skip)(`nest-micro api on Consul ${consulAvailability.reason}`, () => {
  let agent: ConsulAgent;
  let service: INestMicroservice;
  let registry: Registry;
  let gateway: Started;
  let base: string;
  let ghost: Service;
  let metricsPort: number;

  beforeAll(async () => {
    agent = await startConsul();
    service = await startGatewayGreeter(createRegistry('consul', agent.address));
    registry = createRegistry('consul', agent.address);
    ghost = await registerGhost(registry);
    const port = await freePort();
    metricsPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = startCli(
      [
        'api',
        '--registry',
        'consul',
        '--registry-address',
        agent.address,
        '--address',
        `127.0.0.1:${port}`,
        '--token',
        'admin-token=greeter.admin',
        '--cors',
        '--metrics-port',
        String(metricsPort),
      ],
      { NO_COLOR: '1', MICRO_API_TOKENS: 'ops-token=ops' },
    );
    await waitFor(() => /API gateway listening on/.test(gateway.output()), 30_000, 'nest-micro api').catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${gateway.output()}`);
      },
    );
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await registry?.deregister(ghost).catch(() => undefined);
    await registry?.close?.();
    await service?.close();
    await agent?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('calls the service it finds in Consul, on go-micro paths', async () => {
    const res = await post('/api/gw-greeter/Greeter.Hello', { name: 'Consul' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ msg: 'Hello Consul' });
    const short = await post('/gw-greeter/Greeter.Hello', { name: 'Short' });
    expect(await short.json()).toEqual({ msg: 'Hello Short' });
  });

  it('tokens from --token and MICRO_API_TOKENS grant their scopes', async () => {
    expect((await post('/api/gw-greeter/Greeter.Admin', {})).status).toBe(401);
    expect(
      (await post('/api/gw-greeter/Greeter.Admin', {}, { authorization: 'Bearer admin-token' })).status,
    ).toBe(200);
    expect(
      (await post('/api/gw-greeter/Greeter.Admin', {}, { authorization: 'Bearer ops-token' })).status,
    ).toBe(200);
  });

  it('a stream as Server-Sent Events', async () => {
    const res = await post('/api/gw-greeter/Greeter.Count', { n: 2 });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect((await res.text()).split('\n\n').filter(Boolean)).toEqual([
      'data: {"i":1}',
      'data: {"i":2}',
      'event: end\ndata: {}',
    ]);
  });

  it('a publish reaches the subscriber through the HTTP broker', async () => {
    const res = await post('/micro/broker/gw.events', { via: 'cli' });
    expect(res.status).toBe(200);
    await waitFor(() => published.some((p) => (p as { via?: string }).via === 'cli'), 10_000, 'delivery');
  });

  it('503 for a node that does not answer, 408 past the Timeout header, 404 for an unknown service', async () => {
    const dead = await post('/api/gw-ghost/Ghost.Call', {});
    expect(dead.status).toBe(503);
    expect(await dead.json()).toMatchObject({ code: 503 });
    const slow = await post('/api/gw-greeter/Greeter.Sleep', {}, { timeout: '250ms' });
    expect(slow.status).toBe(408);
    expect((await post('/api/nobody/Foo.Bar', {})).status).toBe(404);
  });

  it('CORS (--cors: any origin) and /openapi.json', async () => {
    const preflight = await fetch(`${base}/api/gw-greeter/Greeter.Hello`, {
      method: 'OPTIONS',
      headers: { origin: 'https://x.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/gw-greeter/Greeter.Hello');
    expect(Object.keys(doc.paths)).toContain('/api/gw-ghost/Ghost.Call');
  });

  it('--metrics-port serves the calls the gateway made as Prometheus metrics', async () => {
    await post('/api/gw-greeter/Greeter.Hello', { name: 'Metrics' });
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/rpc_client_call_duration_count\{[^}]*rpc_method="gw-greeter.Greeter.Hello"/);
  });

  it('SIGTERM closes the server and exits 0', async () => {
    await gateway.stop('SIGTERM');
    expect(gateway.child.exitCode).toBe(0);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});
