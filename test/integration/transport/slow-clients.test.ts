/**
 * Clients that hold a connection without finishing what they send. The HTTP side's request
 * timeouts, on both listeners that serve go-micro's HTTP wire (the HTTP transport, and the framed
 * TCP port's sniffed HTTP connections): a client that sends its headers and never the body, or never
 * finishes its headers, is answered with a Micro-Error 408 (on a 200, as go-micro's client reads
 * errors) and its connection is closed, the handler never called; a good call still succeeds. The
 * framed protocol: a connection idle (or stuck mid-frame) past the server's idle timeout gets GOAWAY
 * and is closed. A connection answered with a 408 (one that sent nothing at all included) is closed
 * even when its client neither reads nor closes its side. Timeouts are shortened through
 * options; only outcomes are asserted.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { HttpTransport } from '../../../lib/core/transport/http/http.transport.js';
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import type { Acceptor, Listener, Transport } from '../../../lib/core/transport/transport.js';
import { PREFACE, T_GOAWAY, T_REQUEST } from '../../../lib/core/transport/tcp/protocol.js';
import { headerOnly, idle, watchServerSockets } from '../../support/hostile-clients.js';
import { waitFor } from '../../support/processes.js';
import { frame, rawConnect } from './tcp.raw.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c();
});

const httpTimeouts = { headersTimeout: 150, requestTimeout: 300, keepAliveTimeout: 5_000 };

function countingAcceptor(): Acceptor & { calls: number } {
  const acceptor = {
    calls: 0,
    call(request: { body: Buffer }, reply: (m: { header: Record<string, string>; body: Buffer }) => void) {
      acceptor.calls++;
      reply({ header: { 'Content-Type': 'application/json' }, body: request.body });
    },
    stream: () => undefined,
  };
  return acceptor;
}

/** Writes `bytes` and reads everything until the server closes the connection. */
function exchange(address: string, bytes: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) }, () => socket.write(bytes));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

function microError(response: string): MicroError {
  const line = response.split('\r\n').find((l) => l.toLowerCase().startsWith('micro-error:'));
  expect(line, response).toBeDefined();
  return MicroError.parse(line!.slice('micro-error:'.length).trim());
}

const POST = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nMicro-Endpoint: A.B\r\n';

describe.each([
  ['http', (): Transport => new HttpTransport({ httpTimeouts })],
  ['tcp (sniffed HTTP)', (): Transport => new TcpTransport({ httpTimeouts })],
])('HTTP request timeouts on the %s listener', (_name, make) => {
  async function serve(acceptor: Acceptor): Promise<Listener> {
    const transport = make();
    const listener = await transport.listen('127.0.0.1:0', acceptor);
    cleanups.push(() => transport.close());
    cleanups.push(() => listener.close(100));
    return listener;
  }

  it('answers headers without their body with a Micro-Error 408 and closes the connection', async () => {
    const acceptor = countingAcceptor();
    const listener = await serve(acceptor);
    const response = await exchange(listener.address, `${POST}Content-Length: 100\r\n\r\n{"half":`);
    expect(response.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(microError(response)).toMatchObject({ code: 408, id: 'go.micro.server' });
    expect(response.toLowerCase()).toContain('connection: close');
    expect(acceptor.calls).toBe(0);
  });

  it('closes the connection after its 408 even when the client neither reads nor closes', async () => {
    const listener = await serve(countingAcceptor());
    const watch = watchServerSockets(Number(listener.address.split(':').at(-1)));
    cleanups.push(() => watch.stop());
    const client = await headerOnly(listener.address, 'http');
    client.socket.pause();
    cleanups.push(() => client.socket.destroy());
    await waitFor(() => watch.open.size === 1, 5_000, 'the connection');
    await waitFor(() => watch.open.size === 0, 5_000, 'the server to close it');
  });

  it('answers headers that never end with a 408 too', async () => {
    const acceptor = countingAcceptor();
    const listener = await serve(acceptor);
    const response = await exchange(listener.address, POST);
    expect(microError(response)).toMatchObject({ code: 408 });
    expect(acceptor.calls).toBe(0);
  });

  it('still serves a request that arrives whole', async () => {
    const acceptor = countingAcceptor();
    const listener = await serve(acceptor);
    const body = '{"n":1}';
    const response = await exchange(
      listener.address,
      `${POST}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(response.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(response.toLowerCase()).not.toContain('micro-error');
    expect(response.endsWith(body)).toBe(true);
    expect(acceptor.calls).toBe(1);
  });
});

/** Opens a connection that sends and reads nothing; resolves once the server closed it. */
async function closedByServer(transport: Transport, options = {}): Promise<void> {
  const listener = await transport.listen('127.0.0.1:0', countingAcceptor(), options);
  cleanups.push(() => transport.close());
  cleanups.push(() => listener.close(100));
  const watch = watchServerSockets(Number(listener.address.split(':').at(-1)));
  cleanups.push(() => watch.stop());
  const client = await idle(listener.address); // paused: never reads the 408 nor sees the close
  cleanups.push(() => client.socket.destroy());
  await waitFor(() => watch.open.size === 1, 5_000, 'the connection');
  await waitFor(() => watch.open.size === 0, 5_000, 'the server to close it');
}

describe('connections that send nothing at all, and read nothing', () => {
  it('http: closed after the request timeout', () => closedByServer(new HttpTransport({ httpTimeouts })));

  it('tcp: closed after the sniff timeout', () => closedByServer(new TcpTransport(), { sniffTimeout: 150 }));
});

async function serveIdle(acceptor: Acceptor): Promise<Listener> {
  const transport = new TcpTransport({ serverIdleTimeout: 100 });
  const listener = await transport.listen('127.0.0.1:0', acceptor);
  cleanups.push(() => transport.close());
  cleanups.push(() => listener.close(100));
  return listener;
}

describe('idle framed connections on the tcp listener', () => {
  it('closes a connection stuck mid-frame, after a GOAWAY', async () => {
    const acceptor = countingAcceptor();
    const listener = await serveIdle(acceptor);
    const conn = await rawConnect(listener.address);
    const half = frame(T_REQUEST, 1, Buffer.alloc(64));
    conn.socket.write(Buffer.concat([PREFACE, half.subarray(0, 20)]));
    await conn.closed;
    expect(conn.frames.some((f) => f.type === T_GOAWAY)).toBe(true);
    expect(acceptor.calls).toBe(0);
  });

  it('closes a connection that only said hello', async () => {
    const listener = await serveIdle(countingAcceptor());
    const conn = await rawConnect(listener.address);
    conn.socket.write(PREFACE);
    await conn.closed;
    expect(conn.isClosed()).toBe(true);
  });
});
