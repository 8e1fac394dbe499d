/**
 * Header conversion between HTTP/1.1 (node:http, llhttp, undici: lower-case names, values as Latin-1
 * strings) and transport messages (values as text). Values travel as raw UTF-8 bytes, as Go writes
 * and reads them, so "5 €" and "é" cross the wire intact both ways; characters HTTP forbids in a
 * value (CR, LF, other controls) become spaces, and names that are not HTTP tokens are left out,
 * so no header can make a write throw.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { canonicalHeader } from '../../metadata/headers.js';
import type { Header } from '../transport.js';

/**
 * Hop-by-hop and framing headers that belong to HTTP itself, never to a message. Upgrade and Expect
 * would change what the request is (undici refuses both: metadata named so failed every call).
 */
export const HTTP_ONLY: ReadonlySet<string> = new Set([
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'date',
]);

export function fromHttpHeaders(headers: IncomingHttpHeaders): Header {
  const out: Header = {};
  for (const key of Object.keys(headers)) {
    if (HTTP_ONLY.has(key)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    // go-micro also accepts an `X-` prefixed duplicate of each Micro-* header.
    const name = key.startsWith('x-micro-') ? key.slice(2) : key;
    if (name !== key && out[name] !== undefined) continue;
    out[name] = headerValueIn(Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}

export function toHttpHeaders(header: Header, bodyLength: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const key of Object.keys(header)) {
    if (HTTP_ONLY.has(key) || !isToken(key)) continue;
    out[canonicalHeader(key)] = headerValueOut(header[key]!);
  }
  out['Content-Length'] = bodyLength;
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PLAIN = /^[\x20-\x7e\t]*$/;
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;
const HIGH = /[\x80-\xff]/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A name HTTP/1.1 accepts as a header field name. */
export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

/** A value as the Latin-1 string whose bytes are its UTF-8 encoding (what the HTTP writers send). */
export function headerValueOut(value: string): string {
  if (PLAIN.test(value)) return value;
  return Buffer.from(value.replace(CONTROL, ' '), 'utf8').toString('latin1');
}

/** The text of a value the HTTP readers gave as Latin-1: UTF-8 when its bytes are valid UTF-8. */
export function headerValueIn(value: string): string {
  if (!HIGH.test(value)) return value;
  try {
    return STRICT_UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value; // not UTF-8: a Latin-1 sender
  }
}
