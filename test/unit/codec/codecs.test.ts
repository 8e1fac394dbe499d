import { describe, expect, it } from 'vitest';
import { Codecs, defaultCodecs, JsonCodec } from '../../../lib/core/codec/index.js';
import { mediaType } from '../../../lib/core/codec/codec.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { catchError } from './golden.js';

describe('Codecs', () => {
  const codecs = new Codecs(defaultCodecs());

  it('registers all five codecs with JSON first', () => {
    expect(defaultCodecs().map((c) => c.contentType)).toEqual([
      'application/json',
      'application/json-rpc',
      'application/protobuf',
      'application/proto-rpc',
      'application/octet-stream',
    ]);
    expect(codecs.default).toBeInstanceOf(JsonCodec);
  });

  it('picks by media type, ignoring case and parameters, with aliases', () => {
    expect(codecs.get('application/json; charset=utf-8').name).toBe('json');
    expect(codecs.get('Application/JSON-RPC').name).toBe('json-rpc');
    expect(codecs.get('application/x-protobuf').name).toBe('proto');
    expect(codecs.get('application/proto').name).toBe('proto');
    expect(codecs.get('application/proto-rpc').name).toBe('proto-rpc');
    expect(codecs.get('application/octet-stream').name).toBe('bytes');
    expect(codecs.get(undefined).name).toBe('json');
    expect(codecs.get('').name).toBe('json');
    expect(mediaType(' Text/JSON ;q=1')).toBe('text/json');
  });

  it('answers an unknown Content-Type with a 415 that lists the supported ones', () => {
    const error = catchError(() => codecs.get('application/xml')) as MicroError;
    expect(error).toBeInstanceOf(MicroError);
    expect(error.code).toBe(415);
    expect(error.status).toBe('Unsupported Media Type');
    for (const type of [
      'application/json',
      'application/protobuf',
      'application/proto-rpc',
      'application/octet-stream',
    ]) {
      expect(error.detail).toContain(type);
    }
  });
});
