/**
 * `nest-micro stats <service>`: go-micro's `Debug.Stats` asked of every node of a service (nest-micro
 * and go-micro nodes alike, each on its own transport), printed as a table or (`--json`) an array of
 * {id, address, version, ...stats} or {id, address, version, error}. The command fails (exit 1) when a
 * node does not answer, after printing what the others said.
 */
import type { Command } from 'commander';
import { MicroError } from '../core/errors/micro-error.js';
import { readStats, STATS_ENDPOINT, type DebugStatsResponse } from '../core/metrics/debug-stats.js';
import { callNode } from '../core/client/node-call.js';
import { parseDuration } from './args.js';
import type { CliContext, Run } from './context.js';
import { lookupService } from './describe.js';
import { out, printJson, printLine } from './output.js';
import { errorText } from '../core/errors/error-text.js';

export type NodeStats = { id: string; address: string; version: string } & (
  DebugStatsResponse | { error: string }
);

/** Debug.Stats of every node of `service`, in registry order; a node that fails carries its error. */
export async function nodeStats(ctx: CliContext, service: string, timeout = 5_000): Promise<NodeStats[]> {
  const versions = await lookupService(ctx, service);
  const nodes = versions.flatMap((s) => s.nodes.map((node) => ({ node, version: s.version })));
  return Promise.all(
    nodes.map(async ({ node, version }) => {
      const where = { id: node.id, address: node.address, version };
      try {
        return {
          ...where,
          ...readStats(await callNode(ctx.client(), service, node, STATS_ENDPOINT, timeout)),
        };
      } catch (error) {
        return { ...where, error: plainError(error) };
      }
    }),
  );
}

/** A failure as one uncoloured line (it goes into the table or the JSON). */
function plainError(error: unknown): string {
  const e = MicroError.fromObject(error);
  if (e) return `error ${e.code} ${e.status}: ${e.detail}`;
  return errorText(error);
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

export function renderStats(rows: NodeStats[]): string[] {
  const head = ['NODE', 'ADDRESS', 'UPTIME', 'MEMORY', 'THREADS', 'GC', 'REQUESTS', 'ERRORS'];
  const cells = rows.map((r) =>
    'error' in r
      ? [r.id, r.address, r.error]
      : [
          r.id,
          r.address,
          duration(r.uptime),
          mib(r.memory),
          String(r.threads),
          `${(r.gc / 1e6).toFixed(1)} ms`,
          String(r.requests),
          String(r.errors),
        ],
  );
  const width = head.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => (c.length > 3 ? c[i]!.length : 0))),
  );
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i < c.length - 1 ? v.padEnd(width[i]!) : v))
      .join('  ')
      .trimEnd();
  return [out('bold', line(head)), ...cells.map((c) => (c.length === 3 ? out('red', line(c)) : line(c)))];
}

export function registerStats(program: Command, run: Run): void {
  program
    .command('stats')
    .description("ask every node of a service for go-micro's Debug.Stats (uptime, memory, requests, errors)")
    .argument('<service>', 'service name, e.g. greeter')
    .option('--json', 'print a JSON array, one object per node')
    .option('-t, --timeout <duration>', 'budget per node (default 5s)', parseDuration)
    .action((service: string, opts: { json?: boolean; timeout?: number }) =>
      run(async (ctx) => {
        const rows = await nodeStats(ctx, service, opts.timeout);
        if (opts.json) printJson(rows);
        else for (const line of renderStats(rows)) printLine(line);
        const failed = rows.filter((r) => 'error' in r).length;
        if (failed > 0)
          throw MicroError.unavailable(
            'nest-micro.cli',
            `${failed} of ${rows.length} node(s) of ${service} did not answer ${STATS_ENDPOINT}`,
            false,
          );
        return 0;
      }),
    );
}
