/**
 * The HTTP broker's batch extension between nest-micro nodes (go-micro never sees it). A nest-micro
 * receiver marks every reply with `x-micro-broker-batch: 1`; once a publisher has seen that from an
 * address, the deliveries it makes to one node in one turn go as one POST: Content-Type
 * `application/x-ndjson`, the go-micro envelopes (JSON, no raw newline inside) one per line. The
 * reply is 200 with a JSON array holding, per envelope in order, `0` (acknowledged) or the
 * go-micro error JSON of that delivery. Anything else (a go-micro node now on that address answers
 * 500, a body over the receiver's limit) and the publisher sends those envelopes one by one.
 */
import { MicroError } from '../../errors/micro-error.js';
import { BROKER_ERROR_ID } from './envelope.js';

export const BATCH_HEADER = 'x-micro-broker-batch';
export const BATCH_CONTENT_TYPE = 'application/x-ndjson';
/** Most envelopes and bytes in one batch POST (a single larger envelope goes alone). */
export const MAX_BATCH = 256;
export const MAX_BATCH_BYTES = 1024 * 1024;

const NEWLINE = Buffer.from('\n');

export function encodeBatch(payloads: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of payloads) parts.push(p, NEWLINE);
  return Buffer.concat(parts);
}

/** The envelopes of a batch body, one per non-empty line. */
export function splitBatch(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0; start < body.length;) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    if (end > start) lines.push(body.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

export function encodeResults(results: (MicroError | null)[]): string {
  return JSON.stringify(results.map((e) => (e ? e.toJSON() : 0)));
}

/** Per-envelope outcomes of a batch reply: null = acknowledged; undefined when the reply is not one. */
export function decodeResults(text: string, count: number): (MicroError | null)[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== count) return undefined;
  return parsed.map((item: unknown) =>
    item === 0
      ? null
      : (MicroError.fromObject(item) ?? new MicroError(BROKER_ERROR_ID, 'unreadable batch result', 500)),
  );
}
