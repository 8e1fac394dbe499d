/**
 * The handler-duration histogram a nest-micro node adds to its Debug.Stats reply (`latency`): fixed
 * upper bounds in ms and, per bucket, how many calls fell in it since the process started (the last
 * bucket is +Inf). A reader (the dashboard) diffs two replies to get the calls of a window and reads
 * p50/p90/p99 from them. Recording is on the server's hot path: a short scan of the bounds and one
 * array increment, no allocation.
 */

/** Upper bounds of the buckets, ms (0.1 ms … 5 s); calls slower than the last land in +Inf. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
]);

/** As the Debug.Stats reply carries it: `counts[i]` calls took ≤ `bounds[i]` ms (and > `bounds[i-1]`). */
export interface LatencyHistogramJson {
  bounds: number[];
  /** One more than `bounds`: the last is the calls slower than every bound. Each grows monotonically. */
  counts: number[];
}

export class LatencyHistogram {
  private readonly counts: Float64Array;

  constructor(private readonly bounds: readonly number[] = LATENCY_BOUNDS_MS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** One call that took `ms` milliseconds (a NaN or negative duration counts in the first bucket). */
  record(ms: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && ms > bounds[i]!) i++;
    this.counts[i]!++;
  }

  toJSON(): LatencyHistogramJson {
    return { bounds: [...this.bounds], counts: Array.from(this.counts) };
  }
}

/**
 * The value at quantile `q` (0–1) of the calls counted between two readings of a histogram (`before`
 * may be undefined: since the start), as the upper bound of the bucket it falls in; `undefined`
 * when no call fell in between, `Infinity` when it lies past the last bound.
 */
export function histogramQuantile(
  after: LatencyHistogramJson,
  before: LatencyHistogramJson | undefined,
  q: number,
): number | undefined {
  const window = after.counts.map((c, i) => c - (before?.counts[i] ?? 0));
  const total = window.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < window.length; i++) {
    seen += window[i]!;
    if (seen >= rank && window[i]! > 0) return after.bounds[i] ?? Infinity;
  }
  return Infinity;
}
