/** Header values on the HTTP wire: UTF-8 bytes both ways (as Go writes them), nothing that can make a write throw. */
import { describe, expect, it } from 'vitest';
import { fromHttpHeaders, toHttpHeaders } from '../../../lib/core/transport/http/http.headers.js';

/** What node:http, llhttp and undici hand over for raw bytes: each byte as one Latin-1 character. */
const asRead = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

describe('HTTP header values', () => {
  it('writes text as its UTF-8 bytes and reads UTF-8 bytes back as text', () => {
    const out = toHttpHeaders({ 'micro-error': '5 € é', 'x-plain': 'ascii' }, 0);
    expect(Buffer.from(out['Micro-Error'] as string, 'latin1').toString('utf8')).toBe('5 € é');
    expect(out['X-Plain']).toBe('ascii');
    expect(fromHttpHeaders({ 'micro-error': asRead('refusé: 5 €') })['micro-error']).toBe('refusé: 5 €');
  });

  it('keeps a Latin-1 value that is not valid UTF-8 as it came', () => {
    expect(fromHttpHeaders({ 'x-name': 'caf\u00e9' })['x-name']).toBe('café');
  });

  it('turns CR, LF and other controls into spaces and drops names that are not HTTP tokens', () => {
    const out = toHttpHeaders({ 'x-a': 'one\r\ntwo\u0000', 'bad key': 'v', 'x-é': 'v' }, 3);
    expect(out).toEqual({ 'X-A': 'one  two ', 'Content-Length': 3 });
  });

  it('leaves out the headers HTTP itself gives a meaning (undici refuses Upgrade and Expect on a request)', () => {
    const header = { upgrade: 'websocket', expect: '100-continue', connection: 'x', 'x-trace-id': 't' };
    expect(toHttpHeaders(header, 0)).toEqual({ 'X-Trace-Id': 't', 'Content-Length': 0 });
    expect(fromHttpHeaders({ upgrade: 'websocket', expect: '100-continue', 'x-trace-id': 't' })).toEqual({
      'x-trace-id': 't',
    });
  });
});
