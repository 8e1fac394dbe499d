/**
 * MCP over stdio for local agents (the agent spawns the server and talks JSON-RPC on its stdin and
 * stdout): one session on the SDK's StdioServerTransport. It ends when stdin ends (the agent went
 * away) or on `close()`. Nothing else may write to stdout meanwhile: log to stderr.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpSessionOptions, MicroMcpServer } from './mcp.server.js';

export interface McpStdioOptions extends McpSessionOptions {
  stdin?: Readable;
  stdout?: Writable;
}

export interface McpStdioSession {
  /** Resolves when the session ended (stdin closed, or `close()`). */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function serveMcpStdio(
  mcp: MicroMcpServer,
  options: McpStdioOptions = {},
): Promise<McpStdioSession> {
  const stdin = options.stdin ?? process.stdin;
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout);
  // the SDK's Server keeps this handler when it connects (it chains its own after it)
  // oxlint-disable-next-line unicorn/prefer-add-event-listener -- the SDK's transports and servers take handlers as properties
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  const server = await mcp.connect(transport, { token: options.token });
  const end = (): void => void server.close().catch(() => undefined);
  stdin.once('end', end);
  stdin.once('close', end);
  return {
    closed,
    close: async () => {
      stdin.off('end', end);
      stdin.off('close', end);
      await server.close();
    },
  };
}
