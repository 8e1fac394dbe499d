/**
 * `nest-micro call <service> <Endpoint> '<json>'`: one RPC through the library's client (discovery,
 * selection, retries, deadline), or straight to `--address`. Prints the reply as JSON; a failure is
 * a MicroError printed as one line by the runner (exit code 1).
 */
import type { Command } from 'commander';
import type { ClientCallOptions } from '../core/client/call-options.js';
import { collectAddresses, collectMetadata, parseCount, parseDuration, parseJsonArgument } from './args.js';
import type { Run } from './context.js';
import { printJson } from './output.js';

export interface CallFlags {
  metadata?: Record<string, string>;
  timeout?: number;
  address?: string[];
  contentType?: string;
  retries?: number;
}

/** The per-call options the flags ask for (unset flags keep the library's defaults). */
export function callOptions(flags: CallFlags): Partial<ClientCallOptions> {
  const options: Partial<ClientCallOptions> = {};
  if (flags.metadata) options.metadata = flags.metadata;
  if (flags.timeout !== undefined) options.timeout = flags.timeout;
  if (flags.address?.length) options.address = flags.address;
  if (flags.contentType) options.contentType = flags.contentType;
  if (flags.retries !== undefined) options.retries = flags.retries;
  return options;
}

/** The options `call` and `stream` share; `timeoutHelp` says what the budget covers. */
export function withCallFlags(command: Command, timeoutHelp: string): Command {
  return command
    .option('-m, --metadata <key:value>', 'metadata sent as a header (repeatable)', collectMetadata)
    .option('-t, --timeout <duration>', `${timeoutHelp}: 500, 500ms, 5s, 1m`, parseDuration)
    .option('-a, --address <host:port>', 'use this node, bypassing discovery (repeatable)', collectAddresses)
    .option('-c, --content-type <type>', 'request Content-Type (default application/json)')
    .option('-r, --retries <n>', 'extra attempts on safe failures (default 1)', parseCount);
}

export function registerCall(program: Command, run: Run): void {
  withCallFlags(
    program
      .command('call')
      .description('call an endpoint of a service and print the reply as JSON')
      .argument('<service>', 'service name, e.g. greeter')
      .argument('<endpoint>', 'endpoint, e.g. Greeter.Hello')
      .argument('[request]', 'request body as JSON', parseJsonArgument, {}),
    'budget for the whole call, retries included (default 5s)',
  ).action((service: string, endpoint: string, request: unknown, flags: CallFlags) =>
    run(async (ctx) => {
      const reply = await ctx.client().call(service, endpoint, request, callOptions(flags));
      printJson(reply ?? null);
      return 0;
    }),
  );
}
