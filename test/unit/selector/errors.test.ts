import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Node, Registry, Service } from '../../../lib/core/registry/registry.js';
import { RegistrySelector, roundRobin, type StatefulStrategy } from '../../../lib/core/selector/index.js';
import { node, service, StubRegistry } from './stub-registry.js';

const registry = () => new StubRegistry({ greeter: [service('v1', [node('a'), node('b')])] });

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<MicroError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(MicroError);
    return error as MicroError;
  }
  throw new Error('expected a failure');
}

const throwing = () => {
  throw new Error('bad strategy');
};
describe('selector failures are typed MicroErrors', () => {
  it('an unknown service is a 404', async () => {
    const error = await failure(new RegistrySelector({ registry: registry() }).select('nobody'));
    expect(error.code).toBe(404);
  });

  it('an empty service name is a 400', async () => {
    expect((await failure(new RegistrySelector({ registry: registry() }).select(''))).code).toBe(400);
  });

  it('a failing registry lookup is a 503 naming the registry', async () => {
    const broken = registry();
    broken.getService = async () => {
      throw new Error('ECONNREFUSED 127.0.0.1:8500');
    };
    const error = await failure(new RegistrySelector({ registry: broken }).select('greeter'));
    expect(error.code).toBe(503);
    expect(error.detail).toContain('registry stub');
    expect(error.detail).toContain('ECONNREFUSED');
  });

  it('a registry that returns malformed entries still yields its valid nodes', async () => {
    const odd = registry();
    odd.services.greeter = [
      { name: 'greeter', version: 'v0' } as unknown as Service,
      service('v1', [null as unknown as Node, { id: 'x' } as Node, node('ok')]),
    ];
    const next = await new RegistrySelector({ registry: odd }).select('greeter');
    expect(next().id).toBe('ok');
    odd.services.greeter = [service('v1', [{ id: 'x' } as Node])];
    expect((await failure(new RegistrySelector({ registry: odd }).select('greeter'))).code).toBe(503);
    const notAList = { ...odd, name: 'odd', getService: async () => null } as unknown as Registry;
    expect((await failure(new RegistrySelector({ registry: notAList }).select('greeter'))).code).toBe(404);
  });

  it('a filter that throws or returns garbage is a 500', async () => {
    const selector = new RegistrySelector({ registry: registry() });
    const thrown = await failure(
      selector.select('greeter', {
        filters: [
          () => {
            throw new TypeError('boom');
          },
        ],
      }),
    );
    expect(thrown).toMatchObject({ code: 500 });
    expect(thrown.detail).toContain('boom');
    const garbage = await failure(selector.select('greeter', { filters: [() => undefined as never] }));
    expect(garbage.code).toBe(500);
  });

  it('a strategy that throws or yields no node is a 500; its own MicroErrors pass through', async () => {
    const selector = new RegistrySelector({ registry: registry() });
    expect((await failure(selector.select('greeter', { strategy: throwing }))).code).toBe(500);
    const noNext = await failure(selector.select('greeter', { strategy: () => 42 as never }));
    expect(noNext.code).toBe(500);
    const next = await selector.select('greeter', { strategy: () => () => undefined as never });
    expect((await failure(next)).code).toBe(500);
    const teapot = new MicroError('x', 'no', 418);
    const picky: StatefulStrategy = {
      name: 'picky',
      pick() {
        throw teapot;
      },
    };
    expect(await failure(await selector.select('greeter', { strategy: picky }))).toBe(teapot);
  });

  it('invalid health options are a 400 at construction', () => {
    for (const bad of [{ cooldown: 0 }, { maxCooldown: -1 }, { failureThreshold: Number.NaN }]) {
      expect(() => new RegistrySelector({ registry: registry(), ...bad })).toThrow(MicroError);
    }
  });

  it('mark() ignores what it cannot use and never throws', async () => {
    const selector = new RegistrySelector({ registry: registry(), strategy: roundRobin });
    const junk: unknown[] = [undefined, null, 'x', 42, {}, { address: 7 }];
    for (const n of junk) expect(() => selector.mark('greeter', n as Node, new Error('x'))).not.toThrow();
    for (const e of ['text', 42, { code: 'E' }, Symbol('s')])
      expect(() => selector.mark('greeter', node('a'), e, { duration: Number.NaN })).not.toThrow();
    expect(() => selector.mark(undefined as never, node('a'), null, { duration: -5 })).not.toThrow();
    expect(() => selector.mark('unknown', node('q'), null)).not.toThrow();
    // the odd errors above counted as failures against a (4 > threshold): a is ejected
    const next = await selector.select('greeter');
    expect([next().id, next().id]).toEqual(['b', 'b']);
  });
});
