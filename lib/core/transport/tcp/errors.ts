/**
 * The MicroErrors the framed TCP transport produces, in one place so their codes and retry flags
 * stay consistent: 503 for connection failures (retryable only when the request was certainly not
 * sent), 408 for timeouts, 413/400 for messages the format or the peer's limit cannot carry, 499
 * for a stream cancelled without a reason.
 */
import { MicroError } from '../../errors/micro-error.js';
import { CLIENT_ERROR_ID } from './protocol.js';

export function connectionLost(address: string, reason: string, retryable: boolean): MicroError {
  return MicroError.unavailable(CLIENT_ERROR_ID, `connection to ${address} lost: ${reason}`, retryable);
}

export function callTimeout(address: string, ms: number): MicroError {
  return MicroError.timeout(CLIENT_ERROR_ID, `call to ${address} timed out after ${ms} ms`);
}

export function frameTooLarge(id: string, limit: number): MicroError {
  return MicroError.payloadTooLarge(id, `message exceeds the peer's frame limit of ${limit} bytes`);
}

export function headerTooLong(id: string): MicroError {
  return MicroError.badRequest(id, 'a header key (max 255 bytes) or value (max 65535 bytes) is too long');
}

export function cancelled(id: string): MicroError {
  return new MicroError(id, 'stream cancelled', 499, 'Client Closed Request');
}

/** The MicroError a RESET frame carries (its JSON), or a cancellation when it carries none. */
export function fromResetPayload(buf: Buffer, start: number, end: number, id: string): MicroError {
  if (end <= start) return cancelled(id);
  return MicroError.parse(buf.toString('utf8', start, end), id);
}
