/**
 * How a broker message is stored in Redis. Streams: fields `h` (the header as JSON) and `b` (the
 * body bytes). Pub/Sub: one payload, a 4-byte big-endian header length, the header JSON, the body.
 */
import { MicroError } from '../../errors/micro-error.js';
import type { BrokerMessage } from '../broker.js';
import { ERROR_ID } from '../../errors/ids.js';

const ID = ERROR_ID.broker;

export function encodeHeader(header: Record<string, string>): string {
  return JSON.stringify(header);
}

export function decodeHeader(raw: Buffer | string | undefined): Record<string, string> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString());
  } catch {
    throw MicroError.badRequest(ID, 'redis broker: message header is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw MicroError.badRequest(ID, 'redis broker: message header is not an object');
  const header: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) header[k.toLowerCase()] = String(v);
  return header;
}

export function encodeFrame(message: BrokerMessage): Buffer {
  const header = Buffer.from(encodeHeader(message.header));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, message.body]);
}

export function decodeFrame(frame: Buffer): BrokerMessage {
  if (frame.length < 4) throw MicroError.badRequest(ID, 'redis broker: frame too short');
  const length = frame.readUInt32BE(0);
  if (4 + length > frame.length) throw MicroError.badRequest(ID, 'redis broker: frame header truncated');
  return { header: decodeHeader(frame.subarray(4, 4 + length)), body: frame.subarray(4 + length) };
}

/** Stream entry fields `[f1, v1, f2, v2, …]` → message (unknown fields ignored). */
export function decodeFields(fields: Buffer[]): BrokerMessage {
  let header: Buffer | undefined;
  let body: Buffer = Buffer.alloc(0);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === 'h') header = fields[i + 1];
    else if (name === 'b') body = fields[i + 1]!;
  }
  return { header: decodeHeader(header), body };
}
