// The dashboard's chart arithmetic (lib/web/assets/windows.js, a browser module with no imports):
// rates and latency percentiles from two polls of api/stats.
import { describe, expect, it } from 'vitest';

interface Poll {
  at: number;
  nodes: Array<{
    id: string;
    stats?: { requests: number; errors: number; latency?: { bounds: number[]; counts: number[] } };
  }>;
}
interface Windows {
  percentile(bounds: number[], counts: number[], q: number): number | null;
  windowOf(
    prev: Poll,
    next: Poll,
  ): {
    at: number;
    rate: number;
    errorRate: number;
    p50: number | null;
    p90: number | null;
    p99: number | null;
  } | null;
}

// a path TypeScript does not resolve: the module is plain browser JavaScript without declarations
const path = '../../../lib/web/assets/windows.js';
const { percentile, windowOf } = (await import(path)) as Windows;

const latency = (counts: number[]) => ({ bounds: [1, 5, 10], counts });

describe('dashboard chart windows', () => {
  it('interpolates a percentile inside its bucket and caps the overflow bucket at the last bound', () => {
    const bounds = [1, 5, 10];
    expect(percentile(bounds, [0, 10, 0, 0], 0.5)).toBe(3); // half of the (1, 5] bucket
    expect(percentile(bounds, [10, 0, 0, 0], 0.5)).toBe(0.5);
    expect(percentile(bounds, [0, 0, 0, 4], 0.99)).toBe(10);
    expect(percentile(bounds, [0, 0, 0, 0], 0.5)).toBeNull();
  });

  it('diffs two polls: rates per second summed over nodes, histograms merged by bucket', () => {
    const prev: Poll = {
      at: 10_000,
      nodes: [
        { id: 'a', stats: { requests: 100, errors: 1, latency: latency([50, 50, 0, 0]) } },
        { id: 'b', stats: { requests: 10, errors: 0, latency: latency([10, 0, 0, 0]) } },
      ],
    };
    const next: Poll = {
      at: 12_000,
      nodes: [
        { id: 'a', stats: { requests: 120, errors: 3, latency: latency([50, 60, 0, 0]) } },
        { id: 'b', stats: { requests: 20, errors: 0, latency: latency([10, 0, 10, 0]) } },
        { id: 'c', stats: { requests: 999, errors: 9 } }, // new node: no window yet
      ],
    };
    const w = windowOf(prev, next)!;
    expect(w.at).toBe(12);
    expect(w.rate).toBe(15); // (20 + 10) / 2 s
    expect(w.errorRate).toBe(1);
    expect(w.p50).toBe(5); // 10 in (1,5], 10 in (5,10]: the median is the top of (1,5]
    expect(w.p99).toBeCloseTo(9.9);
  });

  it('skips a node whose counters went back (it restarted) and says n/a without histograms', () => {
    const prev: Poll = { at: 0, nodes: [{ id: 'a', stats: { requests: 50, errors: 5 } }] };
    const next: Poll = { at: 1_000, nodes: [{ id: 'a', stats: { requests: 3, errors: 0 } }] };
    expect(windowOf(prev, next)).toMatchObject({ rate: 0, errorRate: 0, p50: null, p90: null, p99: null });
    expect(windowOf(next, next)).toBeNull();
  });
});
