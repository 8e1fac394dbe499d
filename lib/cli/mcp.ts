/**
 * `nest-micro mcp`: the fleet in the registry as MCP tools for AI agents. Over stdio by default (an
 * agent spawns it; stdout carries MCP only, notes go to stderr), or over Streamable HTTP with
 * `--http [host:]port` (127.0.0.1 unless told otherwise). Runs until stdin ends (stdio) or
 * Ctrl-C/SIGTERM. The MCP SDK is loaded only by this command.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { ClientCallOptions } from '../core/client/call-options.js';
import type { McpAccount, MicroMcpOptions } from '../mcp/mcp.options.js';
import { collectMetadata, parseCount, parseDuration } from './args.js';
import type { CliContext, Run } from './context.js';
import { note } from './output.js';

export interface McpFlags {
  http?: string | true;
  path?: string;
  tokens?: string;
  token?: string;
  scope?: Record<string, string[]>;
  rateLimit?: number;
  burst?: number;
  includeDebug?: boolean;
  allowedHost?: string[];
  timeout?: number;
  retries?: number;
  metadata?: Record<string, string>;
}

const DEFAULT_HTTP = { host: '127.0.0.1', port: 3000 };

/** `--http`, `--http 3001`, `--http 0.0.0.0:3001`, `--http [::1]:3001`. */
export function parseHttpAddress(value: string | true): { host: string; port: number } {
  if (value === true) return DEFAULT_HTTP;
  const m = /^(?:(\[[^\]]+\]|[^:\s]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new InvalidArgumentError(`expected [host:]port, got "${value}"`);
  return { host: m[1]?.replace(/^\[(.*)\]$/, '$1') ?? DEFAULT_HTTP.host, port };
}

/**
 * The tokens file: `{"<token>": {"id": "alice", "scopes": ["blog:write"]}}`, or a bare scope list
 * per token (`{"<token>": ["blog:write"]}`, the token's id then "token-<n>").
 */
export function parseTokens(json: unknown, source: string): Record<string, McpAccount> {
  const bad = (why: string): Error =>
    new Error(
      `${source}: ${why}; expected {"<token>": {"id": "...", "scopes": ["..."]}} or {"<token>": ["scope"]}`,
    );
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object');
  const tokens: Record<string, McpAccount> = Object.create(null) as Record<string, McpAccount>;
  let n = 0;
  for (const [token, entry] of Object.entries(json as Record<string, unknown>)) {
    n++;
    const scopes: unknown = Array.isArray(entry) ? entry : (entry as { scopes?: unknown } | null)?.scopes;
    const id: unknown = Array.isArray(entry)
      ? `token-${n}`
      : ((entry as { id?: unknown } | null)?.id ?? `token-${n}`);
    if (!token.trim()) throw bad('an empty token');
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))
      throw bad(`the scopes of token #${n} are not a list of strings`);
    if (typeof id !== 'string') throw bad(`the id of token #${n} is not a string`);
    tokens[token] = { id, scopes };
  }
  return tokens;
}

function readTokens(file: string): Record<string, McpAccount> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--tokens ${file}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`--tokens ${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return parseTokens(json, `--tokens ${file}`);
}

/** `--scope blog.Blog.Create=blog:write,blog:admin`, repeatable. */
export function collectScope(
  text: string,
  previous: Record<string, string[]> = {},
): Record<string, string[]> {
  const eq = text.indexOf('=');
  const tool = eq > 0 ? text.slice(0, eq).trim() : '';
  const scopes = text
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!tool || eq < 0) throw new InvalidArgumentError(`expected tool=scope[,scope], got "${text}"`);
  return { ...previous, [tool]: scopes };
}

function parseRate(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`expected calls per second above 0, got "${text}"`);
  return value;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function mcpOptions(ctx: CliContext, flags: McpFlags): MicroMcpOptions {
  const callOptions: Partial<ClientCallOptions> = {};
  if (flags.timeout !== undefined) callOptions.timeout = flags.timeout;
  if (flags.retries !== undefined) callOptions.retries = flags.retries;
  if (flags.metadata) callOptions.metadata = flags.metadata;
  return {
    registry: ctx.registry,
    caller: ctx.client(),
    callOptions,
    tokens: flags.tokens ? readTokens(flags.tokens) : undefined,
    scopes: flags.scope,
    rateLimit: flags.rateLimit ? { rate: flags.rateLimit, burst: flags.burst } : undefined,
    includeDebug: flags.includeDebug === true,
    name: 'nest-micro',
  };
}

export async function runMcp(ctx: CliContext, flags: McpFlags): Promise<number> {
  const options = mcpOptions(ctx, flags);
  const { MicroMcpServer, serveMcpHttp, serveMcpStdio } = await import('../mcp/index.js');
  const mcp = new MicroMcpServer(options);
  try {
    if (flags.http !== undefined) {
      const { host, port } = parseHttpAddress(flags.http);
      const http = await serveMcpHttp(mcp, { host, port, path: flags.path, allowedHosts: flags.allowedHost });
      await mcp.catalog.ready;
      note(`MCP server at ${http.url} (${mcp.catalog.list().length} tools; Ctrl-C to stop)`);
      await ctx.untilStopped();
      await http.close();
    } else {
      const session = await serveMcpStdio(mcp, { token: flags.token ?? process.env.MICRO_MCP_TOKEN });
      await mcp.catalog.ready;
      note(`MCP server on stdio (${mcp.catalog.list().length} tools)`);
      ctx.stopIsNormal = true;
      await Promise.race([session.closed, ctx.untilStopped()]);
      await session.close();
    }
  } finally {
    await mcp.close();
  }
  return 0;
}

export function registerMcp(program: Command, run: Run): void {
  program
    .command('mcp')
    .description('serve every endpoint in the registry as an MCP tool for AI agents (stdio, or --http)')
    .option(
      '--http [address]',
      'serve Streamable HTTP on [host:]port instead of stdio (default 127.0.0.1:3000)',
    )
    .option('--path <path>', 'HTTP path of the MCP endpoint (default /mcp)')
    .option(
      '--allowed-host <name>',
      'Host/Origin name HTTP clients may use (repeatable; default the loopback names)',
      collect,
    )
    .option(
      '--tokens <file>',
      'auth: JSON {"<token>": {"id": "...", "scopes": ["..."]}}; calls then need a token',
    )
    .option('--token <token>', 'stdio: the bearer token of this session (MICRO_MCP_TOKEN)')
    .option(
      '--scope <tool=scopes>',
      'scopes a tool needs, replacing its announced ones (repeatable)',
      collectScope,
    )
    .option('--rate-limit <n>', 'calls per second per tool (token bucket; past it a 429)', parseRate)
    .option(
      '--burst <n>',
      'calls a tool may take at once after a quiet spell (default: one second of --rate-limit)',
      parseCount,
    )
    .option('--include-debug', 'list Debug.* endpoints too')
    .option(
      '-t, --timeout <duration>',
      'budget of each tool call, retries included (default 5s)',
      parseDuration,
    )
    .option('-r, --retries <n>', 'extra attempts on safe failures (default 1)', parseCount)
    .option('-m, --metadata <key:value>', 'metadata sent with every call (repeatable)', collectMetadata)
    .action((flags: McpFlags) => run((ctx) => runMcp(ctx, flags)));
}
