import { describe, expect, it } from 'vitest';
import { BytesCodec } from '../../../lib/core/codec/index.js';
import type { MicroError } from '../../../lib/core/errors/micro-error.js';
import { catchError, hex } from './golden.js';

const header = { id: '1', endpoint: 'Files.Put' };

describe('application/octet-stream', () => {
  const codec = new BytesCodec();
  const raw = hex('00 ff 10 0a 7b');

  it('passes bytes through unchanged in every direction', () => {
    expect(codec.encodeRequest(header, raw)).toEqual(raw);
    expect(codec.encodeResponse(header, new Uint8Array([0, 255, 16, 10, 123]))).toEqual(raw);
    expect(codec.decodeRequest(raw).body).toEqual(raw);
    expect(codec.decodeResponse(raw).body).toEqual(raw);
    expect(codec.unmarshal(codec.marshal(raw))).toEqual(raw);
  });

  it('encodes a Uint8Array view without the bytes around it', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    expect(codec.marshal(backing.subarray(2, 5))).toEqual(hex('010203'));
  });

  it('writes nothing for no value (Go nil)', () => {
    expect(codec.encodeResponse(header, undefined)).toHaveLength(0);
    expect(codec.encodeResponse(header, null)).toHaveLength(0);
  });

  it('refuses values that are not bytes: 400 from a caller, 500 from a handler', () => {
    for (const value of ['text', 42, { data: [1] }, [1, 2]]) {
      const request = catchError(() => codec.encodeRequest(header, value)) as MicroError;
      expect(request.code).toBe(400);
      expect(request.detail).toMatch(/Buffer or Uint8Array/);
      expect((catchError(() => codec.encodeResponse(header, value)) as MicroError).code).toBe(500);
      expect((catchError(() => codec.marshal(value)) as MicroError).code).toBe(400);
    }
  });
});
