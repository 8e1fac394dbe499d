/**
 * Reading requests and writing answers: the body read up to a limit (413 past it, the declared
 * Content-Length checked before a byte is read), JSON parsed into a 400 when it is not JSON, a body
 * a framework already parsed (Express's json parser in a Nest app) taken as it is, and every failure
 * written as go-micro's error JSON {id, code, detail, status} with the code as HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicroError } from '../core/errors/micro-error.js';
import { toMicroError } from '../core/errors/from-unknown.js';
import { errorText } from '../core/errors/error-text.js';

export const GATEWAY_ERROR_ID = 'go.micro.api';

/** A request a framework may have read already (Express body parsers set `body`). */
type MaybeParsed = IncomingMessage & { body?: unknown };

/** What the request carried: nothing, a parsed value, or raw bytes. */
export type Body = { kind: 'none' } | { kind: 'parsed'; value: unknown } | { kind: 'raw'; bytes: Buffer };

export function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  const parsed = req as MaybeParsed;
  // body-parser marks a request it read with `_body`
  if (
    (req as unknown as Record<string, unknown>)['_body'] === true ||
    (req.readableEnded && parsed.body !== undefined)
  ) {
    const value = parsed.body;
    if (Buffer.isBuffer(value)) return Promise.resolve({ kind: 'raw', bytes: value });
    if (typeof value === 'string') return Promise.resolve({ kind: 'raw', bytes: Buffer.from(value) });
    if (value === undefined || (isEmptyObject(value) && !hasBody(req)))
      return Promise.resolve({ kind: 'none' });
    // the parser had its own limit; ours still applies, to what it parsed
    if (Buffer.byteLength(JSON.stringify(value) ?? '') > limit) return Promise.reject(tooLarge(limit));
    return Promise.resolve({ kind: 'parsed', value });
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // drain what is still coming; the 413 is sent once it is read
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () =>
      resolve(size === 0 ? { kind: 'none' } : { kind: 'raw', bytes: Buffer.concat(chunks) }),
    );
    req.once('error', (error) =>
      reject(MicroError.badRequest(GATEWAY_ERROR_ID, `the request body could not be read: ${error.message}`)),
    );
  });
}

function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}

function tooLarge(limit: number): MicroError {
  return MicroError.payloadTooLarge(GATEWAY_ERROR_ID, `the request body is larger than ${limit} bytes`);
}

/** The body as a JSON value (undefined when there is none); a body that is not JSON is a 400. */
export function jsonBody(body: Body): unknown {
  if (body.kind === 'none') return undefined;
  if (body.kind === 'parsed') return body.value;
  const text = body.bytes.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = errorText(error);
    throw MicroError.badRequest(GATEWAY_ERROR_ID, `the request body is not JSON: ${why}`);
  }
}

/** An HTTP status for a MicroError code: the code itself when it is one, else 500. */
/** What `ask` gets from a registry; a failure that is not a MicroError becomes a 503 (with `id`). */
export async function askRegistry<T>(ask: () => Promise<T>, id: string): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof MicroError) throw error;
    throw MicroError.unavailable(id, `the registry is unavailable: ${String(error)}`, false);
  }
}

/** A 405 (with `id`) unless `method` is one of those `allowed`. */
export function allowMethods(method: string, allowed: string[], id: string): void {
  if (!allowed.includes(method))
    throw MicroError.methodNotAllowed(id, `${method} is not allowed here; use ${allowed.join(' or ')}`);
}

export function httpStatus(code: number): number {
  return Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(value ?? null, bigintSafe);
  res.writeHead(status, {
    ...extra,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Anything thrown, as go-micro's error JSON with its code as the HTTP status. */
export function sendError(res: ServerResponse, error: unknown, extra?: Record<string, string>): number {
  const micro = toMicroError(error, GATEWAY_ERROR_ID);
  const status = httpStatus(micro.code);
  const { id, code, detail, status: text } = micro;
  sendJson(res, status, { id, code, detail, status: text }, extra);
  return status;
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
