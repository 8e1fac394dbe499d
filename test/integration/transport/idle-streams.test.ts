/**
 * Idle server streams on both transports. The sweep itself on fake timers (a silent stream ends
 * with a 408, a moving one never, 0 turns it off, an empty HTTP stream connection closes); then on
 * the wire with a short configured timeout: a go-micro HTTP stream that opens and goes silent (on the
 * http listener and the tcp port's sniffed HTTP) ends with a 408 toward the handler and in band, and
 * its connection closes; a framed stream is reset with a 408 and its connection keeps serving; a
 * stream with messages flowing either way stays open. Only outcomes are asserted, no timings.
 */
import { connect, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { IdleStreams, type IdleTracked } from '../../../lib/core/transport/idle-streams.js';
import { Http1Parser, type Parsed } from '../../../lib/core/transport/http/http1-parser.js';
import { HttpTransport } from '../../../lib/core/transport/http/http.transport.js';
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import type {
  Acceptor,
  Listener,
  Message,
  Socket,
  Transport,
} from '../../../lib/core/transport/transport.js';
import { call, msg } from './tcp.helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).toReversed()) await c();
});

const IDLE = 120;

function sweepOn(timeout: number, onEmpty?: () => void) {
  vi.useFakeTimers();
  const streams = new Map<number, IdleTracked>();
  const expired: [IdleTracked, MicroError][] = [];
  const idle = new IdleStreams(timeout, streams, (s, e) => expired.push([s, e]), 'test', onEmpty);
  cleanups.push(() => idle.stop());
  return { streams, expired, idle };
}

describe('IdleStreams (fake timers)', () => {
  it('ends a silent stream with a 408 after the timeout, and a moving one never', () => {
    const { streams, expired, idle } = sweepOn(1_000);
    const silent = { moved: true, quiet: 0 };
    const busy = { moved: true, quiet: 0 };
    streams.set(1, silent).set(2, busy);
    idle.watch();
    for (let t = 0; t < 5_000; t += 100) {
      busy.moved = true;
      vi.advanceTimersByTime(100);
      if (expired.length > 0) break;
    }
    expect(expired.map(([s]) => s)).toEqual([silent]);
    const error = expired[0]![1];
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 408, id: 'test' });
  });

  it('never ends a stream when the timeout is 0', () => {
    const { streams, expired, idle } = sweepOn(0);
    streams.set(1, { moved: true, quiet: 0 });
    idle.watch();
    vi.advanceTimersByTime(10 * 60_000);
    expect(expired).toEqual([]);
  });

  it('with onEmpty, reports a connection that had no stream for the timeout', () => {
    const empty = vi.fn();
    const { streams, idle } = sweepOn(1_000, empty);
    idle.watch();
    vi.advanceTimersByTime(600);
    streams.set(1, { moved: true, quiet: 0 });
    idle.watch();
    streams.delete(1);
    vi.advanceTimersByTime(600);
    expect(empty).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(empty).toHaveBeenCalledOnce();
  });
});

/** An acceptor whose streams are recorded and otherwise left alone (or echoed). */
function recorder(echo = false): Acceptor & { ends: Promise<MicroError | undefined>[] } {
  const ends: Promise<MicroError | undefined>[] = [];
  return {
    ends,
    call: (request, reply) => reply({ header: request.header, body: request.body }),
    stream(socket: Socket) {
      ends.push(new Promise((resolve) => socket.onEnd(resolve)));
      socket.onMessage((m) => {
        if (echo) socket.send({ header: {}, body: m.body });
      });
    },
  };
}

async function serve(transport: Transport, acceptor: Acceptor): Promise<Listener> {
  const listener = await transport.listen('127.0.0.1:0', acceptor);
  cleanups.push(
    () => transport.close(),
    () => listener.close(50),
  );
  return listener;
}

function post(stream: string, body: string, extra: Record<string, string> = {}): string {
  const headers = { 'Content-Type': 'application/json', 'Micro-Endpoint': 'Idle.Wait', ...extra };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return (
    `POST / HTTP/1.1\r\nHost: x\r\n${lines.join('')}Micro-Stream: ${stream}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A raw go-micro HTTP stream connection: what it wrote, the responses it got, when it closed. */
function rawStream(address: string): { socket: NetSocket; got: Parsed[]; closed: Promise<void> } {
  const [host, port] = address.split(':');
  const socket = connect({ host, port: Number(port) });
  const got: Parsed[] = [];
  const parser = new Http1Parser('response', 1 << 20, (m) => got.push(m));
  socket.on('data', (d: Buffer) => parser.push(d));
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  return { socket, got, closed: new Promise((resolve) => socket.on('close', () => resolve())) };
}

const httpTimeouts = { streamIdleTimeout: IDLE };

describe.each([
  ['http', (): Transport => new HttpTransport({ httpTimeouts })],
  ['tcp (sniffed HTTP)', (): Transport => new TcpTransport({ httpTimeouts })],
])('idle go-micro HTTP streams on the %s listener', (_name, make) => {
  it('ends a stream that goes silent with a 408 to the handler and in band, and closes the connection', async () => {
    const acceptor = recorder();
    const listener = await serve(make(), acceptor);
    const client = rawStream(listener.address);
    client.socket.write(post('1', '{}'));
    await client.closed;
    expect(acceptor.ends).toHaveLength(1);
    expect(await acceptor.ends[0]).toMatchObject({ code: 408, id: 'go.micro.server' });
    const error = client.got.find((m) => m.header['micro-error'] !== undefined);
    expect(MicroError.parse(error!.header['micro-error']!)).toMatchObject({ code: 408 });
    expect(error!.header['micro-stream']).toBe('1');
  });

  it('closes a stream connection whose first message never completes', async () => {
    const acceptor = recorder();
    const listener = await serve(make(), acceptor);
    const client = rawStream(listener.address);
    client.socket.write(post('1', '{"half":').replace(/Content-Length: \d+/, 'Content-Length: 100'));
    await client.closed;
    expect(acceptor.ends).toHaveLength(0);
  });

  it('keeps a stream with messages flowing open past the timeout', async () => {
    const acceptor = recorder(true);
    const listener = await serve(make(), acceptor);
    const client = rawStream(listener.address);
    let closed = false;
    void client.closed.then(() => (closed = true));
    client.socket.write(post('1', '{}'));
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, IDLE / 4));
      client.socket.write(post('1', `{"n":${i}}`));
    }
    await new Promise((r) => setTimeout(r, IDLE / 4));
    expect(closed).toBe(false);
    expect(client.got.filter((m) => m.header['micro-error'] !== undefined)).toEqual([]);
    expect(client.got.length).toBeGreaterThanOrEqual(12);
  });
});

function framed(acceptor: Acceptor): Promise<{ t: TcpTransport; address: string }> {
  const t = new TcpTransport({ serverStreamIdleTimeout: IDLE });
  return serve(t, acceptor).then((listener) => ({ t, address: listener.address }));
}

describe('idle framed streams on the tcp listener', () => {
  it('resets a silent stream with a 408 on both sides; the connection keeps serving', async () => {
    const acceptor = recorder();
    const { t, address } = await framed(acceptor);
    const client = t.dial(address);
    const stream = client.stream(msg('open'));
    const clientEnd = new Promise<MicroError | undefined>((resolve) => stream.onEnd(resolve));
    expect(await clientEnd).toMatchObject({ code: 408 });
    expect(await acceptor.ends[0]).toMatchObject({ code: 408, id: 'go.micro.server.transport' });
    const { error, reply } = await call(client, msg('still here'));
    expect(error).toBeNull();
    expect(reply?.body.toString()).toBe('still here');
  });

  it('keeps a stream with messages flowing open past the timeout', async () => {
    const acceptor = recorder(true);
    const { t, address } = await framed(acceptor);
    const stream = t.dial(address).stream(msg('open'));
    const got: Message[] = [];
    let ended: MicroError | undefined | null = null;
    stream.onMessage((m) => got.push(m));
    stream.onEnd((e) => (ended = e));
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, IDLE / 4));
      stream.send(msg(`m${i}`));
    }
    await new Promise((r) => setTimeout(r, IDLE / 4));
    expect(ended).toBeNull();
    expect(got.length).toBeGreaterThanOrEqual(12);
  });
});
