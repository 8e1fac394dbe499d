/**
 * The HTTP broker's wire format, go-micro's `json.Marshal(broker.Message)`:
 * `{"Header":{"Content-Type":…,"Micro-Topic":topic},"Body":"<base64>"}`. Header keys are canonical
 * on the wire (`Micro-Topic`) and lower-case inside nest-micro.
 */
import { MicroError } from '../../errors/micro-error.js';
import { canonicalHeader, HEADER } from '../../metadata/headers.js';
import type { BrokerMessage } from '../broker.js';

export const BROKER_ERROR_ID = 'go.micro.broker';

export function encodeEnvelope(topic: string, message: BrokerMessage): Buffer {
  const Header: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.header)) Header[canonicalHeader(key)] = value;
  Header[canonicalHeader(HEADER.topic)] = topic;
  return Buffer.from(JSON.stringify({ Header, Body: message.body.toString('base64') }));
}

/** Throws a 400 MicroError when `data` is not a broker envelope with a topic. */
export function decodeEnvelope(data: Buffer): { topic: string; message: BrokerMessage } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message is not an object');
  const { Header, Body } = parsed as { Header?: unknown; Body?: unknown };
  const header: Record<string, string> = {};
  if (Header !== undefined && Header !== null) {
    if (typeof Header !== 'object' || Array.isArray(Header))
      throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message Header is not an object');
    for (const [key, value] of Object.entries(Header)) {
      if (typeof value !== 'string')
        throw MicroError.badRequest(BROKER_ERROR_ID, `broker message header ${key} is not a string`);
      header[key.toLowerCase()] = value;
    }
  }
  if (Body !== undefined && Body !== null && typeof Body !== 'string')
    throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message Body is not base64 text');
  if (typeof Body === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(Body))
    throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message Body is not base64');
  const topic = header[HEADER.topic];
  if (!topic) throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message has no Micro-Topic header');
  return { topic, message: { header, body: Buffer.from(typeof Body === 'string' ? Body : '', 'base64') } };
}
