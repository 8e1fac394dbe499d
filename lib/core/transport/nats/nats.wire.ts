/**
 * go-micro's NATS transport message: one NATS message per transport message, its payload the JSON
 * of go-micro's `transport.Message` as Go's encoding/json writes it, `{"Header":{…},"Body":"<base64>"}`.
 * Header names travel in go-micro's own spelling (Go reads several by exact key: `Micro-ID`,
 * `Micro-Stream`, `Content-Type`, `Timeout`): routing headers as go-micro writes them, metadata keys
 * canonicalised as Go's HTTP transport would deliver them. Inside nest-micro keys are lower-case, and
 * the `X-Micro-*` duplicates a Go server adds are dropped on the way in.
 */
import { MicroError } from '../../errors/micro-error.js';
import { canonicalHeader } from '../../metadata/headers.js';
import type { Header, Message } from '../transport.js';

const EMPTY: Buffer = Buffer.alloc(0);

/** go-micro's spelling of a lower-case header name (`micro-id` → `Micro-ID`, as headers.ID is). */
export function goHeaderName(key: string): string {
  const canonical = canonicalHeader(key);
  return canonical.startsWith('Micro-') && canonical.endsWith('-Id')
    ? `${canonical.slice(0, -2)}ID`
    : canonical;
}

/** The NATS payload of `message`. */
export function encodeMessage(message: Message): Buffer {
  const header: Record<string, string> = {};
  for (const key of Object.keys(message.header)) header[goHeaderName(key)] = message.header[key]!;
  const body = message.body.length > 0 ? message.body.toString('base64') : null;
  return Buffer.from(JSON.stringify({ Header: header, Body: body }), 'utf8');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The message in a NATS payload, or a 400 MicroError (id `errorId`) saying what is wrong with it.
 * Field names match case-insensitively, as Go's decoder does; a null header or body is empty.
 */
export function decodeMessage(payload: Uint8Array, errorId: string): Message | MicroError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return MicroError.badRequest(errorId, 'nats transport: the message is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return MicroError.badRequest(errorId, 'nats transport: the message is not a JSON object');
  let rawHeader: unknown;
  let rawBody: unknown;
  for (const [key, value] of Object.entries(parsed)) {
    const name = key.toLowerCase();
    if (name === 'header') rawHeader = value;
    else if (name === 'body') rawBody = value;
  }
  const header = decodeHeader(rawHeader);
  if (header === undefined)
    return MicroError.badRequest(errorId, 'nats transport: Header must be an object of strings');
  if (rawBody !== undefined && rawBody !== null && (typeof rawBody !== 'string' || !BASE64.test(rawBody)))
    return MicroError.badRequest(errorId, 'nats transport: Body must be base64 text');
  const body = typeof rawBody === 'string' && rawBody.length > 0 ? Buffer.from(rawBody, 'base64') : EMPTY;
  return { header, body };
}

function decodeHeader(raw: unknown): Header | undefined {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const header: Header = {};
  const duplicates: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') return undefined;
    const name = key.toLowerCase();
    // a go-micro server repeats each Micro-* header with an X- prefix
    if (name.startsWith('x-micro-')) duplicates.push([name.slice(2), value]);
    else header[name] = value;
  }
  for (const [name, value] of duplicates) header[name] ??= value;
  return header;
}
