/**
 * Publishing one transport message on NATS, for both halves of the transport: encoded as go-micro
 * does (nats.wire.ts), refused with a 413 when it is larger than the server's `max_payload` (1 MiB
 * unless the server is configured otherwise; base64 makes a body a third larger), and a publish
 * the client refuses (a closed connection) as a retryable 503: it certainly was not sent.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { MicroError } from '../../errors/micro-error.js';
import { NATS_TRANSPORT_ID } from './nats.options.js';
import { encodeMessage } from './nats.wire.js';
import type { Message } from '../transport.js';

/** Publishes `message` to `subject` (replies to `reply`); the error when it was not sent. */
export function publishMessage(
  nc: NatsConnection,
  subject: string,
  message: Message,
  reply?: string,
  errorId: string = NATS_TRANSPORT_ID,
): MicroError | undefined {
  const payload = encodeMessage(message);
  const max = nc.info?.max_payload ?? 0;
  if (max > 0 && payload.length > max)
    return MicroError.payloadTooLarge(
      errorId,
      `nats transport: a message of ${payload.length} bytes (body ${message.body.length}) exceeds the NATS server's max_payload of ${max} bytes`,
    );
  try {
    nc.publish(subject, payload, reply ? { reply } : undefined);
    return undefined;
  } catch (error) {
    return MicroError.unavailable(
      errorId,
      `nats transport: publish to ${subject} failed: ${(error as Error).message}`,
      true,
    );
  }
}
