/**
 * Turning rounds into figures: per peer and concurrency the median and min–max of req/s and of the
 * p50/p99 latencies over the rounds, the Markdown tables the harness prints (and the README shows),
 * and the issue's goals checked as ratios of medians from the same run.
 */
import type { LevelResult } from './load.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface PeerLevelSummary {
  rps: Spread;
  p50: Spread;
  p99: Spread;
  /** Cores used over the measured window by the server and the client process. */
  serverCpu: Spread;
  clientCpu: Spread;
  rounds: number;
  errors: number;
}

/** peer id → concurrency → summary */
export type Summary = Record<string, Record<number, PeerLevelSummary>>;

export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export function summarize(results: Record<string, LevelResult[]>): Summary {
  const summary: Summary = {};
  for (const [peer, levels] of Object.entries(results)) {
    const byLevel = new Map<number, LevelResult[]>();
    for (const r of levels) byLevel.set(r.concurrency, [...(byLevel.get(r.concurrency) ?? []), r]);
    summary[peer] = {};
    for (const [c, rs] of byLevel) {
      summary[peer][c] = {
        rps: spread(rs.map((r) => r.rps)),
        p50: spread(rs.map((r) => r.p50)),
        p99: spread(rs.map((r) => r.p99)),
        serverCpu: spread(rs.map((r) => r.serverCpu ?? NaN).filter(Number.isFinite)),
        clientCpu: spread(rs.map((r) => r.clientCpu ?? NaN).filter(Number.isFinite)),
        rounds: rs.length,
        errors: rs.reduce((n, r) => n + r.errors, 0),
      };
    }
  }
  return summary;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(3) : '—');
const cores = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');

/** Throughput: median req/s (min–max) per concurrency. */
export function throughputTable(summary: Summary, labels: Record<string, string>, levels: number[]): string {
  const head = `| peer | ${levels.map((c) => `c=${c} req/s (min–max)`).join(' | ')} |`;
  const rule = `|---|${levels.map(() => '---:').join('|')}|`;
  const rows = Object.keys(summary).map((peer) => {
    const cells = levels.map((c) => {
      const s = summary[peer]![c];
      return s ? `${int(s.rps.median)} (${int(s.rps.min)}–${int(s.rps.max)})` : '—';
    });
    return `| ${labels[peer] ?? peer} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

/** Latency: median p50 / p99 in ms per concurrency. */
export function latencyTable(summary: Summary, labels: Record<string, string>, levels: number[]): string {
  const head = `| peer | ${levels.map((c) => `c=${c} p50 / p99 ms`).join(' | ')} |`;
  const rule = `|---|${levels.map(() => '---:').join('|')}|`;
  const rows = Object.keys(summary).map((peer) => {
    const cells = levels.map((c) => {
      const s = summary[peer]![c];
      return s ? `${ms(s.p50.median)} / ${ms(s.p99.median)}` : '—';
    });
    return `| ${labels[peer] ?? peer} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

/** CPU: median cores used by the server / the client process over the window, per concurrency. */
export function cpuTable(summary: Summary, labels: Record<string, string>, levels: number[]): string {
  const head = `| peer | ${levels.map((c) => `c=${c} server / client cores`).join(' | ')} |`;
  const rule = `|---|${levels.map(() => '---:').join('|')}|`;
  const rows = Object.keys(summary).map((peer) => {
    const cells = levels.map((c) => {
      const s = summary[peer]![c];
      return s ? `${cores(s.serverCpu.median)} / ${cores(s.clientCpu.median)}` : '—';
    });
    return `| ${labels[peer] ?? peer} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}

export interface Goal {
  goal: string;
  value: string;
  met: boolean | null;
}

/** The issue's figures, as ratios of medians; null when a peer or level was not run. */
export function checkGoals(summary: Summary, selectorCodecUs?: number): Goal[] {
  const at = (peer: string, c: number): PeerLevelSummary | undefined => summary[peer]?.[c];
  const goals: Goal[] = [];
  const ratio = (name: string, a?: PeerLevelSummary, b?: PeerLevelSummary, min = 1): void => {
    if (!a || !b) return void goals.push({ goal: name, value: 'not run', met: null });
    const r = a.rps.median / b.rps.median;
    goals.push({ goal: name, value: `${r.toFixed(2)}×`, met: r >= min });
  };
  const lower = (name: string, a: number | undefined, b: number | undefined, slack = 1): void => {
    if (a === undefined || b === undefined)
      return void goals.push({ goal: name, value: 'not run', met: null });
    goals.push({ goal: name, value: `${ms(a)} ms vs ${ms(b)} ms`, met: a <= b * slack });
  };
  const fast128 = at('nest-micro-tcp', 128);
  ratio('fast transport c=128 ≥ 1.5× Nest TCP', fast128, at('nest-tcp', 128), 1.5);
  ratio('fast transport c=128 ≥ 1.3× Moleculer TCP', fast128, at('moleculer-tcp', 128), 1.3);
  lower('fast transport c=128 p99 below Nest TCP', fast128?.p99.median, at('nest-tcp', 128)?.p99.median);
  lower(
    'fast transport c=128 p99 below Moleculer',
    fast128?.p99.median,
    at('moleculer-tcp', 128)?.p99.median,
  );
  lower(
    'fast transport c=1 p50 no worse than Nest TCP',
    at('nest-micro-tcp', 1)?.p50.median,
    at('nest-tcp', 1)?.p50.median,
  );
  // the same goals for the client as Nest users call it (firstValueFrom(client.send(...)))
  const send128 = at('nest-micro-tcp-send', 128);
  ratio('Nest send() c=128 ≥ 1.5× Nest TCP', send128, at('nest-tcp', 128), 1.5);
  ratio('Nest send() c=128 ≥ 1.3× Moleculer TCP', send128, at('moleculer-tcp', 128), 1.3);
  ratio('HTTP transport c=16 ≥ 0.9× raw node:http', at('nest-micro-http', 16), at('raw-http', 16), 0.9);
  // the cost of tracing, when its rows ran (npm run bench:tracing): without an SDK it should cost
  // nothing measurable; with one it is reported, with no goal
  const plain128 = at('nest-micro-tcp', 128);
  if (summary['nest-micro-tcp-otel-api']) {
    ratio('tracing API without SDK c=128 ≥ 0.95× plain', at('nest-micro-tcp-otel-api', 128), plain128, 0.95);
    lower(
      'tracing API without SDK c=1 p50 within 5% of plain',
      at('nest-micro-tcp-otel-api', 1)?.p50.median,
      at('nest-micro-tcp', 1)?.p50.median,
      1.05,
    );
  }
  const sdk128 = at('nest-micro-tcp-otel-sdk', 128);
  if (sdk128 && plain128) {
    const r = sdk128.rps.median / plain128.rps.median;
    goals.push({ goal: 'tracing SDK (batch) c=128 vs plain', value: `${r.toFixed(2)}×`, met: null });
  }
  if (selectorCodecUs === undefined)
    goals.push({ goal: 'selector + codec < 2 µs', value: 'not run', met: null });
  else
    goals.push({
      goal: 'selector + codec < 2 µs',
      value: `${selectorCodecUs.toFixed(2)} µs`,
      met: selectorCodecUs < 2,
    });
  return goals;
}

const mark = (m: boolean | null): string => (m === null ? '—' : m ? 'met' : 'missed');

export function goalsTable(goals: Goal[]): string {
  return [
    '| goal | this run | |',
    '|---|---:|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.value} | ${mark(g.met)} |`),
  ].join('\n');
}
