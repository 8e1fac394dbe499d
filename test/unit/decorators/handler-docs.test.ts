// @Handler's description, example and scopes become endpoint metadata under go-micro's keys
// (server/doc.go: description, example as JSON text, scopes comma-separated).
import 'reflect-metadata';
import type { MessageHandler } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { Handler } from '../../../lib/nest/decorators/handler.decorator.js';
import { describeEndpoints } from '../../../lib/nest/server/endpoints.js';

class BlogController {
  @Handler('Blog.Create', {
    description: 'Create a blog post',
    example: { title: 'Hello', body: 'World' },
    scopes: ['blog:write', ' blog:admin '],
  })
  create(_req: object): void {}

  @Handler('Blog.Read', { description: 'Read a post', example: '{"id":"1"}', metadata: { owner: 'team' } })
  read(_req: object): void {}

  @Handler('Blog.Plain')
  plain(_req: object): void {}
}

/** The endpoints a server would announce for BlogController's handlers. */
function announced(): Record<string, Record<string, string>> {
  const handlers = new Map<string, MessageHandler>();
  for (const key of ['create', 'read', 'plain'] as const) {
    const patterns = Reflect.getMetadata('microservices:pattern', BlogController.prototype[key]) as string[];
    const extras = Reflect.getMetadata(
      'microservices:pattern_extras',
      BlogController.prototype[key],
    ) as Record<string, unknown>;
    const handler = Object.assign(async () => undefined, {
      extras,
      isEventHandler: false,
    }) as unknown as MessageHandler;
    handlers.set(patterns[0]!, handler);
  }
  return Object.fromEntries(describeEndpoints(handlers, () => undefined).map((e) => [e.name, e.metadata]));
}

describe('@Handler docs', () => {
  it('announces description, example and scopes under go-micro keys', () => {
    const endpoints = announced();
    expect(endpoints['Blog.Create']).toEqual({
      description: 'Create a blog post',
      example: '{"title":"Hello","body":"World"}',
      scopes: 'blog:write,blog:admin',
    });
    expect(endpoints['Blog.Read']).toEqual({
      owner: 'team',
      description: 'Read a post',
      example: '{"id":"1"}',
    });
    expect(endpoints['Blog.Plain']).toEqual({});
  });

  it('refuses a scope go-micro could not split back', () => {
    expect(() => Handler('Blog.X', { scopes: ['a,b'] })).toThrow(/contains a comma/);
    expect(() => Handler('Blog.X', { scopes: [''] })).toThrow(/empty/);
  });
});
