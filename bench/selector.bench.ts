/**
 * Selector micro-benchmark: µs per select()+next()+mark() for each built-in strategy, against an
 * in-memory registry stand-in that returns the same arrays on every lookup (as a registry cache
 * does), for one service of 3 nodes and for 1,000 services × 10 nodes.
 * Figures are the best of 3 rounds of 100,000 calls.
 * Run: node --import ./scripts/register-ts.mjs bench/selector.bench.ts
 */
import type { Node, Registry, Service } from 'nest-micro/registry';
import { RegistrySelector, strategies, type Strategy, type StrategyFunction } from 'nest-micro/selector';
import { benchService } from './services.js';

class CachedRegistry implements Registry {
  readonly name = 'bench';
  private readonly byName = new Map<string, Service[]>();
  constructor(services: Service[]) {
    for (const s of services) this.byName.set(s.name, [s]);
  }
  async register(): Promise<void> {}
  async deregister(): Promise<void> {}
  async getService(name: string): Promise<Service[]> {
    return this.byName.get(name) ?? [];
  }
  async listServices(): Promise<Service[]> {
    return [...this.byName.values()].flat();
  }
  watch() {
    return { stop() {} };
  }
}

async function measure(selector: RegistrySelector, names: string[], strategy: Strategy, iterations: number) {
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const name = names[i % names.length]!;
      const next = await selector.select(name, { strategy });
      const node: Node = next();
      selector.mark(name, node, null, { duration: 1 });
    }
  };
  await run(Math.min(20_000, iterations)); // warm-up
  let best = Infinity; // best of 3: the machine is shared, the minimum is the least disturbed run
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    await run(iterations);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1_000 / iterations);
  }
  return best;
}

const goMicroRandom: StrategyFunction = (services) => {
  const nodes = services[0]!.nodes;
  return () => nodes[Math.floor(Math.random() * nodes.length)]!;
};
const all: Array<[string, Strategy]> = [
  ...Object.entries(strategies),
  ['function (go-micro form)', goMicroRandom],
];

const small = new CachedRegistry([benchService('greeter', 3)]);
const bigNames = Array.from({ length: 1_000 }, (_, i) => `svc-${i}`);
const big = new CachedRegistry(bigNames.map((n) => benchService(n, 10)));

async function lookupOnly(registry: Registry, names: string[], iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await registry.getService(names[i % names.length]!);
  return Number(process.hrtime.bigint() - start) / 1_000 / iterations;
}

console.log('µs per select()+next()+mark()   1 service × 3 nodes   1,000 services × 10 nodes');
const baseline = [await lookupOnly(small, ['greeter'], 100_000), await lookupOnly(big, bigNames, 100_000)];
console.log(
  `${'(registry lookup alone)'.padEnd(32)} ${baseline.map((b) => b.toFixed(3).padStart(8)).join('              ')}`,
);
for (const [name, strategy] of all) {
  const one = await measure(new RegistrySelector({ registry: small }), ['greeter'], strategy, 100_000);
  const many = await measure(new RegistrySelector({ registry: big }), bigNames, strategy, 100_000);
  console.log(`${name.padEnd(32)} ${one.toFixed(3).padStart(8)}              ${many.toFixed(3).padStart(8)}`);
}
