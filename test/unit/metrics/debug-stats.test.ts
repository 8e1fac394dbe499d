// Debug.Stats: the counts a service keeps, the snapshot in go-micro's field names, and reading either
// side's reply (numbers from nest-micro, protojson's uint64 strings with zeros left out from go-micro).
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DebugStats, readStats } from '../../../lib/core/metrics/index.js';
import { renderStats } from '../../../lib/cli/stats.js';

describe('Debug.Stats', () => {
  it('counts requests and errors; the snapshot has go-micro field names', () => {
    const stats = new DebugStats();
    stats.record(false);
    stats.record(true);
    stats.record(false);
    const s = stats.snapshot();
    // go-micro's fields, and the two nest-micro adds (latency, chaos)
    expect(Object.keys(s).toSorted()).toEqual(
      [
        'errors',
        'gc',
        'memory',
        'requests',
        'started',
        'threads',
        'timestamp',
        'uptime',
        'latency',
        'chaos',
      ].toSorted(),
    );
    expect(s).toMatchObject({ requests: 3, errors: 1, started: stats.started });
    expect(s.uptime).toBe(s.timestamp - s.started);
    expect(s.memory).toBeGreaterThan(0);
    expect(s.threads).toBeGreaterThan(0);
  });

  it("reads go-micro's protojson reply: uint64 as strings, zeros left out", () => {
    expect(
      readStats({
        timestamp: '1700000100',
        started: '1700000000',
        uptime: '100',
        memory: '2048',
        threads: '9',
      }),
    ).toEqual({
      timestamp: 1700000100,
      started: 1700000000,
      uptime: 100,
      memory: 2048,
      threads: 9,
      gc: 0,
      requests: 0,
      errors: 0,
    });
    expect(readStats(null).requests).toBe(0);
    expect(readStats({ requests: 'many' }).requests).toBe(0);
  });

  it('nest-micro stats renders a row per node, a failing node with its error', () => {
    const lines = renderStats([
      {
        id: 'a',
        address: '127.0.0.1:1',
        version: '1',
        ...readStats({ uptime: 3725, memory: 1048576, requests: 4 }),
      },
      { id: 'b', address: '127.0.0.1:2', version: '1', error: 'error 408 Request Timeout: no reply' },
    ]).map((l) => stripVTControlCharacters(l));
    expect(lines[0]).toMatch(/^NODE\s+ADDRESS\s+UPTIME\s+MEMORY\s+THREADS\s+GC\s+REQUESTS\s+ERRORS$/);
    expect(lines[1]).toMatch(/^a\s+127\.0\.0\.1:1\s+1h2m5s\s+1\.0 MiB\s+0\s+0\.0 ms\s+4\s+0$/);
    expect(lines[2]).toMatch(/^b\s+127\.0\.0\.1:2\s+error 408 Request Timeout: no reply$/);
  });
});
