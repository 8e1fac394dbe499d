/**
 * `nest-micro watch [--service name]`: live registry events as JSON lines
 * {action, service, version, nodes: [{id, address}]} until Ctrl-C/SIGTERM. "watching …" goes to
 * stderr once the registry answered a first listing, so scripts know events will be seen.
 */
import type { Command } from 'commander';
import type { WatchEvent } from '../core/registry/registry.js';
import type { CliContext, Run } from './context.js';
import { note, printJsonLine } from './output.js';

export function eventJson(event: WatchEvent): Record<string, unknown> {
  const s = event.service;
  return {
    action: event.action,
    service: s.name,
    version: s.version,
    nodes: s.nodes.map((n) => ({ id: n.id, address: n.address })),
  };
}

export async function runWatch(ctx: CliContext, flags: { service?: string }): Promise<number> {
  const watcher = ctx.registry.watch((event) => printJsonLine(eventJson(event)), { service: flags.service });
  try {
    await ctx.registry.listServices(); // the registry is reachable (and mDNS sockets are open)
    note(`watching the ${ctx.registry.name} registry${flags.service ? ` for ${flags.service}` : ''}`);
    await ctx.untilStopped();
  } finally {
    watcher.stop();
  }
  return 0;
}

export function registerWatch(program: Command, run: Run): void {
  program
    .command('watch')
    .description('print registry events (create, update, delete) as JSON lines, until Ctrl-C')
    .option('-s, --service <name>', 'only events of this service')
    .action((flags: { service?: string }) => run((ctx) => runWatch(ctx, flags)));
}
