/**
 * `npm run bench:startup`: what one small service costs, measured from outside on the built
 * package. Compiles the project (`tsc -p tsconfig.build.json`, unless --no-build), then for every
 * round starts each fixture of bench/startup/ — compiled JS run by plain `node`, no TypeScript
 * loader — in rotated order, one at a time:
 * - nest-micro: one @Handler, MicroModule on its defaults (mDNS on 127.0.0.1, default transport,
 *   HTTP broker);
 * - Nest 12's TCP microservice with one @MessagePattern;
 * - a Moleculer node on its TCP transporter with one action.
 * Reported per fixture, median and min–max over the rounds: spawn → READY (printed once listening
 * and, for nest-micro, registered), the CPU time the process had used by then (user + system from
 * /proc/<pid>/stat, 10 ms steps: what a busy machine inflates least), and the resident set (VmRSS of
 * /proc/<pid>/status) after an idle pause. Then the issue's goals: nest-micro within 10% of Nest's RSS and within 100 ms of its start.
 * `--baseline <dir>` adds the nest-micro fixture of another built checkout (its
 * dist/bench/startup/), e.g. the commit before a change, measured in the same rounds.
 *
 *   npm run bench:startup -- --rounds 10 --idle 2500 [--json] [--no-build] [--baseline <dir>]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { cpuSeconds } from './cpu.js';
import { repoRoot } from './paths.js';
import { freePort, startServer } from './processes.js';
import { spread, type Spread } from './report.js';

// the checkout, built or not (dist/bench/startup.bench.js runs from dist/: paths.ts finds the root)
const root = `${repoRoot}/`;

export interface StartupFixture {
  id: string;
  label: string;
  /** Compiled script under dist/bench/startup/. */
  script: string;
  /** The checkout whose dist/ holds it (default this one). */
  root?: string;
}

export const STARTUP_FIXTURES: StartupFixture[] = [
  {
    id: 'nest-micro',
    label: 'nest-micro (one @Handler, MicroModule defaults)',
    script: 'nest-micro.service.js',
  },
  // the bench's own Nest TCP peer: the same one-@MessagePattern service
  { id: 'nest-tcp', label: 'Nest 12 TCP microservice', script: '../peers/nest-tcp.server.js' },
  { id: 'moleculer', label: 'Moleculer, TCP transporter', script: 'moleculer.service.js' },
];

export interface StartupSummary {
  id: string;
  label: string;
  startMs: Spread;
  cpuMs: Spread;
  rssMiB: Spread;
}

export interface StartupResult {
  node: string;
  cpuModel: string;
  cpus: number;
  rounds: number;
  idleMs: number;
  fixtures: StartupSummary[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A difference in ms with its sign. */
const signed = (ms: number): string => `${ms >= 0 ? '+' : ''}${Math.round(ms)} ms`;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}

/** One start of one fixture: spawn → READY and the CPU used by then in ms, then RSS in MiB after `idleMs`. */
async function startOnce(
  fixture: StartupFixture,
  tag: string,
  idleMs: number,
): Promise<{ ms: number; cpu: number; mib: number }> {
  const port = String(await freePort());
  const env = {
    STARTUP_PORT: port,
    BENCH_PORT: port, // the bench peers' name for it
    STARTUP_SERVICE: tag,
    MICRO_REGISTRY_ADDRESS: '127.0.0.1',
  };
  const script = join(fixture.root ?? root, 'dist/bench/startup', fixture.script);
  const t0 = performance.now();
  const server = await startServer({ command: process.execPath, args: [script] }, env);
  const ms = performance.now() - t0;
  const cpu = (cpuSeconds(server.pid) ?? NaN) * 1000;
  try {
    await sleep(idleMs);
    return { ms, cpu, mib: rssMiB(server.pid) };
  } finally {
    await server.stop();
  }
}

export async function measureStartup(options: {
  rounds: number;
  idleMs: number;
  fixtures?: StartupFixture[];
  log?: (line: string) => void;
}): Promise<StartupResult> {
  const fixtures = options.fixtures ?? STARTUP_FIXTURES;
  const runTag = Math.random().toString(36).slice(2, 8);
  const samples = fixtures.map(() => ({ ms: [] as number[], cpu: [] as number[], mib: [] as number[] }));
  for (let round = 0; round < options.rounds; round++) {
    const line: string[] = [];
    for (let i = 0; i < fixtures.length; i++) {
      const index = (i + round) % fixtures.length;
      const fixture = fixtures[index]!;
      const { ms, cpu, mib } = await startOnce(fixture, `st-${runTag}-${round}-${index}`, options.idleMs);
      samples[index]!.ms.push(ms);
      samples[index]!.cpu.push(cpu);
      samples[index]!.mib.push(mib);
      line.push(`${fixture.id} ${Math.round(ms)} ms (CPU ${Math.round(cpu)} ms) ${mib.toFixed(1)} MiB`);
    }
    options.log?.(`round ${round + 1}/${options.rounds}: ${line.join(', ')}`);
  }
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    cpus: cpus().length,
    rounds: options.rounds,
    idleMs: options.idleMs,
    fixtures: fixtures.map((f, i) => ({
      id: f.id,
      label: f.label,
      startMs: spread(samples[i]!.ms),
      cpuMs: spread(samples[i]!.cpu),
      rssMiB: spread(samples[i]!.mib),
    })),
  };
}

const range = (s: Spread, digits: number): string =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** The Markdown table and the goals, as `npm run bench` and `bench:startup` print them. */
export function startupReport(result: StartupResult): string {
  const lines = [
    `| service | spawn → listening, ms | CPU used by then, ms | RSS after ${result.idleMs / 1000} s idle, MiB |`,
    '|---|---:|---:|---:|',
    ...result.fixtures.map(
      (f) => `| ${f.label} | ${range(f.startMs, 0)} | ${range(f.cpuMs, 0)} | ${range(f.rssMiB, 1)} |`,
    ),
  ];
  const micro = result.fixtures.find((f) => f.id === 'nest-micro');
  const nest = result.fixtures.find((f) => f.id === 'nest-tcp');
  if (micro && nest) {
    const rss = micro.rssMiB.median / nest.rssMiB.median;
    const start = micro.startMs.median - nest.startMs.median;
    const cpu = micro.cpuMs.median - nest.cpuMs.median;
    lines.push(
      '',
      `goal RSS ≤ 1.10 × Nest TCP: ${rss.toFixed(2)} × — ${rss <= 1.1 ? 'met' : 'MISSED'}`,
      `goal start ≤ Nest TCP + 100 ms: ${signed(start)} — ${start <= 100 ? 'met' : 'MISSED'} (CPU used by then: ${signed(cpu)})`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const program = new Command()
    .option('--rounds <n>', 'starts per fixture, interleaved', process.env.BENCH_STARTUP_ROUNDS ?? '10')
    .option('--idle <ms>', 'idle pause before reading RSS', '2500')
    .option('--no-build', 'use dist/ as it is')
    .option('--json', 'print a RESULT line (for npm run bench)')
    .option('--baseline <dir>', "also start this built checkout's nest-micro fixture");
  program.parse();
  const o = program.opts<{
    rounds: string;
    idle: string;
    build: boolean;
    json?: boolean;
    baseline?: string;
  }>();
  if (o.build)
    execFileSync(process.execPath, [
      `${root}node_modules/typescript/bin/tsc`,
      '-p',
      `${root}tsconfig.build.json`,
    ]);
  const baseline: StartupFixture = {
    ...STARTUP_FIXTURES[0]!,
    id: 'baseline',
    label: `nest-micro at ${o.baseline}`,
    root: o.baseline,
  };
  const result = await measureStartup({
    fixtures: o.baseline ? [...STARTUP_FIXTURES, baseline] : STARTUP_FIXTURES,
    rounds: Math.max(1, Number(o.rounds)),
    idleMs: Number(o.idle),
    log: o.json ? undefined : (line) => console.log(line),
  });
  if (o.json) console.log(`RESULT ${JSON.stringify(result)}`);
  else {
    console.log(`\n${result.cpus} × ${result.cpuModel}, node ${result.node}, ${result.rounds} rounds\n`);
    console.log(startupReport(result));
  }
}
