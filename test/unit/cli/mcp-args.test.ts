// `nest-micro mcp` flags: the --http address, the --tokens file's two shapes and its errors, --scope.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectScope, parseHttpAddress, parseTokens } from '../../../lib/cli/mcp.js';

describe('nest-micro mcp flags', () => {
  it('--http: loopback port 3000 by default, a port alone, host:port, [v6]:port', () => {
    expect(parseHttpAddress(true)).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(parseHttpAddress('3001')).toEqual({ host: '127.0.0.1', port: 3001 });
    expect(parseHttpAddress('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseHttpAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseHttpAddress('host:99999')).toThrow(InvalidArgumentError);
    expect(() => parseHttpAddress('nope')).toThrow(InvalidArgumentError);
  });

  it('--tokens: accounts with ids, or bare scope lists', () => {
    const tokens = parseTokens({ a: { id: 'alice', scopes: ['x'] }, b: ['y', 'z'] }, 'f');
    expect(tokens.a).toEqual({ id: 'alice', scopes: ['x'] });
    expect(tokens.b).toEqual({ id: 'token-2', scopes: ['y', 'z'] });
    expect(Object.getPrototypeOf(tokens)).toBeNull(); // a token named __proto__ or toString is just a token
  });

  it('--tokens: a file of another shape is an error naming it', () => {
    expect(() => parseTokens([], 'f.json')).toThrow(/f\.json: not a JSON object/);
    expect(() => parseTokens({ a: { scopes: 'x' } }, 'f.json')).toThrow(/scopes of token #1/);
    expect(() => parseTokens({ a: { id: 7, scopes: [] } }, 'f.json')).toThrow(/id of token #1/);
    expect(() => parseTokens({ ' ': [] }, 'f.json')).toThrow(/empty token/);
  });

  it('--scope tool=scope,scope, repeatable', () => {
    const scopes = collectScope(
      'blog.Blog.Read=blog:read',
      collectScope('blog.Blog.Create=blog:write, blog:admin'),
    );
    expect(scopes).toEqual({
      'blog.Blog.Create': ['blog:write', 'blog:admin'],
      'blog.Blog.Read': ['blog:read'],
    });
    expect(() => collectScope('no-equals')).toThrow(InvalidArgumentError);
  });
});
