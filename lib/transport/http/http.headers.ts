/** Header conversion between node:http (lower-case, possibly repeated) and transport messages. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { canonicalHeader } from '../../metadata/headers.js';
import type { Header } from '../transport.js';

/** Hop-by-hop and framing headers that belong to HTTP itself, never to a message. */
export const HTTP_ONLY: ReadonlySet<string> = new Set([
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
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
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function toHttpHeaders(header: Header, bodyLength: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const key of Object.keys(header)) {
    if (HTTP_ONLY.has(key)) continue;
    out[canonicalHeader(key)] = header[key];
  }
  out['Content-Length'] = bodyLength;
  return out;
}
