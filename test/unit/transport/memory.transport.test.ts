/** The in-memory transport on its own: calls, streams, and the failures a network transport gives. */
import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Acceptor, Message, Socket } from '../../../lib/core/transport/index.js';
import { MemoryTransport } from '../../../lib/testing/index.js';

const message = (text: string, header: Record<string, string> = {}): Message => ({
  header,
  body: Buffer.from(text),
});

/** Echoes calls (upper-cased) and stream messages; a stream ends when the client's does. */
const echo: Acceptor = {
  call: (request, reply) =>
    reply({ header: { ok: '1' }, body: Buffer.from(request.body.toString().toUpperCase()) }),
  stream: (socket) => {
    socket.onMessage((m) => socket.send(m));
    socket.onEnd(() => socket.end());
  },
};

function call(transport: MemoryTransport, address: string, request: Message, timeout = 1_000) {
  return new Promise<Message>((resolve, reject) =>
    transport
      .dial(address)
      .call(request, { timeout }, (error, reply) => (error ? reject(error) : resolve(reply!))),
  );
}

function collect(socket: Socket): Promise<{ bodies: string[]; error?: MicroError }> {
  const bodies: string[] = [];
  socket.onMessage((m) => bodies.push(m.body.toString()));
  return new Promise((resolve) => socket.onEnd((error) => resolve({ bodies, error })));
}

describe('MemoryTransport', () => {
  it('answers a call at the bound address, whatever host it is dialled by', async () => {
    const transport = new MemoryTransport();
    const listener = await transport.listen(':0', echo);
    const port = listener.address.split(':')[1];
    expect(listener.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const reply = await call(transport, `10.1.2.3:${port}`, message('hi'));
    expect(reply).toEqual({ header: { ok: '1' }, body: Buffer.from('HI') });
    await listener.close();
  });

  it('streams both ways and ends cleanly', async () => {
    const transport = new MemoryTransport();
    const listener = await transport.listen(':0', echo);
    const socket = transport.dial(listener.address).stream(message('first', { route: 'x' }));
    const result = collect(socket);
    socket.send(message('second'));
    socket.end();
    expect(await result).toEqual({ bodies: ['first', 'second'], error: undefined });
    await listener.close();
  });

  it('refuses a call and a stream where nothing listens (503, retryable)', async () => {
    const transport = new MemoryTransport();
    await expect(call(transport, '127.0.0.1:1', message('x'))).rejects.toMatchObject({
      code: 503,
      retryable: true,
    });
    const socket = transport.dial('127.0.0.1:1').stream(message('x'));
    socket.send(message('y'));
    expect((await collect(socket)).error).toMatchObject({ code: 503, retryable: true });
  });

  it('times a call out with a 408', async () => {
    const transport = new MemoryTransport();
    const listener = await transport.listen(':0', { call: () => {}, stream: () => {} });
    await expect(call(transport, listener.address, message('x'), 20)).rejects.toMatchObject({ code: 408 });
    await listener.close();
  });

  it('refuses a body over maxBodySize with a 413', async () => {
    const transport = new MemoryTransport();
    const listener = await transport.listen(':0', echo, { maxBodySize: 4 });
    await expect(call(transport, listener.address, message('too long'))).rejects.toMatchObject({ code: 413 });
    await listener.close();
  });

  it('gives both ends the error a stream is closed with', async () => {
    const transport = new MemoryTransport();
    let server: Promise<{ error?: MicroError }> | undefined;
    const listener = await transport.listen(':0', {
      call: () => {},
      stream: (socket) => {
        server = collect(socket);
        socket.close(MicroError.conflict('memory-test', 'nope'));
      },
    });
    const client = collect(transport.dial(listener.address).stream(message('x')));
    expect((await client).error).toMatchObject({ code: 409 });
    expect((await server!).error).toMatchObject({ code: 409 });
    await listener.close();
  });

  it('cuts open streams when the listener closes, and refuses the port afterwards', async () => {
    const transport = new MemoryTransport();
    const listener = await transport.listen(':0', { call: () => {}, stream: () => {} });
    const open = collect(transport.dial(listener.address).stream(message('x')));
    await listener.close(10);
    expect((await open).error).toMatchObject({ code: 503, retryable: false });
    await expect(call(transport, listener.address, message('x'))).rejects.toMatchObject({ code: 503 });
  });

  it('refuses a port in use', async () => {
    const transport = new MemoryTransport();
    const listener = await transport.listen(':0', echo);
    await expect(transport.listen(listener.address, echo)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await listener.close();
  });
});
