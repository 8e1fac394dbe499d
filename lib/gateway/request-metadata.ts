/**
 * An HTTP request's headers as call metadata, the way go-micro's API handlers pass them on: every
 * header travels to the service (Authorization, X-User, traceparent…) except those that describe
 * this one HTTP hop (connection, length, encoding, CORS) or
 * that route the RPC (Micro-Service/Endpoint/Id/Method, Content-Type, Timeout): those the gateway
 * sets itself. The caller's deadline comes from the `Timeout` header: go-micro's nanoseconds
 * (digits only), or a duration with a unit (`500ms`, `5s`, `1m`), capped at the gateway's maximum.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { MicroError } from '../core/errors/micro-error.js';
import { ROUTING_HEADERS, timeoutHeaderToMs } from '../core/metadata/headers.js';
import { GATEWAY_ERROR_ID } from './http-io.js';

/** Headers of the HTTP hop itself, never forwarded. */
const HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'content-encoding',
  'accept-encoding',
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
]);

const MAX_VALUE = 8 * 1024;

export function headerMetadata(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, raw] of Object.entries(headers)) {
    if (raw === undefined || HOP_HEADERS.has(key) || ROUTING_HEADERS.has(key) || key.startsWith('micro-'))
      continue;
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value.length <= MAX_VALUE) metadata[key] = value;
  }
  return metadata;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };

/** The request's Timeout header in ms (undefined when absent); a malformed one is a 400. */
export function requestTimeout(value: string | string[] | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = (Array.isArray(value) ? value[0]! : value).trim();
  let ms: number | undefined;
  if (/^\d+$/.test(text)) ms = timeoutHeaderToMs(text);
  else {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
    if (m) ms = Number(m[1]) * UNITS[m[2]!]!;
  }
  if (ms === undefined || !(ms >= 1))
    throw MicroError.badRequest(
      GATEWAY_ERROR_ID,
      `Timeout header "${text}": expected nanoseconds (go-micro) or a duration such as 500ms, 5s, 1m`,
    );
  return Math.min(Math.round(ms), max);
}
