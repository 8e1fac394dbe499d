/** Shared pieces of the framed TCP transport tests: an echo acceptor and promise wrappers. */
import type { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Acceptor, Message, Socket, TransportClient } from '../../../lib/core/transport/transport.js';

/** Replies with the request's body and headers, plus `x-echo: 1`; `delay-ms` delays the reply. */
export function echoAcceptor(onStream?: (socket: Socket) => void): Acceptor {
  return {
    call(request, reply) {
      const answer: Message = { header: { ...request.header, 'x-echo': '1' }, body: request.body };
      const delay = Number(request.header['delay-ms'] ?? 0);
      if (delay > 0) setTimeout(() => reply(answer), delay);
      else reply(answer);
    },
    stream(socket) {
      if (onStream) return onStream(socket);
      socket.onMessage((m) => socket.send(m));
      socket.onEnd(() => socket.end());
    },
  };
}

export function call(
  client: TransportClient,
  message: Message,
  timeout = 5_000,
): Promise<{ error: MicroError | null; reply?: Message }> {
  return new Promise((resolve) =>
    client.call(message, { timeout }, (error, reply) => resolve({ error, reply })),
  );
}

export function msg(body: string, header: Record<string, string> = {}): Message {
  return { header: { 'content-type': 'application/json', ...header }, body: Buffer.from(body) };
}
