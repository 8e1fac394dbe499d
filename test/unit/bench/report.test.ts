/** The bench harness's figures: medians with min–max over rounds, tables, and the goals as ratios. */
import { describe, expect, it } from 'vitest';
import type { LevelResult } from '../../../bench/load.js';
import { checkGoals, spread, summarize, throughputTable } from '../../../bench/report.js';

const level = (concurrency: number, rps: number, p50 = 100, p99 = 1_000, errors = 0): LevelResult => ({
  concurrency,
  requests: rps * 10,
  errors,
  seconds: 10,
  rps,
  p50,
  p99,
  max: p99 * 2,
});

describe('bench report', () => {
  it('spread is the median with min and max (even and odd counts)', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(spread([]).median).toBeNaN();
  });

  it('summarises rounds per peer and concurrency, counting errors', () => {
    const summary = summarize({ a: [level(1, 10), level(1, 30, 100, 1_000, 2), level(1, 20)] });
    expect(summary.a![1]).toMatchObject({ rps: { median: 20, min: 10, max: 30 }, rounds: 3, errors: 2 });
    expect(throughputTable(summary, { a: 'peer A' }, [1, 16])).toContain('| peer A | 20 (10–30) | — |');
  });

  it('checks the goals as ratios of medians in one run', () => {
    const summary = summarize({
      'nest-micro-tcp': [level(1, 100, 30), level(128, 160, 900, 2_000)],
      'nest-micro-tcp-send': [level(128, 150)],
      'nest-tcp': [level(1, 100, 30), level(128, 100, 1_000, 3_000)],
      'moleculer-tcp': [level(128, 130, 1_000, 1_500)],
      'nest-micro-http': [level(16, 89)],
      'raw-http': [level(16, 100)],
    });
    const goals = Object.fromEntries(checkGoals(summary, 1.5).map((g) => [g.goal, g.met]));
    expect(goals).toEqual({
      'fast transport c=128 ≥ 1.5× Nest TCP': true,
      'fast transport c=128 ≥ 1.3× Moleculer TCP': false,
      'fast transport c=128 p99 below Nest TCP': true,
      'fast transport c=128 p99 below Moleculer': false,
      'fast transport c=1 p50 no worse than Nest TCP': true,
      'Nest send() c=128 ≥ 1.5× Nest TCP': true,
      'Nest send() c=128 ≥ 1.3× Moleculer TCP': false,
      'HTTP transport c=16 ≥ 0.9× raw node:http': false,
      'selector + codec < 2 µs': true,
    });
  });

  it('reports goals of peers not run as not run', () => {
    const goals = checkGoals(summarize({}));
    expect(goals.every((g) => g.met === null && g.value === 'not run')).toBe(true);
  });
});
