import { describe, expect, it } from 'vitest';
import { JsonRpcCodec } from '../../../lib/core/codec/index.js';
import type { MicroError } from '../../../lib/core/errors/micro-error.js';
import { catchError, JSONRPC_ERROR, JSONRPC_REQUEST, JSONRPC_RESPONSE } from './golden.js';

const header = { id: '1', endpoint: 'Greeter.Hello' };
const code = (fn: () => unknown): number => (catchError(fn) as MicroError).code;

describe('application/json-rpc', () => {
  const codec = new JsonRpcCodec();

  it('writes go-micro request and reply envelopes byte for byte', () => {
    expect(codec.encodeRequest(header, { name: 'John' })).toEqual(JSONRPC_REQUEST);
    expect(codec.encodeResponse(header, { msg: 'Hello John' })).toEqual(JSONRPC_RESPONSE);
    expect(codec.encodeResponse({ ...header, error: 'boom' }, undefined)).toEqual(JSONRPC_ERROR);
  });

  it('answers a void handler with result {} as a go-micro server does (its reply struct is never nil); an error with null', () => {
    expect(codec.encodeResponse(header, undefined).toString()).toBe('{"id":"1","result":{},"error":null}\n');
    expect(codec.encodeResponse({ ...header, error: 'boom' }, undefined).toString()).toBe(
      '{"id":"1","result":null,"error":"boom"}\n',
    );
  });

  it('reads them back with the id, method and error', () => {
    expect(codec.decodeRequest(JSONRPC_REQUEST)).toEqual({
      body: { name: 'John' },
      header: { id: '1', endpoint: 'Greeter.Hello' },
    });
    expect(codec.decodeResponse(JSONRPC_RESPONSE)).toEqual({
      body: { msg: 'Hello John' },
      header: { id: '1' },
    });
    expect(codec.decodeResponse(JSONRPC_ERROR)).toEqual({
      body: undefined,
      header: { id: '1', error: 'boom' },
    });
  });

  it('accepts what other JSON-RPC peers write: numeric ids, no params, extra params, empty error', () => {
    const request = codec.decodeRequest(Buffer.from('{"id":7,"method":"A.B","params":[{"x":1},{"y":2}]}'));
    expect(request).toEqual({ body: { x: 1 }, header: { id: '7', endpoint: 'A.B' } });
    expect(codec.decodeRequest(Buffer.from('{"id":"2","method":"A.B"}')).body).toBeUndefined();
    expect(codec.decodeRequest(Buffer.from('{"id":"2","method":"A.B","params":[]}')).body).toBeUndefined();
    expect(codec.decodeResponse(Buffer.from('{"id":"3","result":null,"error":""}')).header?.error).toBe(
      'unspecified error',
    );
  });

  it('reads the envelope alone, so a server can route before it knows the handler', () => {
    expect(codec.decodeHeader(JSONRPC_REQUEST)).toEqual({ id: '1', endpoint: 'Greeter.Hello' });
    expect(code(() => codec.decodeHeader(Buffer.from('{"id":"1","method":[]}')))).toBe(400);
  });

  it('round-trips requests and replies', () => {
    const body = { list: [1, 2], nested: { ok: true }, text: 'a<b' };
    const { body: back, header: h } = codec.decodeRequest(
      codec.encodeRequest({ id: '42', endpoint: 'S.M' }, body),
    );
    expect(back).toEqual(body);
    expect(h).toEqual({ id: '42', endpoint: 'S.M' });
    expect(codec.decodeResponse(codec.encodeResponse({ id: '42', endpoint: 'S.M' }, body)).body).toEqual(
      body,
    );
    expect(codec.unmarshal(codec.marshal(body))).toEqual(body);
    expect(codec.marshal(body).toString()).toBe('{"list":[1,2],"nested":{"ok":true},"text":"a\\u003cb"}');
  });

  it('answers malformed envelopes with a 400', () => {
    const bad = [
      '',
      '{"params":',
      '[1,2]',
      '"text"',
      '{"id":"1","method":5,"params":[]}',
      '{"id":"1","method":"A.B","params":{"x":1}}',
      '{"id":{"a":1},"method":"A.B","params":[]}',
    ];
    for (const text of bad) expect(code(() => codec.decodeRequest(Buffer.from(text)))).toBe(400);
    expect(code(() => codec.decodeResponse(Buffer.from('{"id":"1","result":null,"error":{"code":1}}')))).toBe(
      400,
    );
    expect(code(() => codec.decodeResponse(Buffer.from('not json')))).toBe(400);
  });

  it('drops __proto__ keys inside params', () => {
    const text = '{"id":"1","method":"A.B","params":[{"__proto__":{"polluted":1},"a":1}]}';
    const body = codec.decodeRequest(Buffer.from(text)).body as object;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).toEqual(['a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
