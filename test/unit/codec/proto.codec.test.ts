import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { loadProto, parseProto, ProtoCodec, protoType } from '../../../lib/core/codec/index.js';
import type { MicroError } from '../../../lib/core/errors/micro-error.js';
import { catchError, hex, PB_REQUEST, PB_RESPONSE } from './golden.js';

const GREETER = fileURLToPath(new URL('../../../sample/proto/greeter.proto', import.meta.url));
const root = await loadProto(GREETER);
const Request = protoType(root, 'greeter.Request');
const Response = protoType(root, 'greeter.Response');
const header = { id: '1', endpoint: 'Greeter.Hello' };
const code = (fn: () => unknown): number => (catchError(fn) as MicroError).code;

describe('application/protobuf', () => {
  const codec = new ProtoCodec();

  it('writes raw protobuf bytes for the declared types', () => {
    expect(codec.encodeRequest(header, { name: 'John' }, Request)).toEqual(PB_REQUEST);
    expect(codec.encodeResponse(header, { msg: 'Hello John' }, Response)).toEqual(PB_RESPONSE);
    expect(codec.encodeResponse(header, Response.create({ msg: 'Hello John' }))).toEqual(PB_RESPONSE);
  });

  it('reads them into plain objects', () => {
    const { body } = codec.decodeRequest(PB_REQUEST, Request);
    expect(body).toEqual({ name: 'John' });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(codec.decodeResponse(PB_RESPONSE, Response).body).toEqual({ msg: 'Hello John' });
  });

  it('fills proto3 defaults: an empty body is the zero message, as in Go', () => {
    expect(codec.decodeRequest(Buffer.alloc(0), Request).body).toEqual({ name: '' });
    expect(codec.encodeRequest(header, { name: '' }, Request)).toHaveLength(0);
  });

  it('uses protobuf JSON mapping for 64-bit ints, enums, bytes and nested messages', () => {
    const types = parseProto(`syntax = "proto3"; package t;
      enum Color { RED = 0; BLUE = 1; }
      message Inner { int32 n = 1; }
      message All { int64 big = 1; Color color = 2; bytes data = 3; repeated Inner items = 4; map<string, string> tags = 5; uint64 u = 6; }`);
    const All = protoType(types, 't.All');
    const value = {
      big: '-9007199254740993',
      color: 'BLUE',
      data: Buffer.from('hi').toString('base64'),
      items: [{ n: 1 }, { n: 2 }],
      tags: { a: 'b' },
      u: '18446744073709551615',
    };
    const bytes = codec.marshal(value, All);
    expect(codec.unmarshal(bytes, All)).toEqual(value);
  });

  it('answers a body that does not parse with a 400', () => {
    for (const bad of [hex('0a ff'), hex('0a 05 4a6f'), hex('ff ff ff ff ff ff ff ff ff ff ff'), hex('0f')]) {
      const error = catchError(() => codec.decodeRequest(bad, Request)) as MicroError;
      expect(error.code).toBe(400);
      expect(error.detail).toMatch(/invalid protobuf body/);
    }
    expect(code(() => codec.decodeResponse(hex('0a ff'), Response))).toBe(400);
  });

  it('answers hostile nesting of a recursive message with a 400, not a crash', () => {
    const Node = protoType(parseProto('syntax = "proto3"; message Node { Node child = 1; }'), 'Node');
    // 20 000 nested `child` fields, written with protobufjs's own Writer (fork/ldelim).
    const writer = protobuf.Writer.create();
    for (let i = 0; i < 20_000; i++) writer.uint32(0x0a).fork();
    for (let i = 0; i < 20_000; i++) writer.ldelim();
    const bytes = Buffer.from(writer.finish());
    const error = catchError(() => codec.decodeRequest(bytes, Node)) as MicroError;
    expect(error.code).toBe(400);
  });

  it('without a declared type: 415 for a request, the raw bytes for a reply, nothing for an empty body', () => {
    const error = catchError(() => codec.decodeRequest(PB_REQUEST)) as MicroError;
    expect(error.code).toBe(415);
    expect(error.detail).toMatch(/declares no protobuf request type/);
    expect(code(() => codec.unmarshal(PB_REQUEST))).toBe(415);
    expect(code(() => codec.encodeResponse(header, { msg: 'x' }))).toBe(415);
    expect(codec.decodeResponse(PB_RESPONSE).body).toEqual(PB_RESPONSE);
    expect(codec.decodeRequest(Buffer.alloc(0)).body).toBeUndefined();
  });

  it('passes already-encoded bytes through and writes nothing for no value', () => {
    expect(codec.encodeRequest(header, PB_REQUEST)).toEqual(PB_REQUEST);
    expect(codec.encodeResponse(header, undefined, Response)).toHaveLength(0);
  });

  it('refuses values that are not messages: 400 from a caller, 500 from a handler', () => {
    expect(code(() => codec.encodeRequest(header, 'John', Request))).toBe(400);
    expect(code(() => codec.encodeResponse(header, [1], Response))).toBe(500);
    const A = protoType(
      parseProto('syntax = "proto3"; message A { B b = 1; } message B { repeated int32 v = 1; }'),
      'A',
    );
    const error = catchError(() => codec.encodeResponse(header, { b: { v: 5 } }, A)) as MicroError;
    expect(error.code).toBe(500);
    expect(error.detail).toMatch(/array expected/);
  });
});
