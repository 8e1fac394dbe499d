/**
 * Memory under hostile clients: a nest-micro service (bench/memory/service.ts: a Nest microservice
 * with MicroModule, a unary @Handler, a large-reply one and a server stream) runs as a child process
 * on the `http` transport (go-micro's wire) and on the framed `tcp` transport; this process opens
 * hostile connections to it on raw sockets (test/support/hostile-clients.ts), in batches:
 * - connections that send nothing; connections idle on keep-alive after one call;
 * - slow readers that open a server stream, or pipeline requests for large unary replies, and never
 *   read (socket paused: the kernel's buffers fill, then the server's writes back up);
 * - clients that send a request's header (HTTP: headers with a Content-Length; framed: a frame
 *   header) and never the body, and read nothing either; the child runs with short timeouts so the
 *   server closes them within the run (headersTimeout 2 s, requestTimeout 4 s, serverIdleTimeout 3 s).
 * Each case gets a fresh child. Reported: the server's RSS (/proc/<pid>/status VmRSS; peak: VmHWM
 * since the baseline) and V8 heap used, at the baseline (after a GC), at the peak, and after the
 * clients went away (after a GC); good calls (a MicroClient by address) during and after. Prints a
 * Markdown table. Run: npm run bench:memory [-- --idle 10000 --slow 200 --big-clients 50
 * --pipelined 16 --half 2000 --transports http,tcp]
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startMemoryService, type MemoryService, type ServiceOptions } from './memory/child.js';
import {
  connectionsDownTo,
  goodCaller,
  sample,
  snapshot,
  stable,
  type Memory,
  type Probe,
} from './memory/measure.js';
import {
  destroyAll,
  headerOnly,
  idle,
  keptAlive,
  openMany,
  slowReader,
  type Hostile,
  type Wire,
} from '../test/support/hostile-clients.js';

const { values: args } = parseArgs({
  options: {
    idle: { type: 'string', default: '10000' },
    slow: { type: 'string', default: '200' },
    half: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '250' },
    'feed-size': { type: 'string', default: '16384' },
    'big-clients': { type: 'string', default: '50' },
    'big-size': { type: 'string', default: String(1024 * 1024) },
    pipelined: { type: 'string', default: '16' },
    transports: { type: 'string', default: 'http,tcp' },
  },
});
const IDLE = Number(args.idle);
const SLOW = Number(args.slow);
const HALF = Number(args.half);
const BATCH = Number(args.batch);
const FEED = Number(args['feed-size']);
const BIG_CLIENTS = Number(args['big-clients']);
const BIG = Number(args['big-size']);
const PIPELINED = Number(args.pipelined);
const SHORT = { headersTimeout: 2_000, requestTimeout: 4_000, idleTimeout: 3_000 };

interface Scenario {
  name: string;
  clients: number;
  options?: Partial<ServiceOptions>;
  open(address: string, wire: Wire): Promise<Hostile>;
  /** Waits for the server to settle under the clients; returns a note for the table. */
  settle(service: MemoryService, wire: Wire): Promise<string>;
  /** Who ends the connections: this process, or the server's timeouts (measured). */
  gone: 'client' | 'server';
}

const n = (x: number): string => x.toLocaleString('en-US');
const connections = async (s: MemoryService): Promise<number> => (await s.stats()).connections;

const scenarios: Scenario[] = [
  {
    name: `${n(IDLE)} connections that send nothing`,
    clients: IDLE,
    open: (address) => idle(address),
    settle: async (s) => `${n(await stable(() => connections(s), 5_000))} open at the peak`,
    gone: 'server',
  },
  {
    name: `${n(IDLE)} connections idle on keep-alive after one call`,
    clients: IDLE,
    open: (address, wire) => keptAlive(address, wire),
    settle: async (s) => `${n(await stable(() => connections(s), 5_000))} open at the peak`,
    gone: 'client',
  },
  {
    name: `${n(SLOW)} slow readers of a server stream (${n(FEED)} B messages)`,
    clients: SLOW,
    open: async (address, wire) => paused(await slowReader(address, wire, 'feed', FEED)),
    settle: async (s) => {
      await stable(async () => (await s.stats()).produced, 20_000);
      const { produced, feeds } = await s.stats();
      return `producers stopped at ${n(Math.round((produced * FEED) / 1024 / Math.max(1, feeds)))} KiB per stream`;
    },
    gone: 'client',
  },
  {
    name: `${n(BIG_CLIENTS)} slow readers of ${PIPELINED} pipelined ${n(BIG / 1024)} KiB replies each`,
    clients: BIG_CLIENTS,
    open: async (address, wire) => paused(await slowReader(address, wire, 'big', BIG, PIPELINED)),
    settle: async (s) => {
      const made = await stable(async () => (await s.stats()).bigReplies, 20_000);
      return `${n(made)} of ${n(BIG_CLIENTS * PIPELINED)} replies made`;
    },
    gone: 'client',
  },
  {
    name: `${n(HALF)} clients that send a header and never the body`,
    clients: HALF,
    options: SHORT,
    open: async (address, wire) => paused(await headerOnly(address, wire)),
    settle: async (s) => `${n(await stable(() => connections(s), 3_000, 2))} open at the peak`,
    gone: 'server',
  },
];

function paused(client: Hostile): Hostile {
  client.socket.pause();
  return client;
}

interface Row {
  wire: Wire;
  scenario: string;
  base: Memory;
  peak: Memory;
  after: Memory;
  during: Probe;
  afterCalls: Probe;
  note: string;
}

async function run(wire: Wire, scenario: Scenario): Promise<Row> {
  const service = await startMemoryService({ transport: wire, ...scenario.options });
  const caller = await goodCaller(wire);
  let clients: Hostile[] = [];
  try {
    await caller.probe(service.address, 20);
    const own = await connections(service); // the good caller's
    const base = await snapshot(service, true);
    service.resetPeak();
    const sampler = sample(service);
    const opened = performance.now();
    clients = await openMany(scenario.clients, BATCH, () => scenario.open(service.address, wire));
    const openMs = performance.now() - opened;
    let note = await scenario.settle(service, wire);
    const during = await caller.probe(service.address, 20);
    note += `; opened in ${(openMs / 1000).toFixed(1)} s`;
    if (scenario.gone === 'server') {
      const took = await connectionsDownTo(service, own, 60_000);
      const since = (performance.now() - opened) / 1000;
      note +=
        took === undefined
          ? '; NOT closed by the server within 60 s'
          : `; the server closed them all ${since.toFixed(1)} s after the first opened`;
    }
    await destroyAll(clients);
    await connectionsDownTo(service, own, 30_000);
    const afterCalls = await caller.probe(service.address, 20);
    await new Promise((r) => setTimeout(r, 500));
    const after = await snapshot(service, true);
    const sampled = sampler.stop();
    const peak = { rss: Math.max(base.rss, sampled.rss), heap: Math.max(base.heap, sampled.heap) };
    return { wire, scenario: scenario.name, base, peak, after, during, afterCalls, note };
  } finally {
    for (const c of clients) c.socket.destroy();
    await caller.close();
    await service.stop();
  }
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const calls = (p: Probe): string => `${p.ok}/${p.total} (${p.maxMs.toFixed(0)} ms)`;

async function main(): Promise<void> {
  const wires = args.transports.split(',') as Wire[];
  const rows: Row[] = [];
  const started = performance.now();
  // a first child transpiles whatever changed since the last run, so no measured child loads TypeScript
  await (await startMemoryService({ transport: 'tcp' })).stop();
  for (const wire of wires) {
    for (const scenario of scenarios) {
      const row = await run(wire, scenario);
      rows.push(row);
      console.error(`${wire}: ${row.scenario}: ${row.note}`);
    }
  }
  const cpu = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  console.log(
    `\nServer memory under hostile clients (${cpu}, Node ${process.version}, loopback, ${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  console.log(
    '| transport | hostile clients | server RSS MiB: base / peak / after | heap MiB: base / peak / after | good calls during / after (slowest) | notes |',
  );
  console.log('|---|---|---:|---:|---|---|');
  for (const r of rows) {
    const rss = `${mib(r.base.rss)} / ${mib(r.peak.rss)} / ${mib(r.after.rss)}`;
    const heap = `${mib(r.base.heap)} / ${mib(r.peak.heap)} / ${mib(r.after.heap)}`;
    console.log(
      `| ${r.wire} | ${r.scenario} | ${rss} | ${heap} | ${calls(r.during)} / ${calls(r.afterCalls)} | ${r.note} |`,
    );
  }
}

await main();
process.exit(0);
