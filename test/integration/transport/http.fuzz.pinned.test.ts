/**
 * Cases the HTTP-wire fuzz (http.fuzz.test.ts) found, pinned as regular tests: a client that
 * half-closes (sends its FIN) before its first headers are complete, or in the middle of a go-micro
 * stream connection, used to leave the server's socket open for good on the `http` transport
 * (node:http's server sockets allow half-open connections); a Timeout header longer than a timer
 * holds (2^31 ms) expired a stream at once (Node fires such a setTimeout after 1 ms); a client's
 * in-band error on a stream stopped the handler but never let go of the stream, so its connection
 * could not close.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS, timeoutHeaderToMs } from '../../../lib/core/metadata/headers.js';
import { Http1Parser, type Parsed } from '../../../lib/core/transport/http/http1-parser.js';
import { exchange, goMicroRequest, startFuzzApp, streamMessage, type FuzzApp } from './http.fuzz.fixture.js';

/** Writes `raw`, half-closes, and reports whether the server closed within `ms`. */
function halfClose(address: string, raw: Buffer, ms = 5_000): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.end(raw);
  });
}

/** Opens a stream, lets `pauseMs` pass, sends one message and EOS; returns what came back. */
function pausedStream(address: string, extra: Record<string, string>, pauseMs: number): Promise<Parsed[]> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const got: Parsed[] = [];
    const socket = connect({ host, port: Number(port) });
    const done = (): void => {
      clearTimeout(deadline);
      socket.destroy();
      resolve(got);
    };
    const deadline = setTimeout(done, 5_000);
    const parser = new Http1Parser('response', 1 << 20, (m) => {
      got.push(m);
      if (m.header['micro-error']) done();
    });
    socket.on('data', (d: Buffer) => void parser.push(d));
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(streamMessage('1', '{}', extra));
    const rest = [
      streamMessage('1', '{"n":1}\n', extra),
      streamMessage('1', '', { ...extra, 'Micro-Error': 'EOS' }),
    ];
    setTimeout(() => socket.write(Buffer.concat(rest)), pauseMs);
  });
}

it('reads a Timeout header longer than a timer holds as the longest one', () => {
  expect(timeoutHeaderToMs('99999999999999999999')).toBe(MAX_TIMEOUT_MS);
  expect(timeoutHeaderToMs(`${MAX_TIMEOUT_MS + 1}000000`)).toBe(MAX_TIMEOUT_MS);
  expect(timeoutHeaderToMs(`${MAX_TIMEOUT_MS}000000`)).toBe(MAX_TIMEOUT_MS);
  expect(timeoutHeaderToMs('5000000000')).toBe(5_000);
});

for (const transport of ['http', 'tcp'] as const) {
  describe(`fuzz cases pinned, on the ${transport} transport`, () => {
    let app: FuzzApp;
    beforeAll(async () => {
      app = await startFuzzApp(transport);
    });
    afterAll(async () => {
      app.untrack();
      await app.pair.caller.close();
      await app.pair.service.close();
    });

    it('closes a connection whose client ends before its first headers are complete', async () => {
      const partial = goMicroRequest('Fuzz.Echo', '{}').subarray(0, 40);
      expect(await halfClose(app.address, partial)).toBe(true);
      expect(app.open.size).toBe(0);
    });

    it('closes a stream connection whose client ends without EOS, and answers what it ended', async () => {
      // stream 1 is left open, stream 2 is ended properly
      const raw = Buffer.concat([
        streamMessage('1', '{}'),
        streamMessage('2', '{}'),
        streamMessage('2', '', { 'Micro-Error': 'EOS' }),
      ]);
      expect(await halfClose(app.address, raw)).toBe(true);
      expect(app.open.size).toBe(0);
      const again = await exchange(
        app.address,
        Buffer.concat([
          streamMessage('3', '{}'),
          streamMessage('3', '{"n":3}\n'),
          streamMessage('3', '', { 'Micro-Error': 'EOS' }),
        ]),
        (got) => got.some((m) => m.header['micro-error'] === 'EOS'),
      );
      expect(again.map((m) => m.header['micro-error'] ?? JSON.parse(m.body.toString()))).toEqual([
        { n: 3 },
        'EOS',
      ]);
    });

    it('serves a stream whose Timeout header is longer than a timer holds', async () => {
      // the pause only gives a timer that overflowed (fired after 1 ms) the time to do harm
      const got = await pausedStream(app.address, { Timeout: '99999999999999999999' }, 30);
      expect(got.map((m) => m.header['micro-error'] ?? JSON.parse(m.body.toString()))).toEqual([
        { n: 1 },
        'EOS',
      ]);
    });

    it('lets go of a stream the client failed in band, and answers it with a cancel', async () => {
      const failed = { 'Micro-Error': '{"id":"client","code":500,"detail":"client failed"}' };
      const raw = Buffer.concat([streamMessage('4', '{}'), streamMessage('4', '', failed)]);
      const got = await exchange(app.address, raw, (m) => m.some((x) => x.header['micro-error']));
      expect(JSON.parse(got.at(-1)!.header['micro-error']!)).toMatchObject({ code: 499 });
      expect(await halfClose(app.address, raw)).toBe(true);
      expect(app.open.size).toBe(0);
    });
  });
}
