import { describe, expect, it } from 'vitest';
import {
  ewma,
  leastConn,
  random,
  RegistrySelector,
  roundRobin,
  type StatefulStrategy,
  type Strategy,
  type StrategyFunction,
} from '../../../lib/core/selector/index.js';
import type { Node } from '../../../lib/core/registry/registry.js';
import { manualClock, node, service, StubRegistry, tally } from './stub-registry.js';

const twoNodes = () => new StubRegistry({ greeter: [service('v1', [node('fast'), node('slow')])] });
const onlyFirst: StrategyFunction = (services) => () => services[0]!.nodes[0]!;
const three = () => new StubRegistry({ greeter: [service('v1', [node('a'), node('b'), node('c')])] });

async function selectMany(selector: RegistrySelector, n: number, strategy?: Strategy): Promise<Node[]> {
  const picked: Node[] = [];
  for (let i = 0; i < n; i++) {
    const next = await selector.select('greeter', strategy ? { strategy } : {});
    const chosen = next();
    picked.push(chosen);
    selector.mark('greeter', chosen, null);
  }
  return picked;
}

describe('roundRobin', () => {
  it('spreads 3,000 separate select() calls exactly 1,000 per node (rotation persists)', async () => {
    const selector = new RegistrySelector({ registry: three(), strategy: roundRobin });
    expect(tally(await selectMany(selector, 3000))).toEqual({ a: 1000, b: 1000, c: 1000 });
  });

  it('spreads 3,000 next() calls within one select() exactly 1,000 per node', async () => {
    const selector = new RegistrySelector({ registry: three(), strategy: roundRobin });
    const next = await selector.select('greeter');
    const picked = Array.from({ length: 3000 }, () => next());
    expect(tally(picked)).toEqual({ a: 1000, b: 1000, c: 1000 });
  });

  it('keeps a separate rotation per service and per selector', async () => {
    const registry = new StubRegistry({
      greeter: [service('v1', [node('a'), node('b'), node('c')])],
      other: [service('v1', [node('x'), node('y')], [], 'other')],
    });
    const selector = new RegistrySelector({ registry, strategy: roundRobin });
    const picked: Node[] = [];
    for (let i = 0; i < 300; i++) {
      picked.push((await selector.select('greeter'))());
      picked.push((await selector.select('other'))());
    }
    expect(tally(picked)).toEqual({ a: 100, b: 100, c: 100, x: 150, y: 150 });
  });
});

describe('random', () => {
  it('is the default and stays within sensible bounds over 3,000 calls', async () => {
    const selector = new RegistrySelector({ registry: three() });
    const counts = tally(await selectMany(selector, 3000));
    expect(Object.keys(counts).toSorted()).toEqual(['a', 'b', 'c']);
    for (const c of Object.values(counts)) expect(Math.abs(c - 1000)).toBeLessThan(200);
  });

  it('can be chosen per call over a selector default', async () => {
    const selector = new RegistrySelector({ registry: three(), strategy: roundRobin });
    const counts = tally(await selectMany(selector, 300, random));
    expect(Object.keys(counts).length).toBe(3);
  });
});

describe('leastConn', () => {
  it('hands out nodes evenly while calls are in flight', async () => {
    const selector = new RegistrySelector({ registry: three(), strategy: leastConn });
    const held: Node[] = [];
    for (let i = 0; i < 30; i++) held.push((await selector.select('greeter'))());
    expect(tally(held)).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('avoids a node whose calls do not come back', async () => {
    const selector = new RegistrySelector({ registry: three(), strategy: leastConn });
    const picked: Node[] = [];
    for (let i = 0; i < 300; i++) {
      const chosen = (await selector.select('greeter'))();
      picked.push(chosen);
      if (chosen.id !== 'a') selector.mark('greeter', chosen, null); // a's calls hang
    }
    expect(tally(picked).a).toBe(1);
  });

  it('shares idle nodes within sensible bounds', async () => {
    const selector = new RegistrySelector({ registry: three(), strategy: leastConn });
    const counts = tally(await selectMany(selector, 3000));
    for (const c of Object.values(counts)) expect(Math.abs(c - 1000)).toBeLessThan(200);
  });
});

describe('ewma (peak EWMA, power of two choices)', () => {
  const durations: Record<string, number> = { fast: 5, slow: 50 };

  async function run(selector: RegistrySelector, clock: ReturnType<typeof manualClock>, calls: number) {
    const picked: Node[] = [];
    for (let i = 0; i < calls; i++) {
      const chosen = (await selector.select('greeter'))();
      picked.push(chosen);
      clock.advance(durations[chosen.id]!);
      selector.mark('greeter', chosen, null, { duration: durations[chosen.id]! });
    }
    return tally(picked);
  }

  it('sends nearly everything to the fast node', async () => {
    const clock = manualClock();
    const selector = new RegistrySelector({ registry: twoNodes(), strategy: ewma, clock: clock.now });
    const counts = await run(selector, clock, 1000);
    expect(counts.fast).toBeGreaterThanOrEqual(990);
  });

  it('tries an idle slow node again once its estimate has decayed', async () => {
    const clock = manualClock();
    const selector = new RegistrySelector({
      registry: twoNodes(),
      strategy: ewma,
      clock: clock.now,
      latencyDecay: 1_000,
    });
    const counts = await run(selector, clock, 2000); // 10 s of simulated traffic
    expect(counts.slow).toBeGreaterThanOrEqual(2);
    expect(counts.slow).toBeLessThan(100);
  });

  it('prefers the slow node when the fast one is saturated with calls in flight', async () => {
    const clock = manualClock();
    const selector = new RegistrySelector({ registry: twoNodes(), strategy: ewma, clock: clock.now });
    selector.mark('greeter', node('fast'), null, { duration: 5 });
    selector.mark('greeter', node('slow'), null, { duration: 50 });
    expect((await selector.select('greeter'))().id).toBe('fast');
    for (let i = 0; i < 20; i++) (await selector.select('greeter', { strategy: onlyFirst }))();
    // 21 calls now outstanding on the fast node: cost 5 × 22 > 50 × 1
    expect((await selector.select('greeter'))().id).toBe('slow');
  });
});

describe('user-supplied strategies', () => {
  it('a go-micro style function keeps working', async () => {
    const selector = new RegistrySelector({ registry: three() });
    const next = await selector.select('greeter', { strategy: onlyFirst });
    expect(next().id).toBe('a');
  });

  it('a stateful object gets per-service state that survives calls', async () => {
    const counter: StatefulStrategy<{ calls: number }> = {
      name: 'counter',
      init: () => ({ calls: 0 }),
      pick(nodes, ctx) {
        return nodes[ctx.state.calls++ % nodes.length]!;
      },
    };
    const selector = new RegistrySelector({ registry: three(), strategy: counter });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await selector.select('greeter'))().id);
    expect(ids).toEqual(['a', 'b', 'c', 'a']);
  });
});
