/** The one host:port API (lib/core/net/address.ts) on the forms transports, registries and peers use. */
import { describe, expect, it } from 'vitest';
import { joinHostPort, socketAddress, splitHostPort } from '../../../lib/core/net/address.js';

describe('host:port', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1', 8080],
    [':0', '', 0],
    ['localhost', 'localhost', 0],
    [' 10.0.0.1:5 ', '10.0.0.1', 5],
    ['[::1]:80', '::1', 80],
    ['[::]:0', '::', 0],
    ['[::1]', '::1', 0],
    ['::', '::', 0],
    ['fe80::1:8080', 'fe80::1', 8080],
    ['host:', 'host', 0],
    ['host:http', 'host', 0],
  ])('splits %j', (address, host, port) => {
    expect(splitHostPort(address)).toEqual({ host, port });
  });

  it('joins with IPv6 hosts in brackets, and shows IPv4-mapped socket ends as IPv4', () => {
    expect(joinHostPort('::1', 80)).toBe('[::1]:80');
    expect(joinHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(socketAddress('::ffff:10.0.0.1', 9)).toBe('10.0.0.1:9');
    expect(socketAddress(undefined, 9)).toBe('');
  });
});
