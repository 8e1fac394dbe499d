/**
 * go-micro's NATS transport message as JSON: header names in go-micro's spelling out, lower-case in;
 * bodies as base64; what Go's decoder accepts (any case of field names, null) and what it refuses.
 */
import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { isPublishSubject, listenSubject } from '../../../lib/core/transport/nats/nats.options.js';
import { decodeMessage, encodeMessage, goHeaderName } from '../../../lib/core/transport/nats/nats.wire.js';

const inbox = (): string => '_INBOX.fresh';
const decode = (text: string): ReturnType<typeof decodeMessage> => decodeMessage(Buffer.from(text), 'test');

describe('NATS transport wire', () => {
  it('spells header names as go-micro does', () => {
    expect(goHeaderName('micro-id')).toBe('Micro-ID');
    expect(goHeaderName('micro-trace-id')).toBe('Micro-Trace-ID');
    expect(goHeaderName('micro-stream')).toBe('Micro-Stream');
    expect(goHeaderName('content-type')).toBe('Content-Type');
    expect(goHeaderName('timeout')).toBe('Timeout');
    expect(goHeaderName('x-user-id')).toBe('X-User-Id');
  });

  it('encodes {"Header","Body"} as Go writes transport.Message, base64 body', () => {
    const payload = encodeMessage({ header: { 'micro-id': '1', 'x-a': 'é' }, body: Buffer.from('{"a":1}') });
    expect(JSON.parse(payload.toString())).toEqual({
      Header: { 'Micro-ID': '1', 'X-A': 'é' },
      Body: Buffer.from('{"a":1}').toString('base64'),
    });
    expect(JSON.parse(encodeMessage({ header: {}, body: Buffer.alloc(0) }).toString())).toEqual({
      Header: {},
      Body: null,
    });
  });

  it('decodes round trip, lower-cases names and drops X-Micro-* duplicates', () => {
    const message = decode(
      JSON.stringify({
        Header: {
          'Micro-ID': '3',
          'X-Micro-ID': '3',
          'X-Micro-Service': 's',
          'Content-Type': 'application/json',
        },
        Body: Buffer.from([0, 1, 2]).toString('base64'),
      }),
    );
    expect(message).toEqual({
      header: { 'micro-id': '3', 'micro-service': 's', 'content-type': 'application/json' },
      body: Buffer.from([0, 1, 2]),
    });
  });

  it('accepts what Go accepts: any case of field names, null header and body, no body', () => {
    expect(decode('{"header":null,"BODY":null}')).toEqual({ header: {}, body: Buffer.alloc(0) });
    expect(decode('{}')).toEqual({ header: {}, body: Buffer.alloc(0) });
  });

  it('refuses with a 400 what Go cannot decode', () => {
    for (const text of [
      '',
      'x',
      'null',
      '[]',
      '"s"',
      '{"Header":1}',
      '{"Header":{"a":2}}',
      '{"Body":"@@"}',
      '{"Body":1}',
    ]) {
      const result = decode(text);
      expect(result).toBeInstanceOf(MicroError);
      expect(result).toMatchObject({ code: 400, id: 'test' });
    }
  });

  it('listens on a fresh inbox for the default addresses, else on the subject given', () => {
    expect(listenSubject(':0', inbox)).toBe('_INBOX.fresh');
    expect(listenSubject('', inbox)).toBe('_INBOX.fresh');
    expect(listenSubject('0.0.0.0:0', inbox)).toBe('_INBOX.fresh');
    expect(listenSubject('greeter.1', inbox)).toBe('greeter.1');
    expect(() => listenSubject('a..b', inbox)).toThrow(MicroError);
    expect(isPublishSubject('a.>')).toBe(false);
    expect(isPublishSubject('127.0.0.1:8080')).toBe(true);
  });
});
