import { describe, expect, it } from 'vitest';
import { JsonCodec } from '../../../lib/core/codec/index.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { catchError, JSON_HTML, JSON_REQUEST } from './golden.js';

const header = { id: '1', endpoint: 'Greeter.Hello' };

describe('application/json', () => {
  const codec = new JsonCodec();

  it('writes requests and replies as Go json.Encoder does (trailing newline)', () => {
    expect(codec.encodeRequest(header, { name: 'John' })).toEqual(JSON_REQUEST);
    expect(codec.encodeResponse(header, { msg: '<a&b>' })).toEqual(JSON_HTML);
  });

  it('writes bare messages as json.Marshal does (no newline) and can drop the newline', () => {
    expect(codec.marshal({ name: 'John' }).toString()).toBe('{"name":"John"}');
    const plain = new JsonCodec({ newline: false });
    expect(plain.encodeRequest(header, { name: 'John' }).toString()).toBe('{"name":"John"}');
  });

  it('reads with or without the newline, and round-trips', () => {
    expect(codec.decodeRequest(JSON_REQUEST).body).toEqual({ name: 'John' });
    expect(codec.decodeRequest(Buffer.from('{"name":"John"}')).body).toEqual({ name: 'John' });
    expect(codec.decodeResponse(JSON_HTML).body).toEqual({ msg: '<a&b>' });
    const value = { a: [1, 'x', null, { b: true }], u: 'ü\u2028' };
    expect(codec.unmarshal(codec.marshal(value))).toEqual(value);
  });

  it('reads an empty body as no value (Go nil); a reply with no value is {} as go-micro writes it', () => {
    // go-micro clients always decode the reply body: an empty one is an "EOF" 500 for them
    expect(codec.encodeResponse(header, undefined).toString()).toBe('{}\n');
    expect(codec.encodeResponse(header, null).toString()).toBe('null\n');
    expect(codec.decodeRequest(Buffer.alloc(0)).body).toBeUndefined();
    expect(codec.decodeRequest(Buffer.from('\n')).body).toBeUndefined();
  });

  it('answers a body that does not parse with a 400', () => {
    for (const bad of ['{"name":', 'nope', '{"a":1}}', '\u0000']) {
      const error = catchError(() => codec.decodeRequest(Buffer.from(bad)));
      expect(error).toBeInstanceOf(MicroError);
      expect((error as MicroError).code).toBe(400);
    }
  });

  it('fails encoding a value JSON cannot carry: 400 for a request, 500 for a reply', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((catchError(() => codec.encodeRequest(header, cyclic)) as MicroError).code).toBe(400);
    expect((catchError(() => codec.encodeResponse(header, { n: 1n })) as MicroError).code).toBe(500);
  });

  it('drops __proto__ keys, also escaped ones, so nothing reaches a prototype', () => {
    const bodies = [
      '{"__proto__":{"polluted":"yes"},"a":1}',
      '{"\\u005f_proto__":{"polluted":"yes"},"a":1}',
      '{"nested":{"__proto__":{"polluted":"yes"}},"a":1}',
      '{"constructor":{"prototype":{"polluted":"yes"}},"a":1}',
    ];
    for (const body of bodies) {
      const value = codec.decodeRequest(Buffer.from(body)).body as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(false);
      // Even a naive deep merge of the decoded value cannot pollute.
      naiveMerge({}, value);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });
});

function naiveMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value === 'object' && value !== null) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      naiveMerge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else target[key] = value;
  }
}
