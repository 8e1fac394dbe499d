/**
 * `nest-micro api [--address 127.0.0.1:8080]`: the HTTP API gateway (lib/gateway) on the command
 * line's registry, transport and broker — `POST /api/{service}/{Svc.Method}` (and go-micro's other
 * paths) become RPC calls through the library's client, stream endpoints answer as Server-Sent
 * Events, `POST /publish/{topic}` publishes, `/openapi.json` describes the fleet. Runs until
 * Ctrl-C/SIGTERM, then closes its server and exits 0. Bearer tokens come from `--token` or
 * MICRO_API_TOKENS ("token=scope,scope" separated by spaces).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { servePrometheus, type PrometheusEndpoint } from '../core/metrics/prometheus.js';
import { MicroGateway } from '../gateway/gateway.js';
import type { GatewayAuthOptions, GatewayOptions } from '../gateway/options.js';
import { collectAddresses, parseCount, parseDuration } from './args.js';
import type { CliContext, Run } from './context.js';
import { note } from './output.js';

export interface ApiFlags {
  address: string[];
  timeout?: number;
  maxBody?: number;
  cors?: boolean | string;
  token?: Record<string, string[]>;
  authRequired?: boolean;
  scopes?: boolean;
  publish?: boolean;
  metricsPort?: number;
}

export const DEFAULT_API_ADDRESS = '127.0.0.1:8080';

/** `token=scope,scope` (repeatable) into one token table; a token with no `=` has no scopes. */
export function collectToken(
  text: string,
  previous: Record<string, string[]> = {},
): Record<string, string[]> {
  const equals = text.indexOf('=');
  const token = (equals === -1 ? text : text.slice(0, equals)).trim();
  if (!token || /\s/.test(token)) throw new InvalidArgumentError(`expected token=scope,scope, got "${text}"`);
  const scopes =
    equals === -1
      ? []
      : text
          .slice(equals + 1)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  return { ...previous, [token]: scopes };
}

/** The gateway options the flags (and MICRO_API_TOKENS) ask for. */
export function gatewayOptions(
  ctx: Pick<CliContext, 'client' | 'registry'>,
  flags: ApiFlags,
  env: NodeJS.ProcessEnv = process.env,
): GatewayOptions {
  let tokens = flags.token;
  for (const pair of (env.MICRO_API_TOKENS ?? '').split(/\s+/).filter(Boolean))
    tokens = collectToken(pair, tokens);
  let auth: GatewayAuthOptions | false | undefined;
  if (flags.scopes === false) auth = false;
  else if (tokens || flags.authRequired)
    auth = { tokens: tokens ?? {}, required: flags.authRequired === true };
  const cors =
    flags.cors === undefined || flags.cors === false
      ? undefined
      : flags.cors === true || flags.cors === '*'
        ? true
        : {
            origins: flags.cors
              .split(',')
              .map((o) => o.trim())
              .filter(Boolean),
          };
  return {
    client: ctx.client(),
    registry: ctx.registry,
    timeout: flags.timeout,
    maxBodySize: flags.maxBody,
    cors,
    auth,
    publish: flags.publish !== false,
  };
}

export async function runApi(ctx: CliContext, flags: ApiFlags): Promise<number> {
  const gateway = new MicroGateway(gatewayOptions(ctx, flags));
  if (flags.publish !== false) await ctx.broker();
  let metrics: PrometheusEndpoint | undefined;
  try {
    // the gateway's calls, through the library's client, are recorded as rpc.client.* metrics
    if (flags.metricsPort !== undefined) {
      metrics = await servePrometheus({ port: flags.metricsPort, serviceName: 'nest-micro-api' });
      note(`metrics at ${metrics.url}`);
    }
    const address = flags.address.at(-1) ?? DEFAULT_API_ADDRESS;
    const bound = await gateway.listen(address);
    note(`API gateway listening on http://${bound} (${ctx.registry.name} registry)`);
    await ctx.untilStopped();
  } finally {
    await gateway.close();
    await metrics?.close();
  }
  return 0;
}

export function registerApi(program: Command, run: Run): void {
  program
    .command('api')
    .description(
      'run the HTTP API gateway: /api/{service}/{Svc.Method} → RPC, SSE streams, publish, /openapi.json',
    )
    .option(
      '-a, --address <host:port>',
      `listen address (default ${DEFAULT_API_ADDRESS}; MICRO_API_ADDRESS)`,
      collectAddresses,
    )
    .option(
      '-t, --timeout <duration>',
      'budget of a call without a Timeout header (default 5s)',
      parseDuration,
    )
    .option('--max-body <bytes>', 'largest request body (default 1 MiB)', parseCount)
    .option('--cors [origins]', 'allow browsers from these origins (comma-separated; none given: any)')
    .option(
      '--token <token=scopes>',
      'a bearer token and the scopes it grants, e.g. t0k=billing.read (repeatable)',
      collectToken,
    )
    .option('--auth-required', 'every call needs a valid bearer token')
    .option('--no-scopes', "do not check endpoints' scopes metadata")
    .option('--no-publish', 'do not serve POST /publish/{topic}')
    .option('--metrics-port <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics', parseCount)
    .action((flags: Omit<ApiFlags, 'address'> & { address?: string[] }) =>
      run((ctx) =>
        runApi(ctx, {
          ...flags,
          address: flags.address ?? [process.env.MICRO_API_ADDRESS || DEFAULT_API_ADDRESS],
        }),
      ),
    );
}
