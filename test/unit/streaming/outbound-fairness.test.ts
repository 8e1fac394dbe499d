/**
 * A stream whose client takes everything at once (a socket whose writes never back up, as an HTTP
 * stream to a fast reader on loopback) must not keep the event loop to itself: the async generator
 * is pulled in turns, so timers and I/O of every other connection run while it streams. Only the
 * order of events is asserted, never a time.
 */
import { describe, expect, it } from 'vitest';
import { Outbound } from '../../../lib/core/streaming/outbound.js';
import type { Message, Socket } from '../../../lib/core/transport/transport.js';

/** A socket that takes every message at once and never reports backpressure. */
function greedySocket(): Socket & { sent: number } {
  const socket = {
    sent: 0,
    local: '',
    remote: '',
    send: (_message: Message): boolean => {
      socket.sent++;
      return true;
    },
    onMessage: () => undefined,
    onEnd: () => undefined,
    onDrain: () => undefined,
    end: () => undefined,
    close: () => undefined,
  };
  return socket;
}

describe('Outbound: an async generator to a client that never pushes back', () => {
  it('lets the event loop run while it streams', async () => {
    const socket = greedySocket();
    const total = 200_000;
    async function* values(): AsyncGenerator<number> {
      for (let i = 0; i < total; i++) yield i;
    }
    const done = new Promise<void>((resolve) => {
      const outbound = new Outbound(
        socket,
        { encode: (value) => ({ header: {}, body: Buffer.from(String(value)) }), done: () => resolve() },
        Infinity,
        'test',
      );
      outbound.start(values());
    });
    const sentWhenTimerRan = await new Promise<number>((resolve) =>
      setTimeout(() => resolve(socket.sent), 0),
    );
    await done;
    expect(socket.sent).toBe(total);
    expect(sentWhenTimerRan).toBeLessThan(total);
  });
});
