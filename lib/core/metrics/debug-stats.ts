/**
 * go-micro's `Debug.Stats` (debug/handler, debug/stats): a service's start time, uptime, memory,
 * threads, garbage-collection time and its count of requests and errors. Field names are those of
 * go-micro's `debug.StatsResponse` (uint64 in Go: numbers here; Go's protojson writes them as strings
 * and omits zeros, which `readStats` accepts). nest-micro nodes add two optional fields Go peers
 * ignore: `latency` (a histogram of handler durations, latency-histogram.ts) and `chaos` (this
 * process's ejected nodes and open breakers, chaos.ts).
 */
import { readdirSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { chaosSnapshot, type ChaosSnapshot } from './chaos.js';
import { LatencyHistogram, type LatencyHistogramJson } from './latency-histogram.js';

export const STATS_ENDPOINT = 'Debug.Stats';
/** go-micro's health check: `{"status":"ok"}` from a serving node. */
export const HEALTH_ENDPOINT = 'Debug.Health';

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
  /** nest-micro nodes: handler durations since the start (Go nodes leave it out). */
  latency?: LatencyHistogramJson;
  /** nest-micro nodes: the ejected nodes and open breakers of the process's clients. */
  chaos?: ChaosSnapshot;
}

/** The request and error counts of one service, and its start time. */
export class DebugStats {
  readonly started = Math.floor(Date.now() / 1000);
  requests = 0;
  errors = 0;
  readonly latency = new LatencyHistogram();

  constructor() {
    watchGc();
  }

  /** One call answered; `failed` when the answer was an error; `ms` how long it took, when measured. */
  record(failed: boolean, ms?: number): void {
    this.requests++;
    if (failed) this.errors++;
    if (ms !== undefined) this.latency.record(ms);
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
      latency: this.latency.toJSON(),
      chaos: chaosSnapshot(),
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
    ...extras(r),
  };
}

/** The optional nest-micro fields, when the reply has them in a usable shape. */
function extras(r: Record<string, unknown>): Pick<DebugStatsResponse, 'latency' | 'chaos'> {
  const out: Pick<DebugStatsResponse, 'latency' | 'chaos'> = {};
  const latency = r.latency as Partial<LatencyHistogramJson> | undefined;
  if (Array.isArray(latency?.bounds) && Array.isArray(latency.counts))
    out.latency = { bounds: latency.bounds.map(Number), counts: latency.counts.map(Number) };
  const chaos = r.chaos as Partial<ChaosSnapshot> | undefined;
  if (chaos && typeof chaos === 'object')
    out.chaos = {
      ejected: Array.isArray(chaos.ejected) ? chaos.ejected : [],
      breakers: Array.isArray(chaos.breakers) ? chaos.breakers : [],
    };
  return out;
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
