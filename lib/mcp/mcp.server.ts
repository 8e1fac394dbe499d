/**
 * MicroMcpServer: the fleet as MCP tools, on the official SDK. One catalog of tools (registry-fed,
 * watched) and one call path (auth, scopes, rate limits, the normal client) shared by every MCP
 * session; each session is an SDK `Server` on its own transport (stdio: one; Streamable HTTP: one
 * per client session), and every session hears `notifications/tools/list_changed` when the fleet's
 * tools change. The low-level SDK `Server` is used because the tools are generated at run time from
 * JSON Schema, which `McpServer.registerTool` (Zod schemas) does not take.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { loggerFor } from '../core/logger.js';
import type { McpAccount, MicroMcpOptions } from './mcp.options.js';
import { ToolCatalog } from './tool-catalog.js';
import { ToolCalls } from './tool-call.js';
import type { McpTool } from './tools.js';

const logger = loggerFor('McpServer');

export interface McpSessionOptions {
  /**
   * The bearer token of a session whose transport carries none per request (stdio): the identity
   * of every call in it. Per-request auth (Streamable HTTP) takes precedence.
   */
  token?: string;
}

export class MicroMcpServer {
  readonly catalog: ToolCatalog;
  private readonly calls: ToolCalls;
  private readonly sessions = new Set<Server>();
  private closed = false;

  constructor(readonly options: MicroMcpOptions) {
    this.calls = new ToolCalls(options);
    this.catalog = new ToolCatalog(options.registry, options, () => this.toolsChanged());
  }

  /** Auth is configured: tool calls need a known bearer token. */
  get authRequired(): boolean {
    return this.options.tokens !== undefined;
  }

  /** The account a bearer token stands for (undefined when unknown). */
  account(token: string | undefined): McpAccount | undefined {
    if (token === undefined || !this.options.tokens || !Object.hasOwn(this.options.tokens, token))
      return undefined;
    return this.options.tokens[token];
  }

  /** The tools as MCP lists them, once the registry has been read. */
  async tools(): Promise<Tool[]> {
    await this.catalog.ready;
    return this.catalog.list().map(listed);
  }

  /** Opens an MCP session over `transport`; it ends when the transport closes. */
  async connect(transport: Transport, session: McpSessionOptions = {}): Promise<Server> {
    if (this.closed) throw new Error('MicroMcpServer is closed');
    const server = new Server(
      { name: this.options.name ?? 'nest-micro-mcp', version: this.options.version ?? '0.0.0' },
      { capabilities: { tools: { listChanged: true } } },
    );
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.tools() }));
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      await this.catalog.ready;
      const tool = this.catalog.get(request.params.name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name}`);
      const token = extra.authInfo?.token ?? session.token;
      return this.calls.call(tool, request.params.arguments, { account: this.account(token) });
    });
    // oxlint-disable-next-line unicorn/prefer-add-event-listener -- the SDK's transports and servers take handlers as properties
    server.onclose = () => this.sessions.delete(server);
    this.sessions.add(server);
    await server.connect(transport);
    return server;
  }

  /** Stops watching the registry and closes every session. */
  async close(): Promise<void> {
    this.closed = true;
    this.catalog.close();
    const open = [...this.sessions];
    this.sessions.clear();
    await Promise.allSettled(open.map((s) => s.close()));
  }

  private toolsChanged(): void {
    for (const server of this.sessions) {
      server.sendToolListChanged().catch((error: unknown) => {
        logger.debug(`tools/list_changed not delivered to a session: ${String(error)}`);
      });
    }
  }
}

function listed(tool: McpTool): Tool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
  };
}
