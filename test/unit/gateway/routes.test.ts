// URL → route as go-micro maps them: micro's gateway paths, `micro api`'s short paths and header,
// publish, registry and documents; names checked, anything else no route.
import { describe, expect, it } from 'vitest';
import { route } from '../../../lib/gateway/routes.js';

describe('gateway routes', () => {
  it.each([
    ['/api/helloworld/Helloworld.Call', { kind: 'call', service: 'helloworld', endpoint: 'Helloworld.Call' }],
    ['/api/helloworld/Helloworld/Call', { kind: 'call', service: 'helloworld', endpoint: 'Helloworld.Call' }],
    ['/helloworld/Helloworld.Call', { kind: 'call', service: 'helloworld', endpoint: 'Helloworld.Call' }],
    [
      '/api/go.micro.srv.greeter/Say.Hello/',
      { kind: 'call', service: 'go.micro.srv.greeter', endpoint: 'Say.Hello' },
    ],
    ['/publish/orders.created', { kind: 'publish', topic: 'orders.created' }],
    ['/micro/broker/orders.created', { kind: 'publish', topic: 'orders.created' }],
    ['/', { kind: 'services' }],
    ['/api', { kind: 'services' }],
    ['/micro/registry', { kind: 'services' }],
    ['/micro/registry/greeter', { kind: 'service', service: 'greeter' }],
    ['/greeter', { kind: 'service', service: 'greeter' }],
    ['/health', { kind: 'health' }],
    ['/openapi.json', { kind: 'openapi' }],
  ])('%s', (path, expected) => {
    expect(route(path)).toEqual(expected);
  });

  it("takes the endpoint from Micro-Endpoint on micro api's paths", () => {
    expect(route('/greeter', 'Greeter.Hello')).toEqual({
      kind: 'call',
      service: 'greeter',
      endpoint: 'Greeter.Hello',
    });
  });

  it.each([
    '/api/greeter',
    '/api/greeter/Hello',
    '/api/greeter/a/b/c',
    '/api/greeter/Greeter.Hello.More',
    '/api/127.0.0.1:1%2Fx/Foo.Bar',
    '/api/%E0%A4%A/Foo.Bar',
    '/a/b/c',
    '/micro/store/x',
    '/publish/',
  ])('%s is no route', (path) => {
    expect(route(path).kind).toBe('none');
  });
});
