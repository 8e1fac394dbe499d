// The arithmetic behind the service page's charts, with no imports (unit-tested in Node): windowed
// rates and latency percentiles from two polls of api/stats (each node's cumulative Debug.Stats
// counters and latency histogram, diffed per node and summed).

/**
 * The q-quantile (0..1) of a histogram window: `counts[i]` observations at most `bounds[i]` ms (and
 * above the previous bound), the last count above every bound. Linear within a bucket; null when empty.
 */
export function percentile(bounds, counts, q) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0 && seen + counts[i] >= target) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : bounds[i - 1];
      return lower + (bounds[i] - lower) * ((target - seen) / counts[i]);
    }
    seen += counts[i];
  }
  return bounds[bounds.length - 1] ?? null;
}

/** The window between two api/stats answers: calls/s, errors/s and p50/p90/p99 (ms or null). */
export function windowOf(prev, next) {
  const seconds = (next.at - prev.at) / 1000;
  if (!(seconds > 0)) return null;
  const before = new Map(prev.nodes.filter((n) => n.stats).map((n) => [n.id, n.stats]));
  let requests = 0;
  let errors = 0;
  let bounds;
  let buckets;
  for (const node of next.nodes) {
    const now = node.stats;
    const then = before.get(node.id);
    if (!now || !then) continue;
    const dr = now.requests - then.requests;
    const de = now.errors - then.errors;
    if (dr < 0 || de < 0) continue; // the node restarted: its counters began again
    requests += dr;
    errors += de;
    const a = then.latency;
    const b = now.latency;
    if (!a || !b || a.counts.length !== b.counts.length) continue;
    if (bounds && bounds.join() !== b.bounds.join()) continue;
    const delta = b.counts.map((c, i) => c - a.counts[i]);
    if (delta.some((d) => d < 0)) continue;
    bounds ??= b.bounds;
    buckets = buckets ? buckets.map((c, i) => c + delta[i]) : delta;
  }
  const q = (p) => (bounds ? percentile(bounds, buckets, p) : null);
  return {
    at: next.at / 1000,
    rate: requests / seconds,
    errorRate: errors / seconds,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
  };
}
