/**
 * What a stream message means, on every transport (go-micro's mucp streaming): a message whose
 * `Micro-Error` header is `EOS` ends the sender's side; any other `Micro-Error` value is the
 * sender's failure (a MicroError's JSON), sent in band so it arrives after the messages before it.
 * The opening message carries the routing headers; its body is not data (go-micro discards it).
 * Transports that have a native end (the framed TCP END frame) map `Socket.end()` onto it; the
 * HTTP transport writes the EOS message. It sits with the transports, which write EOS and in-band
 * errors themselves; the streaming layer above (core/streaming) reads it too.
 */
import { MicroError } from '../errors/micro-error.js';
import { HEADER } from '../metadata/headers.js';
import type { Message, Socket } from './transport.js';

export const EOS = 'EOS';
const EMPTY: Buffer = Buffer.alloc(0);

/** A Socket that can hold back delivery (flow control reaches the peer). Both our transports can. */
export interface PausableSocket extends Socket {
  pause(): void;
  resume(): void;
}

export function canPause(socket: Socket): socket is PausableSocket {
  return typeof (socket as Partial<PausableSocket>).pause === 'function';
}

/** The in-band failure message. */
export function errorMessage(error: MicroError, header: Record<string, string> = {}): Message {
  return { header: { ...header, [HEADER.error]: error.toString() }, body: EMPTY };
}

export type Classified =
  { kind: 'data'; message: Message } | { kind: 'end' } | { kind: 'error'; error: MicroError };

/** Data, the end of the peer's side, or the peer's failure. */
export function classify(message: Message, fallbackId: string): Classified {
  const error = message.header[HEADER.error];
  if (error === undefined || error === '') return { kind: 'data', message };
  if (error === EOS) return { kind: 'end' };
  return { kind: 'error', error: MicroError.parse(error, fallbackId) };
}
