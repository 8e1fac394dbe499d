// HTTP headers → call metadata (hop and routing headers dropped) and the Timeout header.
import { describe, expect, it } from 'vitest';
import { headerMetadata, requestTimeout } from '../../../lib/gateway/request-metadata.js';

describe('headerMetadata', () => {
  it('passes on the caller headers, not those of the HTTP hop or the routing', () => {
    expect(
      headerMetadata({
        'x-user': 'bob',
        authorization: 'Bearer t',
        traceparent: '00-abc-def-01',
        'set-cookie': ['a=1', 'b=2'],
        connection: 'keep-alive',
        'content-length': '12',
        'content-type': 'application/json',
        host: 'gw',
        timeout: '5s',
        'micro-service': 'elsewhere',
        'micro-endpoint': 'X.Y',
      }),
    ).toEqual({
      'x-user': 'bob',
      authorization: 'Bearer t',
      traceparent: '00-abc-def-01',
      'set-cookie': 'a=1,b=2',
    });
  });
});

describe('requestTimeout', () => {
  it('reads go-micro nanoseconds and durations with a unit, capped at the maximum', () => {
    expect(requestTimeout(undefined, 60_000)).toBeUndefined();
    expect(requestTimeout('2500000000', 60_000)).toBe(2_500);
    expect(requestTimeout('500ms', 60_000)).toBe(500);
    expect(requestTimeout('1.5s', 60_000)).toBe(1_500);
    expect(requestTimeout('10m', 60_000)).toBe(60_000);
  });

  it.each(['soon', '-1s', '0', '5 h'])('"%s" is a 400', (value) => {
    expect(() => requestTimeout(value, 60_000)).toThrow(expect.objectContaining({ code: 400 }));
  });
});
