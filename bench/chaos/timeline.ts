/**
 * What the chaos benchmark's client saw, and what it means. Every call (start, end, error) and every
 * attempt (start, node address, failed or not; through the client's public `attemptWrappers`) is
 * recorded on one clock (performance.now(), ms). `analyse` turns a run into the figures of the
 * README table: caller-visible errors, the p99 while the fault lasted, how long until the faulty
 * node stopped receiving calls, and how long until throughput was back.
 */
import type { AttemptWrapper } from 'nest-micro/client';

export interface CallRecord {
  start: number;
  end: number;
  /** Undefined when the call succeeded; otherwise "code id". */
  error?: string;
}

export interface AttemptRecord {
  start: number;
  node: string;
  failed: boolean;
}

export class Timeline {
  readonly calls: CallRecord[] = [];
  readonly attempts: AttemptRecord[] = [];

  /** The attempt wrapper to give the client: records each attempt's node and outcome. */
  readonly attemptWrapper: AttemptWrapper = (next) => async (request) => {
    const record: AttemptRecord = { start: performance.now(), node: request.node.address, failed: false };
    this.attempts.push(record);
    try {
      return await next(request);
    } catch (error) {
      record.failed = true;
      throw error;
    }
  };

  /** Calls until each of `addresses` answered one attempt, so every node is in the caller's view. */
  async untilAnswered(addresses: string[], call: () => Promise<unknown>, what: string): Promise<void> {
    const deadline = performance.now() + 20_000;
    while (!addresses.every((node) => this.attempts.some((a) => a.node === node && !a.failed))) {
      if (performance.now() > deadline) throw new Error(`${what}: nodes not all discovered`);
      await call().catch(() => {});
    }
  }
}

export interface FaultWindow {
  /** When the fault was injected. */
  start: number;
  /** When the injected fault was over (the same as start for a kill). */
  end: number;
  /** The nodes the fault hit, each with when it was hit (none for a registry fault). */
  hits: Array<{ address: string; at: number }>;
}

export interface Figures {
  calls: number;
  errors: number;
  /** Error kinds seen by callers, "code id" → count. */
  errorKinds: Record<string, number>;
  baselineRps: number;
  baselineP99: number;
  /** p99 of calls started from the fault until throughput was back (at least 2 s). */
  faultP99: number;
  faultMax: number;
  /**
   * From a node's fault until it got at most one attempt per 100 ms (probes), the longest over the
   * nodes hit; NaN when no node was hit. Equal to the fault's length when the node never left.
   */
  leftRotationMs: number;
  /** How long the injected fault lasted, ms (0 for a kill). */
  faultMs: number;
  /** Share of attempts the faulty node(s) got during the fault window (1/3 when nothing changed). */
  faultyShare: number;
  /** From the end of the fault until throughput stayed at ≥ 80% of the baseline for 1 s; NaN: never. */
  recoveryMs: number;
}

const BUCKET = 100;

/** The p-th percentile (0–100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Completions per BUCKET ms from `from`, as a rate per second. */
function rates(calls: CallRecord[], from: number, to: number): number[] {
  const buckets = Array.from<number>({ length: Math.max(0, Math.ceil((to - from) / BUCKET)) }).fill(0);
  for (const c of calls) {
    if (c.error || c.end < from || c.end >= to) continue;
    buckets[Math.floor((c.end - from) / BUCKET)]!++;
  }
  return buckets.map((n) => (n * 1000) / BUCKET);
}

export function analyse(
  timeline: Timeline,
  baseline: [number, number],
  fault: FaultWindow,
  end: number,
): Figures {
  const { calls, attempts } = timeline;
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  for (const c of calls) {
    if (!c.error || c.start < baseline[0]) continue;
    errors++;
    errorKinds[c.error] = (errorKinds[c.error] ?? 0) + 1;
  }
  const inBaseline = calls.filter((c) => !c.error && c.start >= baseline[0] && c.end < baseline[1]);
  const baselineRps = (inBaseline.length * 1000) / (baseline[1] - baseline[0]);
  const baselineP99 = percentile(
    inBaseline.map((c) => c.end - c.start).toSorted((a, b) => a - b),
    99,
  );

  // recovery: first bucket after the fault's end from which 10 buckets in a row reach 80%
  const after = rates(calls, fault.end, end);
  let recoveryMs = NaN;
  for (let i = 0; i + 10 <= after.length; i++) {
    if (after.slice(i, i + 10).every((r) => r >= 0.8 * baselineRps)) {
      recoveryMs = i * BUCKET;
      break;
    }
  }
  const recovered = fault.end + (Number.isNaN(recoveryMs) ? end - fault.end : recoveryMs);
  const windowEnd = Math.max(recovered, fault.start + 2_000);
  const during = calls
    .filter((c) => c.start >= fault.start && c.start < windowEnd)
    .map((c) => c.end - c.start)
    .toSorted((a, b) => a - b);

  let leftRotationMs = NaN;
  let faultyShare = NaN;
  if (fault.hits.length > 0) {
    // a node that comes back (a stalled one resumed, a flaky one healed) re-enters rotation then
    const until = fault.end > fault.start ? fault.end : windowEnd;
    const faulty = new Set(fault.hits.map((h) => h.address));
    const inWindow = attempts.filter((a) => a.start >= fault.start && a.start < until);
    faultyShare = inWindow.length ? inWindow.filter((a) => faulty.has(a.node)).length / inWindow.length : NaN;
    leftRotationMs = Math.max(...fault.hits.map((hit) => leftRotation(attempts, hit, until)));
  }
  return {
    calls: calls.filter((c) => c.start >= baseline[0]).length,
    errors,
    errorKinds,
    baselineRps,
    baselineP99,
    faultP99: percentile(during, 99),
    faultMax: during.at(-1) ?? NaN,
    leftRotationMs,
    faultMs: fault.end - fault.start,
    faultyShare,
    recoveryMs,
  };
}

/** Time from `hit.at` to the end of the last 100 ms bucket (before `until`) with more than one attempt to the node. */
function leftRotation(
  attempts: AttemptRecord[],
  hit: { address: string; at: number },
  until: number,
): number {
  const perBucket = new Map<number, number>();
  for (const a of attempts) {
    if (a.node !== hit.address || a.start < hit.at || a.start >= until) continue;
    const b = Math.floor((a.start - hit.at) / BUCKET);
    perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
  }
  const busy = [...perBucket].filter(([, n]) => n > 1).map(([b]) => b);
  return busy.length ? Math.min(until - hit.at, (Math.max(...busy) + 1) * BUCKET) : 0;
}
