/**
 * `nest-micro web [--address 127.0.0.1:8082] [--token T] [--rate-limit N] [--max-body BYTES]`: the
 * dashboard (lib/web) on the command line's registry, transport and broker — the fleet live, calls,
 * streams, publish and subscribe, each node's health and numbers. Prints its URL; runs until
 * Ctrl-C/SIGTERM, then closes and exits 0. The token may also come from MICRO_WEB_TOKEN.
 */
import type { Command } from 'commander';
import { MicroDashboard } from '../web/dashboard.js';
import type { DashboardOptions } from '../web/options.js';
import { parseCount, parseDuration } from './args.js';
import type { CliContext, Run } from './context.js';
import { note } from './output.js';

export interface WebFlags {
  address?: string;
  token?: string;
  rateLimit?: number;
  maxBody?: number;
  timeout?: number;
}

export const DEFAULT_WEB_ADDRESS = '127.0.0.1:8082';

export async function runWeb(ctx: CliContext, flags: WebFlags, env = process.env): Promise<number> {
  const broker = await ctx.broker();
  const options: DashboardOptions = {
    client: ctx.client(),
    registry: ctx.registry,
    broker,
    token: flags.token ?? (env.MICRO_WEB_TOKEN || undefined),
    rateLimit:
      flags.rateLimit === 0
        ? false
        : flags.rateLimit === undefined
          ? undefined
          : { rate: flags.rateLimit, burst: flags.rateLimit * 2 },
    maxBodySize: flags.maxBody,
    timeout: flags.timeout,
  };
  const dashboard = new MicroDashboard(options);
  try {
    const bound = await dashboard.listen(flags.address ?? (env.MICRO_WEB_ADDRESS || DEFAULT_WEB_ADDRESS));
    note(`dashboard at http://${bound}/ (${ctx.registry.name} registry, ${broker.name} broker)`);
    await ctx.untilStopped();
  } finally {
    await dashboard.close();
  }
  return 0;
}

export function registerWeb(program: Command, run: Run): void {
  program
    .command('web')
    .description('run the web dashboard: services live, call and stream endpoints, publish/subscribe, stats')
    .option('-a, --address <host:port>', `listen address (default ${DEFAULT_WEB_ADDRESS}; MICRO_WEB_ADDRESS)`)
    .option('--token <token>', 'every API request needs this bearer token (MICRO_WEB_TOKEN)')
    .option(
      '--rate-limit <n>',
      'API requests a second per client IP, burst twice that (default 20; 0: off)',
      parseCount,
    )
    .option('--max-body <bytes>', 'largest request body (default 1 MiB)', parseCount)
    .option('-t, --timeout <duration>', 'budget of a call that names none (default 5s)', parseDuration)
    .action((flags: WebFlags) => run((ctx) => runWeb(ctx, flags)));
}
