/**
 * The NATS transport against a real nats-server: unary calls (headers in go-micro's spelling,
 * concurrency, reply subjects reused, timeouts, a node that is gone, large and oversized messages),
 * streams (order, both ends, errors, cancellation, idle expiry), the streams' credit window between
 * nest-micro nodes and its absence towards go-micro peers (raw NATS clients speaking go-micro's
 * wire), malformed input published raw, and a listener that closes.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { NatsTransport } from '../../../lib/core/transport/nats/index.js';
import { encodeMessage } from '../../../lib/core/transport/nats/nats.wire.js';
import type { Listener, Message, Socket } from '../../../lib/core/transport/transport.js';
import { natsRequirement, startNats, type NatsServer } from '../../support/nats.js';
import { waitFor } from '../../support/processes.js';
import { call, echoAcceptor, msg } from './tcp.helpers.js';

/** Collects a client stream's messages and its end. */
function collect(socket: Socket): { messages: Message[]; ended: Promise<MicroError | undefined> } {
  const messages: Message[] = [];
  socket.onMessage((m) => messages.push(m));
  const ended = new Promise<MicroError | undefined>((resolve) => socket.onEnd(resolve));
  return { messages, ended };
}

/** A go-micro message as it travels: Go's header spelling, base64 body (null when empty). */
interface GoMessage {
  Header: Record<string, string>;
  Body: string | null;
}

/** A raw NATS subscription collecting go-micro messages; `to` publishes with it as reply subject. */
function rawInbox(nc: NatsConnection, subject = `_INBOX.raw.${Math.random().toString(36).slice(2)}`) {
  const received: GoMessage[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_error, m) => void received.push(JSON.parse(m.string()) as GoMessage),
  });
  return {
    subject,
    received,
    to: (target: string, header: Record<string, string>, body = '') =>
      nc.publish(target, encodeMessage({ header, body: Buffer.from(body) }), { reply: subject }),
    close: () => sub.unsubscribe(),
  };
}

const bodyText = (m: GoMessage): string => Buffer.from(m.Body ?? '', 'base64').toString();

/** A raw NATS request to a listener; the reply's go-micro headers. */
async function askRaw(
  nc: NatsConnection,
  subject: string,
  payload: string | Uint8Array,
): Promise<Record<string, string>> {
  const reply = await nc.request(subject, payload, { timeout: 5_000 });
  return (JSON.parse(reply.string()) as { Header: Record<string, string> }).Header;
}

describe.skipIf(natsRequirement.skip)('NATS transport', () => {
  let nats: NatsServer;
  let transport: NatsTransport;
  let listener: Listener;
  let raw: NatsConnection;
  const replySubjects = new Set<string>();
  const streamEnds: Array<MicroError | undefined> = [];

  beforeAll(async () => {
    nats = await startNats({ jetstream: false });
    transport = NatsTransport.fromAddress(nats.address);
    const acceptor = echoAcceptor((socket) => {
      socket.onEnd((error) => {
        streamEnds.push(error);
        if (!error) socket.end();
      });
      let opened = false;
      socket.onMessage((m) => {
        if (!opened) return void (opened = true); // the opening message routes; its body is not data
        const text = m.body.toString();
        if (text === 'fail') socket.close(MicroError.conflict('echo', 'asked to fail'));
        else if (text === 'big') socket.send({ header: {}, body: Buffer.alloc(2 * 1024 * 1024, 'b') });
        else socket.send(m);
      });
    });
    listener = await transport.listen(
      ':0',
      {
        call: (request, reply, peer) => {
          replySubjects.add(peer.remote);
          if (request.body.toString() === 'big')
            return reply({ header: {}, body: Buffer.alloc(2 * 1024 * 1024) });
          acceptor.call(request, reply, peer);
        },
        stream: (socket) => acceptor.stream(socket),
      },
      { maxBodySize: 600 * 1024 },
    );
    raw = await connect({ servers: nats.address });
  }, 90_000);

  afterAll(async () => {
    await raw?.close();
    await listener?.close(100);
    await transport?.close();
    await nats?.dispose();
  });

  describe('listening', () => {
    it('takes a fresh _INBOX subject for ":0", as go-micro does, and a named subject as given', async () => {
      expect(listener.address).toMatch(/^_INBOX\.[A-Za-z0-9]+$/);
      const named = await transport.listen('greeter.node-1', echoAcceptor());
      expect(named.address).toBe('greeter.node-1');
      const { reply } = await call(transport.dial('greeter.node-1'), msg('hi'));
      expect(reply?.body.toString()).toBe('hi');
      await named.close();
    });

    it('refuses a subject NATS cannot carry with a 400', async () => {
      await expect(transport.listen('two words', echoAcceptor())).rejects.toMatchObject({ code: 400 });
      await expect(transport.listen('a.*', echoAcceptor())).rejects.toMatchObject({ code: 400 });
    });

    it('fails to listen with a retryable 503 when NATS is not there', async () => {
      const nowhere = NatsTransport.fromAddress('127.0.0.1:1', { connection: { timeout: 1_000 } });
      await expect(nowhere.listen(':0', echoAcceptor())).rejects.toMatchObject({
        code: 503,
        retryable: true,
      });
      await nowhere.close();
    });
  });

  describe('unary calls', () => {
    it('echoes body and headers, and writes go-micro header names on the wire', async () => {
      const seen: Record<string, string>[] = [];
      const snoop = raw.subscribe(listener.address, {
        callback: (_e, m) => {
          seen.push((JSON.parse(m.string()) as { Header: Record<string, string> }).Header);
        },
      });
      await raw.flush();
      const { error, reply } = await call(
        transport.dial(listener.address),
        msg('{"name":"John"}', {
          'micro-id': '7',
          'micro-service': 'greeter',
          timeout: '5000000000',
          'x-user': 'é €',
        }),
      );
      snoop.unsubscribe();
      expect(error).toBeNull();
      expect(reply!.body.toString()).toBe('{"name":"John"}');
      expect(reply!.header).toMatchObject({ 'micro-id': '7', 'x-user': 'é €', 'x-echo': '1' });
      expect(seen[0]).toMatchObject({
        'Micro-ID': '7',
        'Micro-Service': 'greeter',
        'Content-Type': 'application/json',
        Timeout: '5000000000',
        'X-User': 'é €',
      });
    });

    it('carries 500 concurrent calls, each answered with its own reply', async () => {
      const client = transport.dial(listener.address);
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          call(client, msg(String(i), { 'micro-id': `c${i}`, 'delay-ms': String(i % 7) })),
        ),
      );
      results.forEach(({ error, reply }, i) => {
        expect(error).toBeNull();
        expect(reply!.body.toString()).toBe(String(i));
      });
    });

    it('reuses reply subjects: sequential calls use no more than a few', async () => {
      const client = transport.dial(listener.address);
      replySubjects.clear();
      for (let i = 0; i < 50; i++)
        expect((await call(client, msg('x', { 'micro-id': `s${i}` }))).error).toBeNull();
      expect(replySubjects.size).toBeLessThanOrEqual(2);
    });

    it('times out with a 408, and the late reply does not answer a later call', async () => {
      const client = transport.dial(listener.address);
      const slow = await call(client, msg('slow', { 'micro-id': 'late', 'delay-ms': '300' }), 50);
      expect(slow.error).toMatchObject({ code: 408 });
      const next = await call(client, msg('next', { 'micro-id': 'next', 'delay-ms': '400' }));
      expect(next.reply!.body.toString()).toBe('next');
    });

    it('fails at once, retryable, when nothing listens on the address (the node is gone)', async () => {
      const { error } = await call(transport.dial('_INBOX.gone'), msg('x'), 30_000);
      expect(error).toMatchObject({ code: 503, retryable: true });
    });

    it('fails a call to an address that is not a subject with a 400', async () => {
      const { error } = await call(transport.dial('127.0.0.1 8080'), msg('x'));
      expect(error).toMatchObject({ code: 400 });
    });

    it('carries a 500 KiB body both ways', async () => {
      const body = Buffer.alloc(500 * 1024, 7);
      const { error, reply } = await call(transport.dial(listener.address), { header: {}, body });
      expect(error).toBeNull();
      expect(reply!.body.equals(body)).toBe(true);
    });

    it('refuses a request larger than NATS max_payload with a 413 before sending it', async () => {
      const { error } = await call(transport.dial(listener.address), {
        header: {},
        body: Buffer.alloc(1024 * 1024),
      });
      expect(error).toMatchObject({ code: 413, retryable: false });
    });

    it('answers a reply larger than NATS max_payload with a 413', async () => {
      const { error, reply } = await call(
        transport.dial(listener.address),
        msg('big', { 'micro-id': 'big' }),
      );
      expect(error).toBeNull();
      expect(MicroError.parse(reply!.header['micro-error']!)).toMatchObject({ code: 413 });
    });

    it('answers a request body over the server limit with a 413', async () => {
      const { error, reply } = await call(transport.dial(listener.address), {
        header: { 'micro-id': 'over' },
        body: Buffer.alloc(700 * 1024),
      });
      expect(error).toBeNull();
      expect(MicroError.parse(reply!.header['micro-error']!)).toMatchObject({ code: 413 });
    });
  });

  describe('bad input published raw', () => {
    it('answers what is not go-micro JSON with a 400, and keeps serving', async () => {
      for (const payload of [
        'not json',
        '[1,2]',
        '{"Header":{"a":1}}',
        '{"Header":[],"Body":""}',
        '{"Header":{},"Body":"%%%"}',
        '{"Header":{},"Body":42}',
        new Uint8Array([0xff, 0xfe, 0x00]),
      ]) {
        const header = await askRaw(raw, listener.address, payload);
        expect(MicroError.parse(header['Micro-Error']!)).toMatchObject({ code: 400 });
      }
      raw.publish(listener.address, 'no reply subject: dropped');
      const { reply } = await call(transport.dial(listener.address), msg('alive'));
      expect(reply!.body.toString()).toBe('alive');
    });

    it('reads field names case-insensitively and a null body as empty, as Go does', async () => {
      const header = await askRaw(raw, listener.address, '{"header":{"Micro-ID":"9","X-A":"b"},"body":null}');
      expect(header).toMatchObject({ 'Micro-ID': '9', 'X-A': 'b', 'X-Echo': '1' });
    });

    it('ignores an EOS or an error for a stream it does not know', async () => {
      const eos = encodeMessage({
        header: { 'micro-stream': '1', 'micro-error': 'EOS' },
        body: Buffer.alloc(0),
      });
      raw.publish(listener.address, eos, { reply: '_INBOX.nobody' });
      const { reply } = await call(transport.dial(listener.address), msg('alive'));
      expect(reply!.body.toString()).toBe('alive');
    });
  });

  describe('streams', () => {
    it('carries 2,000 messages each way in order, and both ends', async () => {
      const socket = transport.dial(listener.address).stream(msg('', { 'micro-stream': '1' }));
      const { messages, ended } = collect(socket);
      for (let i = 0; i < 2_000; i++) socket.send(msg(String(i)));
      await waitFor(() => messages.length === 2_000, 30_000, 'the echoes');
      socket.end();
      expect(await ended).toBeUndefined();
      expect(messages.map((m) => m.body.toString())).toEqual(
        Array.from({ length: 2_000 }, (_, i) => String(i)),
      );
      expect(messages[0]!.header['micro-stream']).toBe('1');
      await waitFor(() => streamEnds.length > 0, 5_000, 'the server end');
      expect(streamEnds.at(-1)).toBeUndefined();
    });

    it('runs 50 streams at once on one transport', async () => {
      const client = transport.dial(listener.address);
      await Promise.all(
        Array.from({ length: 50 }, async (_unused, s) => {
          const socket = client.stream(msg('', { 'micro-stream': String(s + 10) }));
          const { messages, ended } = collect(socket);
          for (let i = 0; i < 20; i++) socket.send(msg(`${s}:${i}`));
          await waitFor(() => messages.length === 20, 30_000, `stream ${s}`);
          socket.end();
          expect(await ended).toBeUndefined();
          expect(messages.map((m) => m.body.toString())).toEqual(
            Array.from({ length: 20 }, (_, i) => `${s}:${i}`),
          );
        }),
      );
    });

    it('delivers a server failure in band after the messages before it', async () => {
      const socket = transport.dial(listener.address).stream(msg('', { 'micro-stream': '2' }));
      const { messages, ended } = collect(socket);
      socket.send(msg('one'));
      socket.send(msg('fail'));
      await waitFor(() => messages.length === 2, 10_000, 'the echo and the error');
      expect(messages[0]!.body.toString()).toBe('one');
      expect(MicroError.parse(messages[1]!.header['micro-error']!)).toMatchObject({
        code: 409,
        detail: 'asked to fail',
      });
      socket.close();
      await ended;
    });

    it('tells the server handler when the client cancels', async () => {
      const before = streamEnds.length;
      const socket = transport.dial(listener.address).stream(msg('', { 'micro-stream': '3' }));
      const { messages, ended } = collect(socket);
      socket.send(msg('x'));
      await waitFor(() => messages.length === 1, 10_000, 'the echo');
      socket.close(MicroError.timeout('client', 'gave up'));
      expect(await ended).toMatchObject({ code: 408 });
      await waitFor(() => streamEnds.length > before, 10_000, 'the server seeing the cancellation');
      expect(streamEnds.at(-1)).toMatchObject({ code: 408, detail: 'gave up' });
    });

    it('fails a stream to a node that is gone at once, retryable', async () => {
      const socket = transport.dial('_INBOX.gone').stream(msg('', { 'micro-stream': '4' }));
      expect(await collect(socket).ended).toMatchObject({ code: 503, retryable: true });
    });

    it('ends a stream whose server message exceeds max_payload with a 413', async () => {
      const socket = transport.dial(listener.address).stream(msg('', { 'micro-stream': '5' }));
      const { messages, ended } = collect(socket);
      socket.send(msg('big'));
      await waitFor(() => messages.length === 1, 10_000, 'the error');
      expect(MicroError.parse(messages[0]!.header['micro-error']!)).toMatchObject({ code: 413 });
      socket.close();
      await ended;
    });

    it('ends a server stream silent past streamIdleTimeout with a 408', async () => {
      const short = NatsTransport.fromAddress(nats.address, { streamIdleTimeout: 200 });
      const ends: Array<MicroError | undefined> = [];
      const idle = await short.listen(':0', {
        call: (_r, reply) => reply({ header: {}, body: Buffer.alloc(0) }),
        stream: (socket) => socket.onEnd((e) => ends.push(e)),
      });
      const socket = transport.dial(idle.address).stream(msg('', { 'micro-stream': '6' }));
      const { messages } = collect(socket);
      await waitFor(() => ends.length === 1, 10_000, 'the idle expiry');
      expect(ends[0]).toMatchObject({ code: 408 });
      await waitFor(() => messages.length === 1, 10_000, 'the 408 in band');
      expect(MicroError.parse(messages[0]!.header['micro-error']!)).toMatchObject({ code: 408 });
      socket.close();
      await idle.close(100);
      await short.close();
    });
  });

  describe('stream credit window', () => {
    it('gives a go-micro client (no Micro-Window) exactly go-micro wire: no credit, nothing held', async () => {
      const client = rawInbox(raw);
      const id = { 'micro-stream': '7', 'content-type': 'application/json' };
      client.to(listener.address, id);
      for (let i = 0; i < 1_000; i++) client.to(listener.address, id, `m${i}`.padEnd(100, '.'));
      client.to(listener.address, { ...id, 'micro-error': 'EOS' });
      await waitFor(() => client.received.length === 1_001, 30_000, 'the echoes and the EOS');
      client.close();
      expect(client.received.some((m) => 'Micro-Credit' in m.Header)).toBe(false);
      expect(client.received.slice(0, 1_000).map((m) => bodyText(m).replace(/\.+$/, ''))).toEqual(
        Array.from({ length: 1_000 }, (_, i) => `m${i}`),
      );
      expect(client.received[1_000]!.Header['Micro-Error']).toBe('EOS');
    });

    it('never limits a nest-micro client talking to a go-micro server (no credit answer)', async () => {
      const server = rawInbox(raw, `gomicro.server.${Math.random().toString(36).slice(2)}`);
      await raw.flush(); // subscribed before the transport's connection publishes
      const socket = transport.dial(server.subject).stream(msg('', { 'micro-stream': '8' }));
      const sent = Array.from({ length: 1_000 }, () => socket.send(msg('x'.repeat(100))));
      expect(sent.every(Boolean)).toBe(true); // 1,000 × 164 bytes: well past a window
      await waitFor(() => server.received.length === 1_001, 30_000, 'every message at the server');
      expect(server.received[0]!.Header['Micro-Window']).toBe('65536');
      expect(server.received.slice(1).some((m) => 'Micro-Window' in m.Header)).toBe(false);
      socket.close();
      server.close();
    });

    it('between nest-micro nodes: answers the offer, holds its sending to the credit, grants back', async () => {
      const client = rawInbox(raw);
      const id = { 'micro-stream': '9', 'content-type': 'application/json' };
      client.to(listener.address, { ...id, 'micro-window': '65536' });
      await waitFor(() => client.received.length === 1, 10_000, 'the answer');
      expect(client.received[0]).toEqual({
        Header: { 'Micro-Stream': '9', 'Micro-Credit': '65536' },
        Body: null,
      });
      // 1,000 messages of 100 bytes cost 164 each: the echoes stop after 64 KiB of them
      for (let i = 0; i < 1_000; i++) client.to(listener.address, id, 'y'.repeat(100));
      const echoes = (): GoMessage[] => client.received.filter((m) => m.Body !== null);
      const grants = (): GoMessage[] => client.received.slice(1).filter((m) => 'Micro-Credit' in m.Header);
      await waitFor(() => grants().length >= 4, 10_000, 'credit for what the server consumed');
      await waitFor(() => echoes().length >= 65_536 / 164, 10_000, 'a window of echoes');
      await new Promise((r) => setTimeout(r, 100));
      expect(echoes().length).toBe(Math.ceil(65_536 / 164)); // held: no more without credit
      client.to(listener.address, { ...id, 'micro-credit': String(1_000 * 164) });
      client.to(listener.address, { ...id, 'micro-error': 'EOS' });
      await waitFor(() => client.received.at(-1)?.Header['Micro-Error'] === 'EOS', 10_000, 'the rest');
      expect(echoes().length).toBe(1_000);
      client.close();
    });
  });

  describe('closing', () => {
    it('a closed listener is gone: calls to it fail at once, retryable', async () => {
      const other = await transport.listen(':0', echoAcceptor());
      expect((await call(transport.dial(other.address), msg('a'))).error).toBeNull();
      await other.close(100);
      const { error } = await call(transport.dial(other.address), msg('b'), 30_000);
      expect(error).toMatchObject({ code: 503, retryable: true });
    });
  });
});
