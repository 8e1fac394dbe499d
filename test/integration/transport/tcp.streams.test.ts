/** Streams over the framed TCP transport: ordering, half-close, resets and credit-based flow control. */
import { afterEach, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import type { TcpClient } from '../../../lib/core/transport/tcp/tcp.client.js';
import type { Listener, Message, Socket } from '../../../lib/core/transport/transport.js';
import { waitFor } from '../../support/processes.js';
import { call, echoAcceptor, msg } from './tcp.helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c();
});

async function setup(onStream?: (socket: Socket) => void): Promise<{ listener: Listener; t: TcpTransport }> {
  const t = new TcpTransport();
  const listener = await t.listen('127.0.0.1:0', echoAcceptor(onStream));
  cleanups.push(
    () => listener.close(50),
    () => t.close(),
  );
  return { listener, t };
}

function collect(socket: Socket): { messages: Message[]; ended: Promise<MicroError | undefined> } {
  const messages: Message[] = [];
  socket.onMessage((m) => messages.push(m));
  return { messages, ended: new Promise((resolve) => socket.onEnd(resolve)) };
}

const KIB = Buffer.alloc(1024, 1);

describe('tcp transport: streams', () => {
  it('echoes messages in order and ends cleanly on both sides', async () => {
    const { listener, t } = await setup();
    const s = t.dial(listener.address).stream(msg('open', { 'micro-stream': 'true' }));
    const { messages, ended } = collect(s);
    for (let i = 0; i < 50; i++) s.send(msg(`m${i}`));
    s.end();
    expect(await ended).toBeUndefined();
    expect(messages.map((m) => m.body.toString())).toEqual([
      'open',
      ...Array.from({ length: 50 }, (_, i) => `m${i}`),
    ]);
    expect(messages[0]?.header['micro-stream']).toBe('true');
    expect(s.local).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('interleaves streams and unary calls on one connection', async () => {
    const { listener, t } = await setup();
    const client = t.dial(listener.address) as TcpClient;
    const streams = Array.from({ length: 20 }, async (_, i) => {
      const s = client.stream(msg(`s${i}`));
      const { messages, ended } = collect(s);
      for (let j = 0; j < 10; j++) s.send(msg(`s${i}-${j}`));
      s.end();
      await ended;
      return messages.map((m) => m.body.toString());
    });
    const calls = Array.from({ length: 200 }, (_, i) => call(client, msg(`c${i}`)));
    const [streamed, called] = await Promise.all([Promise.all(streams), Promise.all(calls)]);
    streamed.forEach((bodies, i) =>
      expect(bodies).toEqual([`s${i}`, ...Array.from({ length: 10 }, (_, j) => `s${i}-${j}`)]),
    );
    expect(called.map((r) => r.reply?.body.toString())).toEqual(called.map((_, i) => `c${i}`));
    expect(client.connections).toBe(1);
  });

  it('stops the client producer when credit runs out and resumes on drain', async () => {
    let server: Socket | undefined;
    const { listener, t } = await setup((socket) => (server = socket));
    const s = t.dial(listener.address).stream(msg('open'));
    let sent = 0;
    while (sent < 1000 && s.send({ header: {}, body: KIB })) sent++;
    expect(sent).toBeLessThan(100); // the 64 KiB window, not the 1000 asked for
    const drained = new Promise<void>((resolve) => s.onDrain(resolve));
    for (let i = 0; i < 20; i++) expect(s.send({ header: { n: `${i}` }, body: KIB })).toBe(false);
    await waitFor(() => server !== undefined, 5_000, 'server stream');
    const received: Message[] = [];
    server!.onMessage((m) => received.push(m));
    await drained;
    await waitFor(() => received.length === sent + 22, 5_000, 'every message');
    expect(received.slice(-20).map((m) => m.header.n)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}`));
  });

  it('stops the server producer when the client does not read', async () => {
    let sent = 0;
    let drains = 0;
    const { listener, t } = await setup((socket) => {
      socket.onDrain(() => drains++);
      while (sent < 1000 && socket.send({ header: {}, body: KIB })) sent++;
    });
    const s = t.dial(listener.address).stream(msg('open'));
    await waitFor(() => sent > 0, 5_000, 'server producing');
    expect(sent).toBeLessThan(100);
    await new Promise((r) => setTimeout(r, 100));
    const received: Message[] = [];
    s.onMessage((m) => received.push(m));
    await waitFor(() => drains === 1, 5_000, 'server drain');
    expect(received.length).toBe(sent + 1);
  });

  it('carries a reset error to the other side', async () => {
    const { listener, t } = await setup((socket) =>
      socket.onMessage(() => socket.close(MicroError.forbidden('svc', 'no streams for you'))),
    );
    const s = t.dial(listener.address).stream(msg('open'));
    const { ended } = collect(s);
    const error = await ended;
    expect(error?.code).toBe(403);
    expect(error?.detail).toBe('no streams for you');
  });

  it('tells the server when the client cancels', async () => {
    let serverEnd: Promise<MicroError | undefined> | undefined;
    const { listener, t } = await setup((socket) => {
      serverEnd = new Promise((resolve) => socket.onEnd(resolve));
      socket.onMessage(() => undefined);
    });
    const s = t.dial(listener.address).stream(msg('open'));
    await waitFor(() => serverEnd !== undefined, 5_000, 'server stream');
    s.close();
    expect((await serverEnd)?.code).toBe(499);
  });

  it('ends open streams with a 503 when the connection goes away', async () => {
    const { listener, t } = await setup((socket) => socket.onMessage(() => undefined));
    const s = t.dial(listener.address).stream(msg('open'));
    const { ended } = collect(s);
    await new Promise((r) => setTimeout(r, 50));
    await listener.close(50);
    const error = await ended;
    expect(error?.code).toBe(503);
  });
});
