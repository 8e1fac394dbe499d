/**
 * The closed-loop load generator every bench client runs: `concurrency` workers, each sending the
 * next request as soon as its previous one is answered; a warm-up, then a measured window in which
 * completions are counted and latencies recorded in Node's HDR histogram (perf_hooks). A failed
 * call counts as an error and the worker carries on after yielding to the event loop (the first
 * error's text is kept).
 *
 * `runClient(call)` is the main of a client process: it reads its job from the environment
 * (BENCH_LEVELS, BENCH_WARMUP_MS, BENCH_DURATION_MS), runs each level and prints one
 * `RESULT {json}` line per level for the harness (bench/run.ts).
 */
import { createHistogram } from 'node:perf_hooks';

export type Call = () => Promise<unknown>;

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface LevelResult {
  concurrency: number;
  /** Completed calls in the measured window. */
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  rps: number;
  /** Latencies in µs. */
  p50: number;
  p99: number;
  max: number;
  /** The measured window, epoch ms (the harness reads the server's CPU over it). */
  windowStart?: number;
  windowEnd?: number;
  /** Cores the client process used over the window (CPU seconds / wall seconds). */
  clientCpu?: number;
  /** Cores the server process used over the window (filled in by the harness). */
  serverCpu?: number;
}

export async function runLoad(call: Call, options: LoadOptions): Promise<LevelResult> {
  const histogram = createHistogram();
  let measuring = false;
  const state = { stopped: false };
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;

  const worker = async (): Promise<void> => {
    while (!state.stopped) {
      const start = performance.now();
      let failed = false;
      try {
        await call();
      } catch (error) {
        failed = true;
        if (measuring) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
      if (measuring && !state.stopped && !failed) {
        requests++;
        histogram.record(Math.max(1, Math.round((performance.now() - start) * 1000)));
      }
      // a call that fails at once must not starve the timers that end the run
      if (failed) await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const workers = Array.from({ length: options.concurrency }, worker);
  await sleep(options.warmupMs);
  measuring = true;
  const started = performance.now();
  const windowStart = Date.now();
  const cpu = process.cpuUsage();
  await sleep(options.durationMs);
  state.stopped = true;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const windowEnd = Date.now();
  measuring = false;
  await Promise.all(workers);
  return {
    concurrency: options.concurrency,
    requests,
    errors,
    firstError,
    seconds,
    rps: requests / seconds,
    p50: requests ? histogram.percentile(50) : 0,
    p99: requests ? histogram.percentile(99) : 0,
    max: requests ? histogram.max : 0,
    windowStart,
    windowEnd,
    clientCpu: (used.user + used.system) / 1e6 / seconds,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The job a client process was started for (set by the harness). */
export function clientJob(env: NodeJS.ProcessEnv = process.env): {
  levels: number[];
  warmupMs: number;
  durationMs: number;
  target: string;
} {
  return {
    levels: (env.BENCH_LEVELS ?? '1,16,128')
      .split(',')
      .map(Number)
      .filter((n) => n > 0),
    warmupMs: Number(env.BENCH_WARMUP_MS ?? 2_000),
    durationMs: Number(env.BENCH_DURATION_MS ?? 10_000),
    target: env.BENCH_TARGET ?? '',
  };
}

/**
 * Runs every level of the job against `call`, checking first that one call answers `expect`.
 * Prints `RESULT {json}` per level, then `DONE`.
 */
export async function runClient(call: Call, check: (reply: unknown) => boolean): Promise<void> {
  const job = clientJob();
  const first = await call();
  if (!check(first)) throw new Error(`unexpected reply ${JSON.stringify(first)}`);
  for (const concurrency of job.levels) {
    const result = await runLoad(call, { concurrency, warmupMs: job.warmupMs, durationMs: job.durationMs });
    console.log(`RESULT ${JSON.stringify(result)}`);
  }
  console.log('DONE');
}

/**
 * Calls until one answers, for clients that discover the service (mDNS answers within a few hundred
 * ms of the service's announcement); the last error after `withinMs`.
 */
export async function untilAnswered(call: Call, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await call();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

/** The echo every peer serves: {"name":"John"} → {"msg":"Hello John"}. */
export const REQUEST = { name: 'John' };
export const isHello = (reply: unknown): boolean =>
  typeof reply === 'object' && reply !== null && (reply as { msg?: unknown }).msg === 'Hello John';
