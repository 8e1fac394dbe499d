/**
 * `nest-micro services`: every service in the registry with its versions and node counts, as a
 * table or (`--json`) an array of {name, version, nodes}.
 */
import type { Command } from 'commander';
import type { CliContext, Run } from './context.js';
import { note, out, printJson, printLine } from './output.js';

export interface ServiceRow {
  name: string;
  version: string;
  nodes: number;
}

/** One row per service version; names the listing returns without nodes are looked up. */
export async function serviceRows(ctx: CliContext): Promise<ServiceRow[]> {
  const listed = await ctx.registry.listServices();
  const names = [...new Set(listed.map((s) => s.name))];
  const found = await Promise.all(names.map((name) => ctx.registry.getService(name)));
  const rows: ServiceRow[] = [];
  names.forEach((name, i) => {
    const versions = found[i] ?? [];
    if (versions.length === 0) rows.push({ name, version: '', nodes: 0 });
    for (const s of versions) rows.push({ name, version: s.version, nodes: s.nodes.length });
  });
  return rows.toSorted((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

export function renderTable(rows: ServiceRow[]): string[] {
  const head = ['NAME', 'VERSION', 'NODES'];
  const cells = rows.map((r) => [r.name, r.version || '-', String(r.nodes)]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [out('bold', line(head)), ...cells.map(line)];
}

export function registerServices(program: Command, run: Run): void {
  program
    .command('services')
    .description('list services in the registry with their versions and node counts')
    .option('--json', 'print a JSON array of {name, version, nodes}')
    .action((opts: { json?: boolean }) =>
      run(async (ctx) => {
        const rows = await serviceRows(ctx);
        if (opts.json) printJson(rows);
        else if (rows.length === 0) note(`no services found in the ${ctx.registry.name} registry`);
        else for (const line of renderTable(rows)) printLine(line);
        return 0;
      }),
    );
}
