// `nest-micro api`'s flags as gateway options: tokens from --token and MICRO_API_TOKENS, CORS
// origins, the scope check turned off, bad token syntax as a usage error.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { MemoryRegistry } from '../../../lib/core/registry/index.js';
import { collectToken, gatewayOptions, type ApiFlags } from '../../../lib/cli/api.js';

const ctx = { client: () => ({}) as never, registry: new MemoryRegistry() };
const flags = (extra: Partial<ApiFlags> = {}): ApiFlags => ({ address: ['127.0.0.1:0'], ...extra });

describe('nest-micro api options', () => {
  it('collects tokens and their scopes', () => {
    expect(collectToken('a=x, y')).toEqual({ a: ['x', 'y'] });
    expect(collectToken('b', { a: ['x'] })).toEqual({ a: ['x'], b: [] });
    expect(() => collectToken('=x')).toThrow(InvalidArgumentError);
  });

  it('tokens from the flag and MICRO_API_TOKENS; auth off without them unless asked', () => {
    expect(gatewayOptions(ctx, flags(), {}).auth).toBeUndefined();
    expect(
      gatewayOptions(ctx, flags({ token: { a: ['x'] } }), { MICRO_API_TOKENS: 'b=y,z  c=*' }).auth,
    ).toEqual({
      tokens: { a: ['x'], b: ['y', 'z'], c: ['*'] },
      required: false,
    });
    expect(gatewayOptions(ctx, flags({ authRequired: true }), {}).auth).toEqual({
      tokens: {},
      required: true,
    });
    expect(gatewayOptions(ctx, flags({ scopes: false, token: { a: [] } }), {}).auth).toBe(false);
  });

  it('--cors: any origin, or a list', () => {
    expect(gatewayOptions(ctx, flags(), {}).cors).toBeUndefined();
    expect(gatewayOptions(ctx, flags({ cors: true }), {}).cors).toBe(true);
    expect(gatewayOptions(ctx, flags({ cors: 'https://a, https://b' }), {}).cors).toEqual({
      origins: ['https://a', 'https://b'],
    });
  });
});
