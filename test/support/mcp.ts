/**
 * MCP test helpers: `nest-micro mcp` run from source as a child, reached with the official SDK's
 * Client over stdio (the SDK spawns it) or over Streamable HTTP (`--http 127.0.0.1:0`, its URL read
 * from the note it prints), and a watcher that re-lists tools on each tools/list_changed.
 * Everything on 127.0.0.1; children stopped by pid.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { startProcess, waitFor, type Started } from './processes.js';

const CLI = ['--import', './scripts/register-ts.mjs', 'lib/cli/main.ts'];

/** `nest-micro <globalArgs> mcp <mcpArgs>` over stdio, connected. `stderr()` is what it logged. */
export async function stdioMcpClient(
  globalArgs: string[],
  mcpArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<{ client: Client; stderr: () => string; pid: number | null }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...CLI, ...globalArgs, 'mcp', ...mcpArgs],
    env: { ...(process.env as Record<string, string>), ...env },
    cwd: process.cwd(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'nest-micro-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, pid: transport.pid };
}

/** `nest-micro <globalArgs> mcp --http 127.0.0.1:0 <mcpArgs>` as a child, once it printed its URL. */
export async function startHttpMcp(
  globalArgs: string[],
  mcpArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ proc: Started; url: string }> {
  const proc = startProcess(
    process.execPath,
    [...CLI, ...globalArgs, 'mcp', '--http', '127.0.0.1:0', ...mcpArgs],
    env,
  );
  const ready = /MCP server at (http:\/\/\S+)/;
  await waitFor(
    () => ready.test(proc.output()) || proc.child.exitCode !== null,
    60_000,
    'nest-micro mcp --http',
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${proc.output()}`);
  });
  if (proc.child.exitCode !== null) throw new Error(`nest-micro mcp exited: ${proc.output()}`);
  return { proc, url: ready.exec(proc.output())![1]! };
}

/** An SDK Client over Streamable HTTP, with `Authorization: Bearer <token>` when given. */
export async function httpMcpClient(url: string, token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : undefined,
  });
  const client = new Client({ name: 'nest-micro-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/**
 * Counts tools/list_changed notifications and waits for a tool list that satisfies a condition,
 * re-listing only when the server says the list changed (so a tool that appears later proves the
 * notification came).
 */
export function watchTools(client: Client): {
  changes: () => number;
  until: (check: (tools: Tool[]) => boolean, what: string, timeoutMs?: number) => Promise<Tool[]>;
} {
  let changes = 0;
  let wake: (() => void) | undefined;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changes++;
    wake?.();
  });
  return {
    changes: () => changes,
    until: async (check, what, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = changes;
        const { tools } = await client.listTools();
        if (check(tools)) return tools;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`timed out waiting for ${what}; tools: ${tools.map((t) => t.name).join(', ')}`);
        if (changes === seen)
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
      }
    },
  };
}

/** The MicroError JSON a tool error result carries (fails the test if the result is not an error). */
export function toolError(result: unknown): { id: string; code: number; detail: string; status: string } {
  const r = result as CallToolResult;
  if (!r.isError) throw new Error(`expected a tool error, got ${JSON.stringify(r)}`);
  const first = r.content[0];
  return JSON.parse(first?.type === 'text' ? first.text : '{}') as {
    id: string;
    code: number;
    detail: string;
    status: string;
  };
}

/** The JSON reply of a successful tool call (fails the test on a tool error). */
export function toolReply(result: unknown): unknown {
  const r = result as CallToolResult;
  const first = r.content[0];
  if (r.isError) throw new Error(`tool error: ${first?.type === 'text' ? first.text : JSON.stringify(r)}`);
  return JSON.parse(first?.type === 'text' ? first.text : 'null') as unknown;
}
