/** The closed-loop load generator: counts only the measured window, keeps errors apart, stops its workers. */
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../bench/load.js';

describe('bench load generator', () => {
  it('keeps `concurrency` calls in flight and reports completions, latencies and errors', async () => {
    let inFlight = 0;
    let peak = 0;
    let n = 0;
    const call = async (): Promise<string> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (++n % 10 === 0) throw new Error('every tenth fails');
      return 'ok';
    };
    const result = await runLoad(call, { concurrency: 4, warmupMs: 20, durationMs: 100 });
    expect(peak).toBe(4);
    expect(inFlight).toBe(0); // every worker has stopped
    expect(result.requests).toBeGreaterThan(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.firstError).toBe('every tenth fails');
    expect(result.rps).toBeCloseTo(result.requests / result.seconds);
    expect(result.p50).toBeGreaterThan(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
  });

  it('reports zero latencies when nothing completes', async () => {
    const result = await runLoad(() => Promise.reject(new Error('down')), {
      concurrency: 1,
      warmupMs: 0,
      durationMs: 20,
    });
    expect(result).toMatchObject({ requests: 0, p50: 0, p99: 0, firstError: 'down' });
  });
});
