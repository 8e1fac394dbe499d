/** Unit tests of the framed TCP transport's wire pieces: header codec, frame parser, sniffing. */
import { describe, expect, it } from 'vitest';
import { decodeHeader, encodeHeader, headerBound } from '../../../lib/core/transport/tcp/header-codec.js';
import { FrameParser, type ParseError } from '../../../lib/core/transport/tcp/frame-parser.js';
import { FRAME_HEADER, PREFACE, T_REQUEST } from '../../../lib/core/transport/tcp/protocol.js';
import { classify } from '../../../lib/core/transport/tcp/sniff.js';

function roundTrip(header: Record<string, string>): { bytes: number; header?: Record<string, string> } {
  const buf = Buffer.alloc(headerBound(header) + 4);
  const end = encodeHeader(header, buf, 4);
  const decoded = decodeHeader(buf, 4, end);
  return { bytes: end - 4, header: decoded?.header };
}

function frame(type: number, id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt32BE(payload.length, 0);
  head[4] = type;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

describe('header codec', () => {
  it('round-trips static keys, static pairs, literals, unicode and empty values', () => {
    const header = {
      'content-type': 'application/json',
      'micro-service': 'greeter',
      'micro-endpoint': 'Greeter.Hello',
      'micro-stream': 'true',
      'x-custom': 'héllo ☃',
      'x-empty': '',
    };
    const { header: back } = roundTrip(header);
    expect(back).toEqual(header);
  });

  it('encodes the common mucp headers compactly', () => {
    const { bytes } = roundTrip({ 'content-type': 'application/json', 'micro-service': 'greeter' });
    // count(2) + pair tag(1) + key tag(1) + length(2) + "greeter"(7)
    expect(bytes).toBe(13);
  });

  it('refuses keys over 255 bytes and values over 65535 bytes', () => {
    const longKey = { ['k'.repeat(256)]: 'v' };
    expect(encodeHeader(longKey, Buffer.alloc(headerBound(longKey)), 0)).toBe(-1);
    const longValue = { k: 'v'.repeat(70_000) };
    expect(encodeHeader(longValue, Buffer.alloc(headerBound(longValue)), 0)).toBe(-1);
  });

  it('reports malformed blocks instead of throwing', () => {
    const buf = Buffer.alloc(64);
    const end = encodeHeader({ 'x-a': 'value', 'micro-id': '42' }, buf, 0);
    for (let cut = 0; cut < end; cut++) expect(decodeHeader(buf, 0, cut)).toBeUndefined();
    expect(decodeHeader(Buffer.from([0, 1, 127]), 0, 3)).toBeUndefined(); // unknown static key
    expect(decodeHeader(Buffer.from([0, 1, 255]), 0, 3)).toBeUndefined(); // unknown static pair
  });
});

function parse(
  chunks: Buffer[],
  max = 1 << 20,
): { frames: [number, number, string][]; errors: ParseError[] } {
  const frames: [number, number, string][] = [];
  const errors: ParseError[] = [];
  const parser = new FrameParser(
    max,
    (type, id, buf, start, end) => frames.push([type, id, buf.toString('hex', start, end)]),
    (e) => errors.push(e),
  );
  for (const c of chunks) parser.push(c);
  return { frames, errors };
}

describe('frame parser', () => {
  const payloads = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(3000, 7)];
  const stream = Buffer.concat([PREFACE, ...payloads.map((p, i) => frame(T_REQUEST, i + 1, p))]);

  it('yields the same frames whatever the chunking', () => {
    const expected = parse([stream]).frames;
    expect(expected.map(([, id]) => id)).toEqual([1, 2, 3]);
    for (const size of [1, 2, 7, 9, 10, 100, 1000]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      expect(parse(chunks).frames).toEqual(expected);
    }
  });

  it('rejects a wrong preface and a frame over the limit', () => {
    expect(parse([Buffer.from('POST / HTTP/1.1\r\n')]).errors[0]?.kind).toBe('preface');
    const big = parse([PREFACE, frame(T_REQUEST, 9, Buffer.alloc(200))], 100);
    expect(big.errors[0]).toMatchObject({ kind: 'too-large', length: 200, type: T_REQUEST, id: 9 });
    expect(big.frames).toEqual([]);
  });
});

describe('frame parser with a batch limit', () => {
  const stream = Buffer.concat([
    PREFACE,
    ...[1, 2, 3, 4, 5].map((id) => frame(T_REQUEST, id, Buffer.from(`m${id}`))),
  ]);

  it('suspends after each batch of one chunk, queues later input and resumes in order', () => {
    const ids: number[] = [];
    const parser = new FrameParser(
      1 << 20,
      (_type, id) => ids.push(id),
      () => undefined,
      2,
    );
    parser.push(stream);
    expect(ids).toEqual([1, 2]);
    expect(parser.suspended).toBe(true);
    const more = frame(T_REQUEST, 6, Buffer.from('m6'));
    parser.push(more.subarray(0, 5)); // input while suspended waits behind the rest
    parser.push(more.subarray(5));
    expect(ids).toEqual([1, 2]);
    parser.resume();
    expect(ids).toEqual([1, 2, 3, 4]);
    parser.resume();
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parser.suspended).toBe(false);
    parser.resume(); // nothing held: no-op
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('drops what it holds when stopped', () => {
    const ids: number[] = [];
    const parser = new FrameParser(
      1 << 20,
      (_type, id) => ids.push(id),
      () => undefined,
      2,
    );
    parser.push(stream);
    parser.stop();
    expect(parser.suspended).toBe(false);
    parser.resume();
    expect(ids).toEqual([1, 2]);
  });
});

describe('sniffing', () => {
  it('tells the framed protocol, HTTP and garbage apart, waiting for enough bytes', () => {
    expect(classify(PREFACE)).toBe('framed');
    expect(classify(PREFACE.subarray(0, 3))).toBe('more');
    expect(classify(Buffer.from('POST / HTTP/1.1'))).toBe('http');
    expect(classify(Buffer.from('GET /health'))).toBe('http');
    expect(classify(Buffer.from('PO'))).toBe('more');
    expect(classify(Buffer.from('HELLO'))).toBe('reject');
    expect(classify(Buffer.from([0x16, 0x03, 0x01]))).toBe('reject');
    expect(classify(Buffer.from([0x00, 0x4e, 0x00]))).toBe('reject');
  });
});
