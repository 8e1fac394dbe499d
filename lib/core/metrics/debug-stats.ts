/**
 * go-micro's `Debug.Stats` (debug/handler, debug/stats): a service's start time, uptime, memory,
 * threads, garbage-collection time and its count of requests and errors. Field names are those of
 * go-micro's `debug.StatsResponse` (uint64 in Go: numbers here; Go's protojson writes them as strings
 * and omits zeros, which `readStats` accepts).
 */
import { readdirSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

export const STATS_ENDPOINT = 'Debug.Stats';

export interface DebugStatsResponse {
  /** When this was read (Unix seconds). */
  timestamp: number;
  /** When the service started (Unix seconds). */
  started: number;
  /** Seconds since `started`. */
  uptime: number;
  /** Heap in use (bytes; go-micro: the Go heap's Alloc). */
  memory: number;
  /** OS threads of the process (go-micro: goroutines). */
  threads: number;
  /** Total garbage-collection pause time, in nanoseconds. */
  gc: number;
  /** Calls answered. */
  requests: number;
  /** Calls answered with an error. */
  errors: number;
}

/** The request and error counts of one service, and its start time. */
export class DebugStats {
  readonly started = Math.floor(Date.now() / 1000);
  requests = 0;
  errors = 0;

  constructor() {
    watchGc();
  }

  /** One call answered; `failed` when the answer was an error. */
  record(failed: boolean): void {
    this.requests++;
    if (failed) this.errors++;
  }

  snapshot(): DebugStatsResponse {
    const now = Math.floor(Date.now() / 1000);
    return {
      timestamp: now,
      started: this.started,
      uptime: now - this.started,
      memory: process.memoryUsage().heapUsed,
      threads: threadCount(),
      gc: Math.round(gcMs * 1e6),
      requests: this.requests,
      errors: this.errors,
    };
  }
}

/** A Debug.Stats reply as either side writes it (numbers, or protojson's uint64 strings; zeros left out). */
export function readStats(reply: unknown): DebugStatsResponse {
  const r = (reply ?? {}) as Record<string, unknown>;
  const n = (key: keyof DebugStatsResponse): number => {
    const v = Number(r[key] ?? 0);
    return Number.isFinite(v) ? v : 0;
  };
  return {
    timestamp: n('timestamp'),
    started: n('started'),
    uptime: n('uptime'),
    memory: n('memory'),
    threads: n('threads'),
    gc: n('gc'),
    requests: n('requests'),
    errors: n('errors'),
  };
}

let gcMs = 0;
let gcObserver: PerformanceObserver | undefined;

/** Sums GC pauses from the first DebugStats on (one observer per process). */
function watchGc(): void {
  if (gcObserver) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

function threadCount(): number {
  try {
    return readdirSync('/proc/self/task').length; // Linux
  } catch {
    return 1;
  }
}
