/**
 * Load for the chaos benchmark, recorded into a Timeline: a closed loop (N callers, each calling
 * again as soon as it has its answer — "64 concurrent calls") and an open loop (calls started at a
 * fixed rate whatever happens to earlier ones, the way independent users overload a service).
 */
import { MicroError } from 'nest-micro';
import type { Timeline } from './timeline.js';

export type Call = () => Promise<unknown>;

function describe(error: unknown): string {
  return error instanceof MicroError ? `${error.code} ${error.id}` : String(error);
}

async function recorded(timeline: Timeline, call: Call): Promise<void> {
  const record: { start: number; end: number; error?: string } = { start: performance.now(), end: 0 };
  try {
    await call();
  } catch (error) {
    record.error = describe(error);
  }
  record.end = performance.now();
  timeline.calls.push(record);
}

/** `concurrency` callers until `stop()`; resolves once every caller has its last answer. */
export function closedLoop(
  timeline: Timeline,
  call: Call,
  concurrency: number,
): { stop: () => Promise<void> } {
  const stopped = new AbortController(); // ends every worker's loop
  const worker = async (): Promise<void> => {
    while (!stopped.signal.aborted) {
      const before = timeline.calls.length;
      await recorded(timeline, call);
      // an error answered at once must not starve the event loop
      if (timeline.calls[before]?.error) await new Promise((r) => setImmediate(r));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    stop: async () => {
      stopped.abort();
      await Promise.all(workers);
    },
  };
}

/** Starts `rate` calls a second (in 5 ms ticks) for `durationMs`; resolves once all have answered. */
export async function openLoop(
  timeline: Timeline,
  call: Call,
  rate: number,
  durationMs: number,
): Promise<void> {
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.floor((Math.min(elapsed, durationMs) * rate) / 1000);
      for (; sent < due; sent++) pending.push(recorded(timeline, call));
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await Promise.all(pending);
}
