/**
 * Overload at 4× capacity, with load shedding on and off. Three nodes whose `Chaos.Work` is bound
 * by a pool (CHAOS_POOL slots of CHAOS_WORK_MS each, bench/chaos/node.ts). Capacity is measured
 * first (a closed loop that keeps every pool busy on the fleet without shedding), then the unloaded
 * p99 (an open loop at a quarter of capacity), then an open loop at 4× capacity: calls arrive at that
 * rate whatever happened to earlier ones, as independent users' calls do. With shedding on, the
 * handler admits the pool's size and queues as much again; the rest is refused at once with a
 * retryable 503 and the caller retries once on another node. Off, every call waits in the pool.
 */
import { randomUUID } from 'node:crypto';
import { chaosClient } from './client.js';
import { closedLoop, openLoop } from './drive.js';
import { Fleet, type RegistryChoice } from './fleet.js';
import { percentile, Timeline } from './timeline.js';

export interface OverloadFigures {
  shedding: 'on' | 'off';
  capacityRps: number;
  offeredRps: number;
  unloadedP99: number;
  calls: number;
  succeeded: number;
  /** Calls that succeeded within the overload's window, per second. */
  goodputRps: number;
  errorKinds: Record<string, number>;
  /** p99 / max of the calls that succeeded, ms. */
  p99: number;
  max: number;
  /** p99 of every call, refusals included, ms. */
  p99All: number;
}

export interface OverloadOptions {
  durationMs: number;
  pool: number;
  workMs: number;
  factor: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function fleetOf(
  registry: RegistryChoice,
  shedding: 'on' | 'off',
  options: OverloadOptions,
): Promise<Fleet> {
  const fleet = new Fleet(registry, `chaos-shed-${shedding}-${randomUUID().slice(0, 6)}`, {
    CHAOS_SHED: shedding,
    CHAOS_POOL: String(options.pool),
    CHAOS_WORK_MS: String(options.workMs),
  });
  await Promise.all([fleet.add(), fleet.add(), fleet.add()]);
  return fleet;
}

/** Capacity of the fleet in calls/s: a closed loop at four times the pools' total size, no shedding. */
export async function measureCapacity(registry: RegistryChoice, options: OverloadOptions): Promise<number> {
  const fleet = await fleetOf(registry, 'off', options);
  const timeline = new Timeline();
  const caller = await chaosClient(registry, fleet.service, timeline);
  try {
    const call = (): Promise<unknown> => caller.client.call(fleet.service, 'Chaos.Work', {});
    await timeline.untilAnswered(
      fleet.nodes.map((n) => n.address),
      call,
      fleet.service,
    );
    const load = closedLoop(timeline, call, 12 * options.pool); // every pool kept busy
    await sleep(1_000);
    const from = performance.now();
    await sleep(3_000);
    const to = performance.now();
    await load.stop();
    return (
      (timeline.calls.filter((c) => !c.error && c.end >= from && c.end < to).length * 1000) / (to - from)
    );
  } finally {
    await caller.close();
    await fleet.close();
  }
}

export async function runOverload(
  registry: RegistryChoice,
  shedding: 'on' | 'off',
  capacityRps: number,
  options: OverloadOptions,
): Promise<OverloadFigures> {
  const fleet = await fleetOf(registry, shedding, options);
  const timeline = new Timeline();
  const caller = await chaosClient(registry, fleet.service, timeline, { retries: 1 });
  try {
    const call = (): Promise<unknown> => caller.client.call(fleet.service, 'Chaos.Work', {});
    await timeline.untilAnswered(
      fleet.nodes.map((n) => n.address),
      call,
      fleet.service,
    );
    timeline.calls.length = 0;
    await openLoop(timeline, call, capacityRps / 4, 5_000);
    const unloaded = timeline.calls.filter((c) => !c.error).map((c) => c.end - c.start);
    const unloadedP99 = percentile(
      unloaded.toSorted((a, b) => a - b),
      99,
    );
    timeline.calls.length = 0;
    const offeredRps = capacityRps * options.factor;
    const from = performance.now();
    await openLoop(timeline, call, offeredRps, options.durationMs);
    const inWindow = timeline.calls.filter((c) => !c.error && c.end < from + options.durationMs).length;
    const ok = timeline.calls
      .filter((c) => !c.error)
      .map((c) => c.end - c.start)
      .toSorted((a, b) => a - b);
    const errorKinds: Record<string, number> = {};
    for (const c of timeline.calls) if (c.error) errorKinds[c.error] = (errorKinds[c.error] ?? 0) + 1;
    return {
      shedding,
      capacityRps,
      offeredRps,
      unloadedP99,
      calls: timeline.calls.length,
      succeeded: ok.length,
      goodputRps: (inWindow * 1000) / options.durationMs,
      errorKinds,
      p99: percentile(ok, 99),
      max: ok.at(-1) ?? NaN,
      p99All: percentile(
        timeline.calls.map((c) => c.end - c.start).toSorted((a, b) => a - b),
        99,
      ),
    };
  } finally {
    await caller.close();
    await fleet.close();
  }
}
