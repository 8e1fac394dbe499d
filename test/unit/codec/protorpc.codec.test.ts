import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProtoSync, ProtoRpcCodec, protoType } from '../../../lib/core/codec/index.js';
import { seqOf } from '../../../lib/core/codec/protorpc-envelope.js';
import type { MicroError } from '../../../lib/core/errors/micro-error.js';
import {
  catchError,
  hex,
  PB_REQUEST,
  PROTORPC_ERROR,
  PROTORPC_REQUEST,
  PROTORPC_RESPONSE,
} from './golden.js';

const root = loadProtoSync(fileURLToPath(new URL('../../../sample/proto/greeter.proto', import.meta.url)));
const Request = protoType(root, 'greeter.Request');
const Response = protoType(root, 'greeter.Response');
const header = { id: '1', endpoint: 'Greeter.Hello' };
const code = (fn: () => unknown): number => (catchError(fn) as MicroError).code;

describe('application/proto-rpc', () => {
  const codec = new ProtoRpcCodec();

  it('writes the envelope frame and the body frame byte for byte', () => {
    expect(codec.encodeRequest(header, { name: 'John' }, Request)).toEqual(PROTORPC_REQUEST);
    expect(codec.encodeResponse(header, { msg: 'Hello John' }, Response)).toEqual(PROTORPC_RESPONSE);
    expect(codec.encodeResponse({ ...header, error: 'boom' }, undefined, Response)).toEqual(PROTORPC_ERROR);
  });

  it('reads the envelope and body back', () => {
    expect(codec.decodeRequest(PROTORPC_REQUEST, Request)).toEqual({
      body: { name: 'John' },
      header: { id: '1', endpoint: 'Greeter.Hello' },
    });
    expect(codec.decodeResponse(PROTORPC_RESPONSE, Response)).toEqual({
      body: { msg: 'Hello John' },
      header: { id: '1', endpoint: 'Greeter.Hello' },
    });
    expect(codec.decodeResponse(PROTORPC_ERROR, Response)).toEqual({
      body: undefined,
      header: { id: '1', endpoint: 'Greeter.Hello', error: 'boom' },
    });
  });

  it('carries ids as go-micro does: uint64 seq, non-numeric ids as 0, negatives wrapped', () => {
    const ids: Array<[string, string]> = [
      ['18446744073709551615', '0'], // above int64: ParseInt fails in Go too
      ['9223372036854775807', '9223372036854775807'],
      ['-1', '18446744073709551615'],
      ['abc-uuid', '0'],
      ['', '0'],
    ];
    for (const [id, seq] of ids) {
      const { header: h } = codec.decodeRequest(
        codec.encodeRequest({ id, endpoint: 'S.M' }, undefined),
        Request,
      );
      expect(h?.id).toBe(seq);
    }
    expect(seqOf('+5')).toBe(5n);
    // seq 0 and an empty method are proto3 zero values: the envelope frame is empty.
    expect(codec.encodeRequest({ id: '0', endpoint: '' }, undefined)).toEqual(hex('00000000 00000000'));
  });

  it('reads the envelope alone, so a server can route before it knows the schema', () => {
    expect(codec.decodeHeader(PROTORPC_REQUEST)).toEqual({ id: '1', endpoint: 'Greeter.Hello' });
    expect(code(() => codec.decodeHeader(hex('00000002 0aff 00000000')))).toBe(400);
  });

  it('gives a reply without a declared type back as raw bytes; a request without one is a 415', () => {
    expect(codec.decodeResponse(PROTORPC_RESPONSE).body).toEqual(hex('0a0a48656c6c6f204a6f686e'));
    const error = catchError(() => codec.decodeRequest(PROTORPC_REQUEST)) as MicroError;
    expect(error.code).toBe(415);
    expect(codec.encodeRequest(header, PB_REQUEST)).toEqual(PROTORPC_REQUEST);
  });

  it('answers truncated, oversized or trailing frames and bad envelopes with a 400', () => {
    const bad = [
      hex(''),
      hex('0000'),
      hex('00000018 0a0d'), // envelope frame shorter than declared
      PROTORPC_REQUEST.subarray(0, 28), // body frame length missing
      PROTORPC_REQUEST.subarray(0, PROTORPC_REQUEST.length - 1), // body shorter than declared
      Buffer.concat([PROTORPC_REQUEST, hex('00')]), // trailing byte
      hex('ffffffff 00'), // absurd length
      hex('00000002 0aff 00000000'), // envelope not protobuf
      hex('00000018 0a0d477265657465722e48656c6c6f110100000000000000 00000002 0aff'), // body not protobuf
    ];
    for (const data of bad) {
      const error = catchError(() => codec.decodeRequest(data, Request)) as MicroError;
      expect(error.code, data.toString('hex')).toBe(400);
    }
    expect(code(() => codec.decodeResponse(hex('00000001'), Response))).toBe(400);
  });

  it('marshals bare messages as the protobuf body alone', () => {
    expect(codec.marshal({ name: 'John' }, Request)).toEqual(PB_REQUEST);
    expect(codec.unmarshal(PB_REQUEST, Request)).toEqual({ name: 'John' });
    expect(code(() => codec.unmarshal(PB_REQUEST))).toBe(415);
  });
});
