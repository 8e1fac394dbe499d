/**
 * Options of the MCP server (go-micro's gateway/mcp Options, in nest-micro's terms): where tools come
 * from (a registry), how they are called (a client), who may call them (bearer tokens with scopes),
 * how often (a token bucket per tool) and which endpoints become tools.
 */
import type { ClientCallOptions } from '../core/client/call-options.js';
import type { Registry } from '../core/registry/registry.js';
import type { RateLimit } from '../core/token-bucket.js';

/** What a tool call needs of a client: nest-micro's `RpcCaller` and `MicroClient` both fit. */
export interface ToolCaller {
  call<T = unknown>(
    service: string,
    endpoint: string,
    data: unknown,
    options?: Partial<ClientCallOptions>,
  ): Promise<T>;
}

/** The holder of a bearer token: an id (sent on as `Mcp-Account-Id`) and the scopes it grants. */
export interface McpAccount {
  id: string;
  scopes: string[];
}

export interface MicroMcpOptions {
  /** Where services and their endpoints are found (watched for changes). */
  registry: Registry;
  /** Makes the RPC calls: discovery, selection, retries and timeouts are the client's. */
  caller: ToolCaller;
  /** Options of every tool call (timeout, retries, metadata, …) over the client's defaults. */
  callOptions?: Partial<ClientCallOptions>;
  /**
   * Auth: bearer token → account. When set, every tool call needs a known token (HTTP:
   * `Authorization: Bearer <token>`; stdio: `token`), and a tool that declares scopes needs an
   * account holding at least one of them (go-micro's rule, compared case-insensitively).
   */
  tokens?: Record<string, McpAccount>;
  /** Scopes per tool name, replacing those the endpoint announces (go-micro's Options.Scopes). */
  scopes?: Record<string, string[]>;
  /** A token bucket per tool; a call past it is refused with a 429. Default: no limit. */
  rateLimit?: RateLimit;
  /** List `Debug.*` endpoints (health checks) as tools too (default false). */
  includeDebug?: boolean;
  /** Further filter: false leaves the endpoint out. */
  include?: (service: string, endpoint: string) => boolean;
  /** Server name and version in the MCP handshake. */
  name?: string;
  version?: string;
}
