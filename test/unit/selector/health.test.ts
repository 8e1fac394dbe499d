import { describe, expect, it } from 'vitest';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { nodeGone } from '../../../lib/core/errors/node-gone.js';
import type { Node } from '../../../lib/core/registry/registry.js';
import {
  ewma,
  leastConn,
  random,
  RegistrySelector,
  roundRobin,
  type SelectorOptions,
  type Strategy,
  type StrategyFunction,
} from '../../../lib/core/selector/index.js';
import { manualClock, node, service, StubRegistry, tally } from './stub-registry.js';

const A = node('a');
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const unavailable = () => MicroError.unavailable('go.micro.client', 'connection reset');
const timeout = () => MicroError.timeout('go.micro.client', 'attempt timed out');

function setup(options: Partial<SelectorOptions> = {}) {
  const clock = manualClock();
  const registry = new StubRegistry({ greeter: [service('v1', [node('a'), node('b'), node('c')])] });
  const selector = new RegistrySelector({ registry, strategy: roundRobin, clock: clock.now, ...options });
  /** `n` calls, each marked a success; returns how often each node was picked. */
  const calls = async (n: number, strategy?: Strategy) => {
    const picked: Node[] = [];
    for (let i = 0; i < n; i++) {
      const chosen = (await selector.select('greeter', strategy ? { strategy } : {}))();
      picked.push(chosen);
      selector.mark('greeter', chosen, null);
    }
    return tally(picked);
  };
  const fail = (times: number, error: () => unknown = refused) => {
    for (let i = 0; i < times; i++) selector.mark('greeter', A, error());
  };
  return { clock, registry, selector, calls, fail };
}

const randomFunction: StrategyFunction = (services) => {
  const nodes = services.flatMap((s) => s.nodes);
  return () => nodes[Math.floor(Math.random() * nodes.length)]!;
};
describe('node health from mark()', () => {
  it('ejects a node after consecutive transport failures or timeouts', async () => {
    const { selector, calls } = setup();
    selector.mark('greeter', A, refused());
    selector.mark('greeter', A, unavailable());
    selector.mark('greeter', A, timeout());
    expect((await calls(300)).a).toBeUndefined();
  });

  it('ejects a node its transport reports gone (NATS "no responders") at the first failure', async () => {
    const { selector, calls } = setup();
    selector.mark('greeter', A, nodeGone('go.micro.transport.nats', 'nothing listens on _INBOX.a'));
    expect((await calls(300)).a).toBeUndefined();
  });

  it('keeps a node below the failure threshold', async () => {
    const { calls, fail } = setup();
    fail(2);
    expect((await calls(300)).a).toBe(100);
  });

  it('does not count application errors against a node, and they break a failure streak', async () => {
    const { selector, calls, fail } = setup();
    for (const code of [400, 404, 409, 500, 502])
      selector.mark('greeter', A, new MicroError('x', 'app', code));
    fail(2);
    selector.mark('greeter', A, MicroError.internalServerError('greeter', 'handler threw'));
    fail(2);
    expect((await calls(300)).a).toBe(100);
  });

  it('treats a caller abort as neutral: it only releases the in-flight count', async () => {
    const { selector, calls } = setup({ strategy: leastConn });
    for (let i = 0; i < 5; i++) {
      const abort = new Error('aborted');
      abort.name = 'AbortError';
      selector.mark('greeter', A, abort);
    }
    expect((await calls(300)).a).toBeGreaterThan(50);
  });

  it('tries an ejected node again after the cooldown with a single half-open probe', async () => {
    const { clock, selector, calls, fail } = setup({ cooldown: 1_000 });
    fail(3);
    clock.advance(999);
    expect((await calls(30)).a).toBeUndefined();
    clock.advance(1);
    // the probe goes out once and is not marked yet: no second probe meanwhile
    const picked: Node[] = [];
    for (let i = 0; i < 30; i++) {
      const chosen = (await selector.select('greeter'))();
      picked.push(chosen);
      if (chosen.id !== 'a') selector.mark('greeter', chosen, null);
    }
    expect(tally(picked).a).toBe(1);
    selector.mark('greeter', A, null); // the probe succeeded: fully back
    expect((await calls(300)).a).toBe(100);
  });

  it('doubles the cooldown after a failed probe, up to the cap', async () => {
    const { clock, selector, calls, fail } = setup({ cooldown: 1_000, maxCooldown: 3_000 });
    fail(3);
    const probeFails = async () => {
      const picked: Node[] = [];
      for (let i = 0; i < 3; i++) {
        const chosen = (await selector.select('greeter'))();
        picked.push(chosen);
        selector.mark('greeter', chosen, chosen.id === 'a' ? refused() : null);
      }
      expect(tally(picked).a).toBe(1);
    };
    clock.advance(1_000);
    await probeFails(); // ejection 2: 2 s
    clock.advance(1_999);
    expect((await calls(30)).a).toBeUndefined();
    clock.advance(1);
    await probeFails(); // ejection 3: 4 s, capped to 3 s
    clock.advance(2_999);
    expect((await calls(30)).a).toBeUndefined();
    clock.advance(1);
    expect((await calls(3)).a).toBe(1);
  });

  it('does not lengthen an ejection for failures of calls that started before it', async () => {
    const { clock, calls, fail } = setup({ cooldown: 1_000 });
    fail(20);
    clock.advance(1_000);
    expect((await calls(3)).a).toBe(1);
  });

  it('a success resets the failure count', async () => {
    const { selector, calls, fail } = setup();
    fail(2);
    selector.mark('greeter', A, null);
    fail(2);
    expect((await calls(300)).a).toBe(100);
  });

  it('tries every node anyway when all are ejected', async () => {
    const { selector } = setup();
    for (const id of ['a', 'b', 'c'])
      for (let i = 0; i < 3; i++) selector.mark('greeter', node(id), refused());
    const next = await selector.select('greeter');
    const ids = [next().id, next().id, next().id];
    expect(ids.toSorted()).toEqual(['a', 'b', 'c']);
    selector.mark('greeter', A, null);
    const again = await selector.select('greeter');
    expect([again(), again(), again()].map((n) => n.id)).toEqual(['a', 'a', 'a']);
  });

  it('reset(service) forgets ejections', async () => {
    const { selector, calls, fail } = setup();
    fail(3);
    selector.reset('greeter');
    expect((await calls(300)).a).toBe(100);
  });
});

describe('node state bookkeeping', () => {
  it('forgets nodes that left the registry, so a returning node starts fresh', async () => {
    const { clock, registry, calls, fail } = setup({ cooldown: 60_000 });
    fail(3);
    const full = registry.services.greeter!;
    registry.services.greeter = [service('v1', [node('b'), node('c')])];
    clock.advance(10_000);
    await calls(1); // sees the smaller node list and drops a's state
    registry.services.greeter = full;
    expect((await calls(300)).a).toBe(100);
  });
});

describe('retries within one call', () => {
  const all: Array<[string, Strategy]> = [
    ['random', random],
    ['roundRobin', roundRobin],
    ['leastConn', leastConn],
    ['ewma', ewma],
    ['a plain function', randomFunction],
  ];

  it.each(all)(
    '%s: next() yields a different node on each attempt while one is left',
    async (_, strategy) => {
      const { selector } = setup({ strategy });
      for (let call = 0; call < 50; call++) {
        const next = await selector.select('greeter');
        const attempts = [next(), next(), next()];
        expect(new Set(attempts.map((n) => n.id)).size).toBe(3);
        for (const n of attempts) selector.mark('greeter', n, null);
      }
    },
  );

  it.each(all)('%s: retries skip an ejected node', async (_, strategy) => {
    const { selector, fail } = setup({ strategy });
    fail(3);
    for (let call = 0; call < 50; call++) {
      const next = await selector.select('greeter');
      const attempts = [next(), next(), next(), next()];
      expect(attempts.map((n) => n.id)).not.toContain('a');
      expect(new Set(attempts.slice(0, 2).map((n) => n.id)).size).toBe(2);
      for (const n of attempts) selector.mark('greeter', n, null);
    }
  });
});
