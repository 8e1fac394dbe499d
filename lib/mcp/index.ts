/**
 * nest-micro/mcp: the fleet as tools for AI agents (go-micro's gateway/mcp), on the official MCP
 * SDK. `MicroMcpServer` lists every endpoint in the registry as a tool `service.Endpoint` (JSON
 * Schema from its field tree, description and example from its metadata), follows registry changes
 * (tools/list_changed) and calls tools through the normal client, with bearer-token scopes and
 * per-tool rate limits. Serve it over stdio (`serveMcpStdio`, local agents) or Streamable HTTP
 * (`serveMcpHttp`, remote agents). Nest-free; `nest-micro mcp` is the command line for it.
 */
export { MicroMcpServer, type McpSessionOptions } from './mcp.server.js';
export type { McpAccount, MicroMcpOptions, ToolCaller } from './mcp.options.js';
export { serveMcpHttp, type McpHttpOptions, type McpHttpServer } from './http.js';
export { serveMcpStdio, type McpStdioOptions, type McpStdioSession } from './stdio.js';
export { toolName, toolsOf, type McpTool } from './tools.js';
export { ToolCatalog } from './tool-catalog.js';
export { hasScope, MCP_METADATA } from './tool-call.js';
