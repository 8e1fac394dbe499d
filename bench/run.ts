/**
 * `npm run bench`: the speed harness of issue 5. It runs built (`npm run build`, then
 * dist/bench/run.js): every Node peer process runs compiled JavaScript, as users run the package
 * (under the TypeScript loader, `node --import ./scripts/register-ts.mjs bench/run.ts`, its peers run
 * from source). For every round, every peer in rotated order: a
 * free port, its server process (waits for READY), then its client process, which runs the
 * closed-loop load at each concurrency (warm-up, measured window) and prints RESULT lines; both
 * processes are stopped by pid before the next peer starts. Then the micro-benchmarks (selector +
 * codec per call, select() over 1,000 × 10) and the start-up time and idle memory of a small
 * service (bench/startup.bench.ts, 5 rounds; `--no-startup` skips it). Prints the tables (median
 * and min–max over the rounds) and the goals, and writes everything to bench/results/bench-<time>.json.
 *
 *   npm run bench -- --warmup 2 --duration 10 --rounds 3 --levels 1,16,128 --peers nest-micro-tcp,nest-tcp
 * Environment: BENCH_WARMUP, BENCH_DURATION (s), BENCH_ROUNDS, BENCH_LEVELS, BENCH_PEERS.
 * `--cpu-prof <peer>` writes .cpuprofile files of that peer's processes to bench/results/profiles.
 * `npm run bench:tracing` runs only the tracing rows (OpenTelemetry API without SDK, SDK
 * with a batch processor) beside the plain nest-micro-tcp row, at c=1 and c=128.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Command } from 'commander';
import type { LevelResult } from './load.js';
import type { MicroResult } from './micro.bench.js';
import { startupReport, type StartupResult } from './startup.bench.js';
import { sampleCpu } from './cpu.js';
import { benchScript, repoRoot } from './paths.js';
import { GO_ENV, PEERS, type Peer } from './peers.js';
import { freePort, runNode, startServer, type Target } from './processes.js';
import { checkGoals, cpuTable, goalsTable, latencyTable, summarize, throughputTable } from './report.js';

const root = repoRoot + '/';
const env = process.env;
const program = new Command()
  .option('--warmup <seconds>', 'warm-up per level', env.BENCH_WARMUP ?? '2')
  .option('--duration <seconds>', 'measured window per level', env.BENCH_DURATION ?? '10')
  .option('--rounds <n>', 'rounds, interleaved across peers', env.BENCH_ROUNDS ?? '3')
  .option('--levels <list>', 'concurrency levels', env.BENCH_LEVELS ?? '1,16,128')
  .option('--peers <list>', `peers (${PEERS.map((p) => p.id).join(',')})`, env.BENCH_PEERS ?? '')
  .option('--no-micro', 'skip the micro-benchmarks')
  .option('--no-startup', 'skip the start-up and idle memory of a small service')
  .option('--cpu-prof <peer>', 'profile this peer (server and client)')
  .option('--out <file>', 'JSON output file');
program.parse();
const o = program.opts<{
  warmup: string;
  duration: string;
  rounds: string;
  levels: string;
  peers: string;
  micro: boolean;
  startup: boolean;
  cpuProf?: string;
  out?: string;
}>();

const warmupMs = Math.round(Number(o.warmup) * 1000);
const durationMs = Math.round(Number(o.duration) * 1000);
const rounds = Math.max(1, Number(o.rounds));
const levels = o.levels
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const wanted = o.peers ? o.peers.split(',') : PEERS.filter((p) => !p.optIn).map((p) => p.id);
const peers = PEERS.filter((p) => wanted.includes(p.id));
const unknown = wanted.filter((id) => !PEERS.some((p) => p.id === id));
if (unknown.length) throw new Error(`unknown peers: ${unknown.join(', ')}`);
const profileDir = `${root}bench/results/profiles`;
const results: Record<string, LevelResult[]> = Object.fromEntries(peers.map((p) => [p.id, []]));
const failures: Array<{ peer: string; round: number; error: string }> = [];
const runTag = Math.random().toString(36).slice(2, 8);

/** The go-micro peer's binary, built (or found cached) when a Go peer is in the run. */
let goPeer: string | undefined;
if (peers.some((p) => p.server.startsWith('go:') || p.client.startsWith('go:'))) {
  const { buildGoPeer } = await import('../test/interop/support/go-peer.js');
  process.stdout.write('building the go-micro peer (test/interop/go) … ');
  goPeer = await buildGoPeer();
  console.log('done');
}

/** The nats-server of the NATS peers, started once when one is in the run (stopped before exit). */
const nats = peers.some((p) => p.nats)
  ? await (await import('../test/support/nats.js')).startNats({ jetstream: false })
  : undefined;

function target(script: string, port: string): Target {
  if (script === 'go:serve') return { command: goPeer!, args: ['serve', '--name', 'go.greeter'] };
  if (script === 'go:bench') return { command: goPeer!, args: ['bench', '--address', `127.0.0.1:${port}`] };
  return benchScript(`peers/${script}`);
}

async function runPeer(peer: Peer, round: number): Promise<void> {
  const ports = { BENCH_PORT: String(await freePort()), BENCH_PORT2: String(await freePort()) };
  const common = {
    ...ports,
    MICRO_REGISTRY_ADDRESS: '127.0.0.1',
    // short: an mDNS label holds the node id "<service>-<uuid>" in 63 bytes
    BENCH_SERVICE: `bench-${runTag}-${round}-${PEERS.indexOf(peer)}`,
    ...GO_ENV,
    ...peer.env,
    ...(peer.nats && nats ? { MICRO_TRANSPORT_ADDRESS: nats.address } : {}),
  };
  const nodeArgs =
    o.cpuProf === peer.id ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${peer.id}-r${round}`] : [];
  // the server's address for the go-micro server alone: a go-micro client configured with the same
  // server address takes calls to it for its own (never started) server and they hang
  const serverEnv = { ...common, MICRO_SERVER_ADDRESS: `127.0.0.1:${ports.BENCH_PORT}` };
  const server = await startServer(target(peer.server, ports.BENCH_PORT), serverEnv, nodeArgs);
  const serverCpu = sampleCpu(server.pid);
  try {
    const budget = levels.length * (warmupMs + durationMs) + 60_000;
    const out = await runNode(
      target(peer.client, ports.BENCH_PORT),
      {
        ...common,
        BENCH_LEVELS: levels.join(','),
        BENCH_WARMUP_MS: String(warmupMs),
        BENCH_DURATION_MS: String(durationMs),
      },
      nodeArgs,
      budget,
    );
    for (const line of out.split('\n')) {
      if (!line.startsWith('RESULT ')) continue;
      const result = JSON.parse(line.slice(7)) as LevelResult;
      if (result.windowStart && result.windowEnd)
        result.serverCpu = serverCpu.coresBetween(result.windowStart, result.windowEnd);
      results[peer.id]!.push(result);
    }
  } finally {
    serverCpu.stop();
    await server.stop();
  }
}

console.log(
  `bench: ${peers.length} peers × ${rounds} rounds × c=${levels.join('/')}, ` +
    `${warmupMs / 1000}s warm-up + ${durationMs / 1000}s window; node ${process.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
);
for (let round = 0; round < rounds; round++) {
  const order = peers.map((_, i) => peers[(i + round) % peers.length]!);
  for (const peer of order) {
    process.stdout.write(`round ${round + 1}/${rounds} ${peer.id} … `);
    try {
      await runPeer(peer, round);
      const mine = results[peer.id]!.slice(-levels.length);
      console.log(mine.map((r) => `c=${r.concurrency} ${Math.round(r.rps)}/s`).join('  '));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ peer: peer.id, round, error: message });
      console.log(`FAILED: ${message}`);
    }
  }
}

const f = (n: number): string => n.toFixed(2);
let micro: MicroResult | undefined;
if (o.micro) {
  const out = await runNode(benchScript('micro.bench'), {}, [], 300_000, ['--json']);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (line) micro = JSON.parse(line.slice(7)) as MicroResult;
}
let startup: StartupResult | undefined;
if (o.startup) {
  // a failure here must not lose the peers' results measured above: reported, not thrown
  try {
    const out = await runNode(benchScript('startup.bench'), {}, [], 600_000, [
      '--json',
      '--rounds',
      '5',
      '--no-build', // npm run bench has just built dist/
    ]);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (line) startup = JSON.parse(line.slice(7)) as StartupResult;
  } catch (error) {
    console.error(`the start-up bench failed: ${String(error)}`);
  }
}

const summary = summarize(results);
const labels = Object.fromEntries(PEERS.map((p) => [p.id, p.label]));
const goals = checkGoals(summary, micro?.selectorCodecJson);
console.log(`\nRequests/s, median over ${rounds} rounds (min–max):\n`);
console.log(throughputTable(summary, labels, levels));
console.log(`\nLatency, median over ${rounds} rounds:\n`);
console.log(latencyTable(summary, labels, levels));
console.log(`\nCPU, cores used over the window (median over ${rounds} rounds):\n`);
console.log(cpuTable(summary, labels, levels));
if (micro) {
  console.log('\nMicro-benchmarks (best of 5 rounds of 100,000 calls), µs per call:\n');
  console.log(
    `| selector + JSON codec | selector + protobuf codec | select() alone | JSON codec alone | select() 1,000 services × 10 nodes |`,
  );
  console.log('|---:|---:|---:|---:|---:|');
  console.log(
    `| ${f(micro.selectorCodecJson)} | ${f(micro.selectorCodecProtobuf)} | ${f(micro.selectOnly)} | ${f(micro.codecJson)} | ${f(micro.select1000x10)} |`,
  );
}
if (startup) {
  console.log(
    `\nStart-up and idle memory of a small service, median over ${startup.rounds} starts (min–max):\n`,
  );
  console.log(startupReport(startup));
}
console.log('\nGoals (ratios of medians in this run):\n');
console.log(goalsTable(goals));
if (failures.length) console.log(`\n${failures.length} failed runs:`, failures);

const file = o.out ?? `${root}bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      options: { warmupMs, durationMs, rounds, levels, peers: peers.map((p) => p.id) },
      summary,
      micro,
      startup,
      goals,
      failures,
      rounds: results,
    },
    null,
    2,
  ),
);
console.log(`\nwritten: ${file}`);
await nats?.dispose();
process.exit(failures.length ? 1 : 0);
