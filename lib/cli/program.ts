/**
 * The `nest-micro` program: global flags choosing registry/broker/transport (over go-micro's
 * MICRO_* variables), the commands, and the runner every command goes through — one context per
 * run, a failure printed as one line (exit 1), usage errors from commander (exit 2), a Ctrl-C
 * during a call (exit 130), and every socket closed before the exit code is returned.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { BROKERS, REGISTRIES, TRANSPORTS } from '../core/plugins.js';
import { registerApi } from './api.js';
import { registerCall } from './call.js';
import { CliContext, type GlobalOptions, type Run } from './context.js';
import { registerDescribe } from './describe.js';
import { registerMcp } from './mcp.js';
import { colours, printError, quietLogging } from './output.js';
import { registerPublish } from './publish.js';
import { registerServices } from './services.js';
import { registerStats } from './stats.js';
import { registerStream } from './stream.js';
import { registerSubscribe } from './subscribe.js';
import { registerWatch } from './watch.js';
import { registerWeb } from './web.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const ENVIRONMENT_HELP = `
Environment (flags win over it):
  MICRO_REGISTRY           registry: ${Object.keys(REGISTRIES).join(' | ')} (default mdns)
  MICRO_REGISTRY_ADDRESS   mDNS interface IPv4 (127.0.0.1 for this machine only) or Consul host:port
  MICRO_BROKER             broker: ${Object.keys(BROKERS).join(' | ')} (default http)
  MICRO_BROKER_ADDRESS     broker listen address (http), Redis host:port / URL or NATS servers
  MICRO_API_ADDRESS        api: the gateway's listen address (default 127.0.0.1:8080)
  MICRO_API_TOKENS         api: bearer tokens and scopes, "token=scope,scope" separated by spaces
  MICRO_TRANSPORT          transport: ${Object.keys(TRANSPORTS).join(' | ')} (default tcp)
  MICRO_TRANSPORT_ADDRESS  NATS servers host:port[,host:port] (nats transport)
  MICRO_MCP_TOKEN          mcp over stdio: the bearer token of the session (--token)
  NO_COLOR                 no colours (they are only used on a terminal anyway)

Exit codes: 0 ok, 1 the command failed (the error is printed on one line), 2 usage, 130 interrupted.`;

function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'nest-micro' && pkg.version) return pkg.version;
    } catch {
      /* not there: try the next level */
    }
  }
  return 'unknown';
}

const choice = (flags: string, description: string, table: Record<string, unknown>): Option =>
  new Option(flags, description).choices(Object.keys(table));

export function buildProgram(run: Run): Command {
  const red = colours(process.stderr);
  const program = new Command('nest-micro')
    .description(
      'talk to nest-micro and go-micro services: discovery, calls, streams, pub/sub, stats, MCP for agents',
    )
    .version(packageVersion(), '-V, --version')
    .addOption(choice('--registry <name>', 'registry implementation (MICRO_REGISTRY)', REGISTRIES))
    .option('--registry-address <address>', 'mDNS interface or Consul host:port (MICRO_REGISTRY_ADDRESS)')
    .addOption(choice('--broker <name>', 'broker implementation (MICRO_BROKER)', BROKERS))
    .option('--broker-address <address>', 'broker address (MICRO_BROKER_ADDRESS)')
    .addOption(choice('--transport <name>', 'transport for calls (MICRO_TRANSPORT)', TRANSPORTS))
    .option('-v, --verbose', "show the library's log lines on stderr")
    .addHelpText('after', ENVIRONMENT_HELP)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`nest-micro: ${red('red', text.trim())}\n`) });
  for (const register of [
    registerServices,
    registerDescribe,
    registerCall,
    registerStream,
    registerPublish,
    registerSubscribe,
    registerWatch,
    registerApi,
    registerMcp,
    registerStats,
    registerWeb,
  ])
    register(program, run);
  return program;
}

/** Parses `argv`, runs the command and resolves with the exit code (it never throws). */
export async function runCli(argv: string[], signal: AbortSignal): Promise<number> {
  let code: number = EXIT.ok;
  let program: Command | undefined;
  const run: Run = async (action) => {
    const flags = program!.opts<GlobalOptions>();
    quietLogging(flags.verbose === true);
    let ctx: CliContext | undefined;
    try {
      const context = (ctx = new CliContext(flags, signal));
      const interrupted = new Promise<number>((resolve) =>
        signal.addEventListener('abort', () => !context.stopIsNormal && resolve(EXIT.interrupted), {
          once: true,
        }),
      );
      code = await Promise.race([action(context), interrupted]);
    } catch (error) {
      printError(error);
      code = EXIT.failed;
    } finally {
      await ctx?.close();
    }
  };
  try {
    program = buildProgram(run);
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    printError(error);
    return EXIT.failed;
  }
  return code;
}
