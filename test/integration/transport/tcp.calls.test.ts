/** Unary calls over the framed TCP transport: multiplexing, timeouts, limits, failures, restarts. */
import { afterEach, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import type { TcpClient } from '../../../lib/core/transport/tcp/tcp.client.js';
import type { Acceptor, Listener, Peer } from '../../../lib/core/transport/transport.js';
import { freePort } from '../../support/ports.js';
import { startProcess, waitFor, type Started } from '../../support/processes.js';
import { call, echoAcceptor, msg } from './tcp.helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c();
});

async function serve(
  acceptor: Acceptor = echoAcceptor(),
  options: Parameters<TcpTransport['listen']>[2] = {},
  address = '127.0.0.1:0',
): Promise<Listener> {
  const listener = await new TcpTransport().listen(address, acceptor, options);
  cleanups.push(() => listener.close(100));
  return listener;
}

function transport(options: ConstructorParameters<typeof TcpTransport>[0] = {}): TcpTransport {
  const t = new TcpTransport(options);
  cleanups.push(() => t.close());
  return t;
}

function startEchoServer(port: number): Started {
  const child = startProcess('node', [
    '--import',
    './scripts/register-ts.mjs',
    'test/integration/transport/tcp.echo-server.ts',
    `${port}`,
  ]);
  cleanups.push(() => child.stop('SIGKILL'));
  return child;
}

describe('tcp transport: unary calls', () => {
  it('matches 2,000 concurrent calls on one connection to their replies', async () => {
    const remotes = new Set<string>();
    const acceptor = echoAcceptor();
    const listener = await serve({
      call(request, reply, peer: Peer) {
        remotes.add(peer.remote);
        acceptor.call(request, reply, peer);
      },
      stream: acceptor.stream,
    });
    const client = transport().dial(listener.address) as TcpClient;
    const results = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        call(client, msg(`{"n":${i}}`, { 'micro-id': `${i}`, 'delay-ms': `${i % 7}` })),
      ),
    );
    results.forEach(({ error, reply }, i) => {
      expect(error).toBeNull();
      expect(reply?.body.toString()).toBe(`{"n":${i}}`);
      expect(reply?.header['micro-id']).toBe(`${i}`);
      expect(reply?.header['x-echo']).toBe('1');
    });
    expect(remotes.size).toBe(1);
    expect(client.connections).toBe(1);
  });

  it('times out with a 408, frees the id and ignores the late reply', async () => {
    const listener = await serve();
    const client = transport().dial(listener.address);
    const slow = await call(client, msg('slow', { 'delay-ms': '300' }), 50);
    expect(slow.error).toBeInstanceOf(MicroError);
    expect(slow.error?.code).toBe(408);
    const replies: string[] = [];
    await new Promise<void>((resolve) =>
      client.call(msg('fast'), { timeout: 5_000 }, (error, reply) => {
        replies.push(error ? `error ${error.code}` : reply!.body.toString());
        resolve();
      }),
    );
    await new Promise((r) => setTimeout(r, 400)); // the late reply to "slow" arrives meanwhile
    expect(replies).toEqual(['fast']);
    expect((await call(client, msg('after'))).reply?.body.toString()).toBe('after');
  });

  it('refuses a request over the frame limit locally with a 413, and the connection stays usable', async () => {
    const listener = await serve();
    const client = transport({ peerMaxFrame: 1024 }).dial(listener.address);
    const big = await call(client, msg('x'.repeat(2048)));
    expect(big.error?.code).toBe(413);
    expect(big.error?.retryable).toBe(false);
    expect((await call(client, msg('small'))).reply?.body.toString()).toBe('small');
  });

  it("answers a body over the server's maxBodySize with a 413 and keeps serving", async () => {
    const listener = await serve(echoAcceptor(), { maxBodySize: 1000 });
    const client = transport().dial(listener.address) as TcpClient;
    const big = await call(client, msg('y'.repeat(5000)));
    expect(big.error?.code).toBe(413);
    expect((await call(client, msg('ok'))).reply?.body.toString()).toBe('ok');
    expect(client.connections).toBe(1);
  });

  it('refuses oversize header keys with a 400', async () => {
    const listener = await serve();
    const client = transport().dial(listener.address);
    const r = await call(client, msg('a', { ['k'.repeat(300)]: 'v' }));
    expect(r.error?.code).toBe(400);
  });

  it('turns an acceptor that throws into a 500 for that call only', async () => {
    const listener = await serve({
      call(request, reply) {
        if (request.body.toString() === 'boom') throw new Error('handler exploded');
        reply(request);
      },
      stream: () => undefined,
    });
    const client = transport().dial(listener.address);
    const [bad, good] = await Promise.all([call(client, msg('boom')), call(client, msg('fine'))]);
    expect(bad.error?.code).toBe(500);
    expect(bad.error?.detail).toContain('handler exploded');
    expect(good.reply?.body.toString()).toBe('fine');
  });

  it('fails with a retryable 503 when nothing listens', async () => {
    const port = await freePort();
    const r = await call(transport().dial(`127.0.0.1:${port}`), msg('x'));
    expect(r.error?.code).toBe(503);
    expect(r.error?.retryable).toBe(true);
  });

  it('serves go-micro HTTP on the same port', async () => {
    const listener = await serve();
    const res = await fetch(`http://${listener.address}/`, {
      method: 'POST',
      body: '{"name":"John"}',
      headers: { 'content-type': 'application/json', 'micro-service': 'greeter' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo')).toBe('1');
    expect(await res.text()).toBe('{"name":"John"}');
  });

  it('drains on close: in-flight calls are answered, new ones are refused', async () => {
    const listener = await new TcpTransport().listen('127.0.0.1:0', echoAcceptor());
    const client = transport().dial(listener.address) as TcpClient;
    expect((await call(client, msg('warm'))).error).toBeNull();
    const inflight = call(client, msg('in flight', { 'delay-ms': '200' }));
    await new Promise((r) => setTimeout(r, 50));
    const closed = listener.close(2_000);
    expect((await inflight).reply?.body.toString()).toBe('in flight');
    await closed;
    const after = await call(client, msg('after close'));
    expect(after.error?.code).toBe(503);
    expect(after.error?.retryable).toBe(true);
    expect(client.connections).toBe(0);
  });

  it('closes idle HTTP keep-alive connections on close instead of waiting out the grace', async () => {
    const listener = await new TcpTransport().listen('127.0.0.1:0', echoAcceptor());
    const { request, Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    const [host, port] = listener.address.split(':');
    const status = await new Promise<number>((resolve, reject) =>
      request({ host, port: Number(port), method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
        .on('error', reject)
        .end('x'),
    );
    expect(status).toBe(200);
    await listener.close(60_000); // the test would time out if the idle socket waited for the grace
  });

  it('closes idle connections after idleTimeout', async () => {
    const listener = await serve();
    const client = transport({ idleTimeout: 100 }).dial(listener.address) as TcpClient;
    expect((await call(client, msg('x'))).error).toBeNull();
    expect(client.connections).toBe(1);
    await waitFor(() => client.connections === 0, 5_000, 'idle connection closed');
    expect((await call(client, msg('again'))).reply?.body.toString()).toBe('again');
  });

  it('after a server crash and restart on the same port, never reuses the dead connection', async () => {
    const port = await freePort();
    const first = startEchoServer(port);
    await waitFor(() => first.output().includes('listening'), 15_000, 'echo server');
    const client = transport().dial(`127.0.0.1:${port}`) as TcpClient;
    expect((await call(client, msg('before'))).error).toBeNull();

    const inflight = call(client, msg('lost', { 'delay-ms': '5000' }));
    await new Promise((r) => setTimeout(r, 100));
    await first.stop('SIGKILL');
    const lost = await inflight;
    expect(lost.error?.code).toBe(503);
    expect(lost.error?.retryable).toBe(false); // it was written: the server may have handled it
    await waitFor(() => client.connections === 0, 5_000, 'dead connection dropped');

    const second = startEchoServer(port);
    await waitFor(() => second.output().includes('listening'), 15_000, 'restarted echo server');
    const again = await call(client, msg('after restart'));
    expect(again.error).toBeNull();
    expect(again.reply?.body.toString()).toBe('after restart');
  });
});
