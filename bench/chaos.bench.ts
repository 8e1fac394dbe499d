/**
 * Chaos benchmark (`npm run bench:chaos`): what callers see when nodes die, stall, fail or are
 * overloaded, on mDNS (127.0.0.1) and on a Consul agent this run starts, and what a Redis queue
 * group loses across a Redis restart. Every fault scenario runs three fresh node processes
 * (bench/chaos/node.ts) under 64 concurrent calls from an injected MicroClient (bench/chaos/client.ts
 * says which call options, and why); the figures are defined in bench/chaos/timeline.ts. Prints
 * Markdown tables and writes the raw figures to bench/results/chaos-<time>.json.
 * Run: npm run bench:chaos [-- --registries mdns,consul --scenarios kill,stall,... --no-overload
 *      --no-redis --concurrency 64 --observe 8000]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { consulAvailability, startConsul, type ConsulAgent } from '../test/support/consul.js';
import { CLIENT_OPTIONS } from './chaos/client.js';
import type { RegistryChoice } from './chaos/fleet.js';
import { measureCapacity, runOverload, type OverloadFigures } from './chaos/overload.js';
import { runRedisQueue, type QueueFigures } from './chaos/redis-queue.js';
import { runScenario, SCENARIOS } from './chaos/scenarios.js';
import type { Figures } from './chaos/timeline.js';

const { values: args } = parseArgs({
  options: {
    registries: { type: 'string', default: 'mdns,consul' },
    scenarios: { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
    concurrency: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '2000' },
    baseline: { type: 'string', default: '4000' },
    observe: { type: 'string', default: '8000' },
    overload: { type: 'boolean', default: true },
    // the caller's options for the fault scenarios; `--client-defaults` uses MicroModule's defaults
    'client-defaults': { type: 'boolean', default: false },
    'overload-ms': { type: 'string', default: '10000' },
    redis: { type: 'boolean', default: true },
    'redis-events': { type: 'string', default: '5000' },
  },
  allowNegative: true,
});

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';
const kinds = (k: Record<string, number>): string =>
  Object.entries(k)
    .map(([kind, n]) => `${n} × ${kind}`)
    .join('; ') || '—';

const rotation = (f: Figures): string => {
  if (Number.isNaN(f.leftRotationMs)) return '—';
  if (f.faultMs > 0 && f.leftRotationMs >= f.faultMs - 100) return 'stayed in';
  return `${fmt(f.leftRotationMs)} ms`;
};

const results: {
  machine: { cpu: string; cores: number; node: string };
  faults: Array<{ scenario: string; registry: string; figures: Figures }>;
  overload: Array<OverloadFigures & { registry: string }>;
  redis?: QueueFigures;
} = {
  machine: { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, node: process.version },
  faults: [],
  overload: [],
};
console.log(
  `# chaos benchmark — ${results.machine.cpu} × ${results.machine.cores}, Node ${process.version}\n`,
);

const wanted = new Set(args.registries.split(','));
const chosen = new Set(args.scenarios.split(','));
let consul: ConsulAgent | undefined;
if (wanted.has('consul')) {
  if (consulAvailability.skip) throw new Error(consulAvailability.reason);
  consul = await startConsul();
}
const registries: RegistryChoice[] = [];
if (wanted.has('mdns')) registries.push({ kind: 'mdns', address: '127.0.0.1' });
if (consul) registries.push({ kind: 'consul', address: consul.address });

const run = {
  concurrency: Number(args.concurrency),
  warmupMs: Number(args.warmup),
  baselineMs: Number(args.baseline),
  observeMs: Number(args.observe),
  clientOptions: args['client-defaults'] ? {} : CLIENT_OPTIONS,
};
try {
  for (const scenario of SCENARIOS) {
    if (!chosen.has(scenario.name)) continue;
    for (const registry of registries) {
      if (!scenario.registries.includes(registry.kind)) continue;
      const figures = await runScenario(scenario, registry, run, consul);
      results.faults.push({ scenario: scenario.name, registry: registry.kind, figures });
      console.error(`${scenario.name} on ${registry.kind}: ${JSON.stringify(figures)}`);
    }
  }
  if (args.overload) {
    const options = { durationMs: Number(args['overload-ms']), pool: 2, workMs: 5, factor: 4 };
    for (const registry of registries) {
      const capacity = await measureCapacity(registry, options);
      for (const shedding of ['on', 'off'] as const) {
        const figures = await runOverload(registry, shedding, capacity, options);
        results.overload.push({ ...figures, registry: registry.kind });
        console.error(`overload ${shedding} on ${registry.kind}: ${JSON.stringify(figures)}`);
      }
    }
  }
  if (args.redis) {
    results.redis = await runRedisQueue(Number(args['redis-events']));
    console.error(`redis queue: ${JSON.stringify(results.redis)}`);
  }
} finally {
  await consul?.close();
}

if (results.faults.length) {
  const options = args['client-defaults'] ? 'MicroModule defaults' : 'retries 2, 1 s per attempt';
  console.log(`## Faults: 3 nodes, ${run.concurrency} concurrent calls (${options})\n`);
  console.log(
    '| fault | registry | calls | caller-visible errors | baseline req/s | baseline p99 | p99 during fault | max | left rotation | faulty node share | recovered after |',
  );
  console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const { scenario, registry, figures: f } of results.faults) {
    const label = SCENARIOS.find((s) => s.name === scenario)!.label;
    console.log(
      `| ${label} | ${registry} | ${fmt(f.calls)} | ${f.errors ? `${f.errors}: ${kinds(f.errorKinds)}` : '0'} | ${fmt(f.baselineRps)} | ${fmt(f.baselineP99, 1)} ms | ${fmt(f.faultP99, 1)} ms | ${fmt(f.faultMax)} ms | ${rotation(f)} | ${Number.isNaN(f.faultyShare) ? '—' : `${fmt(f.faultyShare * 100, 1)}%`} | ${Number.isNaN(f.recoveryMs) ? 'not within the run' : `${fmt(f.recoveryMs)} ms`} |`,
    );
  }
}
if (results.overload.length) {
  console.log('\n## Overload: 4× capacity, open loop (retries 1)\n');
  console.log(
    '| registry | shedding | capacity | offered | unloaded p99 | succeeded | goodput | p99 of successes | × unloaded | max | refused / failed |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const o of results.overload) {
    const unloaded = results.overload.find(
      (x) => x.registry === o.registry && x.shedding === 'on',
    )!.unloadedP99;
    console.log(
      `| ${o.registry} | ${o.shedding} | ${fmt(o.capacityRps)}/s | ${fmt(o.offeredRps)}/s | ${fmt(o.unloadedP99, 1)} ms | ${fmt(o.succeeded)} of ${fmt(o.calls)} | ${fmt(o.goodputRps)}/s | ${fmt(o.p99, 1)} ms | ${fmt(o.p99 / unloaded, 1)}× | ${fmt(o.max)} ms | ${kinds(o.errorKinds)} |`,
    );
  }
}
if (results.redis) {
  const r = results.redis;
  console.log('\n## Redis queue group (3 members) across a Redis SIGKILL + restart, AOF fsync always\n');
  console.log(
    '| published | accepted | refused | refused yet delivered | delivered | duplicates | lost | Redis down | publishing took | all delivered after |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${fmt(r.published)} | ${fmt(r.accepted)} | ${fmt(r.refused)} | ${fmt(r.refusedButDelivered)} | ${fmt(r.delivered)} | ${fmt(r.duplicates)} | **${fmt(r.lost)}** | ${fmt(r.downMs)} ms | ${fmt(r.publishMs)} ms | ${fmt(r.drainMs)} ms |`,
  );
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nraw figures: ${file}`);
process.exit(0);
