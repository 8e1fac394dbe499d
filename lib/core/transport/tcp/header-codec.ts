/**
 * Compact header blocks for the framed TCP transport (format in protocol.ts): common mucp keys and
 * key/value pairs become one byte, everything else is a length-prefixed UTF-8 string. Encoding
 * writes straight into the connection's batch buffer; decoding reads from the received chunk.
 */
import type { Header } from '../transport.js';
import { STATIC_KEYS, STATIC_PAIRS } from './protocol.js';

const KEY_INDEX = new Map<string, number>(STATIC_KEYS.map((k, i) => [k, i + 1]));
/** For a static key index: the static pairs that start with it, as [value, tag]. */
const PAIRS_BY_KEY: ([string, number][] | undefined)[] = [];
STATIC_PAIRS.forEach(([key, value], i) => {
  const k = KEY_INDEX.get(key)!;
  (PAIRS_BY_KEY[k] ??= []).push([value, 128 + i]);
});

export const MAX_KEY_BYTES = 255;
export const MAX_VALUE_BYTES = 0xffff;

/** An upper bound on the encoded size of `header` (UTF-8 is at most 3 bytes per UTF-16 unit). */
export function headerBound(header: Header): number {
  let n = 2;
  for (const key in header) n += 6 + 3 * (key.length + (header[key]?.length ?? 0));
  return n;
}

/**
 * Writes `header` at `offset` (room for headerBound bytes must exist); returns the end offset, or
 * -1 when a key or value is too long for the format.
 */
export function encodeHeader(header: Header, buf: Buffer, offset: number): number {
  let pos = offset + 2;
  let count = 0;
  for (const key in header) {
    const value = header[key];
    if (typeof value !== 'string') continue;
    count++;
    const k = KEY_INDEX.get(key);
    if (k !== undefined) {
      const pairs = PAIRS_BY_KEY[k];
      if (pairs !== undefined) {
        let tag = 0;
        for (let i = 0; i < pairs.length; i++) if (pairs[i]![0] === value) tag = pairs[i]![1];
        if (tag !== 0) {
          buf[pos++] = tag;
          continue;
        }
      }
      buf[pos++] = k;
    } else {
      buf[pos] = 0;
      const len = buf.write(key, pos + 2, 'utf8');
      if (len > MAX_KEY_BYTES) return -1;
      buf[pos + 1] = len;
      pos += 2 + len;
    }
    const vlen = value.length === 0 ? 0 : buf.write(value, pos + 2, 'utf8');
    if (vlen > MAX_VALUE_BYTES) return -1;
    buf.writeUInt16BE(vlen, pos);
    pos += 2 + vlen;
  }
  if (count > 0xffff) return -1;
  buf.writeUInt16BE(count, offset);
  return pos;
}

/** A decoded header block: the header and where the body starts; undefined when malformed. */
export interface DecodedHeader {
  header: Header;
  end: number;
}

export function decodeHeader(buf: Buffer, start: number, end: number): DecodedHeader | undefined {
  if (end - start < 2) return undefined;
  const count = buf.readUInt16BE(start);
  let pos = start + 2;
  const header: Header = {};
  for (let i = 0; i < count; i++) {
    if (pos >= end) return undefined;
    const tag = buf[pos++]!;
    let key: string;
    if (tag >= 128) {
      const pair = STATIC_PAIRS[tag - 128];
      if (pair === undefined) return undefined;
      header[pair[0]] = pair[1];
      continue;
    }
    if (tag === 0) {
      if (pos >= end) return undefined;
      const klen = buf[pos++]!;
      if (pos + klen > end) return undefined;
      key = buf.toString('utf8', pos, pos + klen);
      pos += klen;
    } else {
      const known = STATIC_KEYS[tag - 1];
      if (known === undefined) return undefined;
      key = known;
    }
    if (pos + 2 > end) return undefined;
    const vlen = buf.readUInt16BE(pos);
    pos += 2;
    if (pos + vlen > end) return undefined;
    header[key] = vlen === 0 ? '' : buf.toString('utf8', pos, pos + vlen);
    pos += vlen;
  }
  return { header, end: pos };
}
