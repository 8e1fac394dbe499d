// The CLI's pure parts: value parsers (bad values are commander usage errors), colours only on a
// TTY without NO_COLOR, one-line error formatting, the describe tree and flags over environment.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import {
  collectAddresses,
  collectMetadata,
  parseCount,
  parseDuration,
  parseJsonArgument,
} from '../../../lib/cli/args.js';
import { cliEnvironment } from '../../../lib/cli/context.js';
import { serviceTree } from '../../../lib/cli/describe.js';
import { colours, formatError } from '../../../lib/cli/output.js';
import { renderTree } from '../../../lib/cli/tree.js';

const tty = (isTTY: boolean) => ({ isTTY }) as NodeJS.WriteStream;

describe('CLI value parsers', () => {
  it('JSON arguments', () => {
    expect(parseJsonArgument('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseJsonArgument('"x"')).toBe('x');
    expect(() => parseJsonArgument('{a:1}')).toThrow(InvalidArgumentError);
    expect(() => parseJsonArgument('')).toThrow(/not valid JSON/);
  });

  it('metadata key:value pairs accumulate; the value may contain colons', () => {
    const one = collectMetadata('x-user:bob');
    expect(collectMetadata('url: http://a:1', one)).toEqual({ 'x-user': 'bob', url: 'http://a:1' });
    for (const bad of ['novalue', ':v', '']) expect(() => collectMetadata(bad)).toThrow(InvalidArgumentError);
  });

  it('durations: milliseconds or with a unit', () => {
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    for (const bad of ['soon', '0', '-5', '5h', ''])
      expect(() => parseDuration(bad)).toThrow(InvalidArgumentError);
  });

  it('counts and addresses', () => {
    expect(parseCount('3')).toBe(3);
    expect(() => parseCount('1.5')).toThrow(InvalidArgumentError);
    expect(collectAddresses('127.0.0.1:1,[::1]:2', [':3'])).toEqual([':3', '127.0.0.1:1', '[::1]:2']);
    for (const bad of ['nowhere', 'a:b', ','])
      expect(() => collectAddresses(bad)).toThrow(InvalidArgumentError);
  });
});

describe('CLI output', () => {
  it('colours only on a TTY, and never with NO_COLOR set', () => {
    expect(colours(tty(true), {})('red', 'x')).toContain('\u001b[');
    expect(colours(tty(false), {})('red', 'x')).toBe('x');
    expect(colours(tty(true), { NO_COLOR: '1' })('red', 'x')).toBe('x');
  });

  it('errors are one line: a MicroError with code, status, id and detail; anything else its message', () => {
    expect(formatError(MicroError.timeout('go.micro.client', 'no reply\nwithin 5s'))).toBe(
      'error 408 Request Timeout [go.micro.client]: no reply within 5s',
    );
    expect(formatError({ code: 409, detail: 'taken', id: 'svc' })).toBe('error 409 Conflict [svc]: taken');
    expect(formatError(new Error('nest-micro: unknown registry "zk"'))).toBe('error: unknown registry "zk"');
    expect(formatError('plain')).toBe('error: plain');
  });

  it('describe renders versions, nodes and Value trees', () => {
    const lines = renderTree(
      serviceTree({
        name: 'greeter',
        version: '1.0',
        metadata: {},
        nodes: [{ id: 'n1', address: '127.0.0.1:1', metadata: { transport: 'tcp' } }],
        endpoints: [
          {
            name: 'Greeter.Hello',
            request: {
              name: 'HelloRequest',
              type: 'HelloRequest',
              values: [{ name: 'name', type: 'string' }],
            },
            metadata: {},
          },
        ],
      }),
    );
    expect(lines).toEqual([
      'greeter version 1.0',
      '├─ nodes (1)',
      '│  └─ n1  127.0.0.1:1',
      '│     └─ transport: tcp',
      '└─ endpoints (1)',
      '   └─ Greeter.Hello',
      '      ├─ request HelloRequest',
      '      │  └─ name string',
      '      └─ response -',
    ]);
  });

  it('flags are laid over the MICRO_* environment', () => {
    const env = { MICRO_REGISTRY: 'mdns', MICRO_REGISTRY_ADDRESS: '127.0.0.1', MICRO_BROKER: 'http' };
    expect(cliEnvironment({ registry: 'consul', registryAddress: '127.0.0.1:8500' }, env)).toMatchObject({
      MICRO_REGISTRY: 'consul',
      MICRO_REGISTRY_ADDRESS: '127.0.0.1:8500',
      MICRO_BROKER: 'http',
    });
    expect(cliEnvironment({}, env)).toEqual(env);
  });
});
