// The Debug.Stats latency histogram: which bucket a duration lands in, its JSON, and the windowed
// quantiles a reader (the dashboard) computes from two readings.
import { describe, expect, it } from 'vitest';
import {
  histogramQuantile,
  LATENCY_BOUNDS_MS,
  LatencyHistogram,
} from '../../../lib/core/metrics/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('counts each duration in the first bucket whose bound it does not pass, +Inf last', () => {
    const h = new LatencyHistogram([1, 10, 100]);
    for (const ms of [0, 0.5, 1, 1.01, 10, 99, 100, 101, 5000, Number.NaN, -1]) h.record(ms);
    expect(h.toJSON()).toEqual({ bounds: [1, 10, 100], counts: [5, 2, 2, 2] });
  });

  it('uses fixed bounds from 0.1 ms to 5 s by default, one count more than bounds', () => {
    const json = new LatencyHistogram().toJSON();
    expect(json.bounds).toEqual([...LATENCY_BOUNDS_MS]);
    expect(json.bounds[0]).toBe(0.1);
    expect(json.bounds.at(-1)).toBe(5000);
    expect(json.counts).toEqual(Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, () => 0));
  });

  it('gives windowed quantiles from the difference of two readings', () => {
    const h = new LatencyHistogram([1, 10, 100]);
    for (let i = 0; i < 100; i++) h.record(50); // before the window
    const before = h.toJSON();
    for (let i = 0; i < 90; i++) h.record(0.5);
    for (let i = 0; i < 9; i++) h.record(5);
    h.record(1000);
    const after = h.toJSON();
    expect(histogramQuantile(after, before, 0.5)).toBe(1);
    expect(histogramQuantile(after, before, 0.9)).toBe(1);
    expect(histogramQuantile(after, before, 0.95)).toBe(10);
    expect(histogramQuantile(after, before, 0.999)).toBe(Infinity);
    expect(histogramQuantile(after, undefined, 0.9)).toBe(100);
    expect(histogramQuantile(after, after, 0.5)).toBeUndefined();
  });
});
