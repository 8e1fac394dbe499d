/**
 * The HTTP and NATS brokers' wire format, go-micro's `json.Marshal(broker.Message)`:
 * `{"Header":{"Content-Type":…,"Micro-ID":…,"Micro-Topic":topic},"Body":"<base64>"}`, byte for
 * byte what a go-micro publisher sends (client.Publish + broker/http.go): header keys in Go's
 * spelling, sorted and escaped as json.Marshal writes a map, and an `application/json` body ending
 * in the newline of the json.Encoder go-micro's json codec writes it with. Go reads these headers
 * by exact key (`Header["Micro-Topic"]`, `Header["Content-Type"]`, metadata `Micro-ID`). Inside
 * nest-micro header keys are lower-case, whatever the sender's spelling (`Micro-Id` or `Micro-ID`).
 */
import { goJson } from '../../codec/go-json.js';
import { MicroError } from '../../errors/micro-error.js';
import { canonicalHeader, HEADER } from '../../metadata/headers.js';
import type { BrokerMessage } from '../broker.js';
import { ERROR_ID } from '../../errors/ids.js';

export const BROKER_ERROR_ID = ERROR_ID.broker;

/** go-micro's header constants (transport/headers) that Go's canonical form would misspell. */
const GO_SPELLING: Readonly<Record<string, string>> = {
  [HEADER.id]: 'Micro-ID',
  'micro-trace-id': 'Micro-Trace-ID',
  'micro-span-id': 'Micro-Span-ID',
};

const goHeaderKey = (key: string): string => {
  const lower = key.toLowerCase();
  return Object.hasOwn(GO_SPELLING, lower) ? GO_SPELLING[lower]! : canonicalHeader(key);
};

/** json.Marshal orders map keys by their UTF-8 bytes; for header names (ASCII) that is string order. */
const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Keys an object orders before all others (array indices). */
const INDEX_LIKE = /^(0|[1-9]\d*)$/;

/**
 * go-micro's json codec writes a message body with json.Encoder, which ends it with "\n"; its other
 * codecs (json-rpc's event write is json.Marshal) add nothing.
 */
function goBody(message: BrokerMessage): Buffer {
  const { body } = message;
  const json = message.header[HEADER.contentType] === 'application/json';
  return json && body.length > 0 && body[body.length - 1] !== 0x0a
    ? Buffer.concat([body, Buffer.from('\n')])
    : body;
}

export function encodeEnvelope(topic: string, message: BrokerMessage): Buffer {
  const header = new Map<string, string>();
  for (const [key, value] of Object.entries(message.header)) header.set(goHeaderKey(key), value);
  header.set(canonicalHeader(HEADER.topic), topic);
  const keys = [...header.keys()].toSorted(byBytes);
  const body = goBody(message).toString('base64');
  if (keys.some((k) => INDEX_LIKE.test(k))) {
    // JavaScript would put such keys first, in numeric order: write the fields one by one
    const fields = keys.map((k) => `${goJson(k)}:${goJson(header.get(k))}`);
    return Buffer.from(`{"Header":{${fields.join(',')}},"Body":"${body}"}`);
  }
  // keys inserted in sorted order are written in that order: one stringify for the whole header
  const sorted: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const k of keys) sorted[k] = header.get(k)!;
  return Buffer.from(`{"Header":${goJson(sorted)},"Body":"${body}"}`);
}

/**
 * Throws a 400 MicroError when `data` is not a broker envelope with a topic (its `Micro-Topic`
 * header, else `fallbackTopic`: the NATS broker's subject).
 */
export function decodeEnvelope(
  data: Buffer,
  fallbackTopic?: string,
): { topic: string; message: BrokerMessage } {
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
  const topic = header[HEADER.topic] || fallbackTopic;
  if (!topic) throw MicroError.badRequest(BROKER_ERROR_ID, 'broker message has no Micro-Topic header');
  return { topic, message: { header, body: Buffer.from(typeof Body === 'string' ? Body : '', 'base64') } };
}
