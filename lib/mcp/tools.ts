/**
 * Registry services → MCP tools, as go-micro's gateway/mcp names and describes them: one tool per
 * endpoint, named `service.Endpoint` (e.g. `blog.Blog.Create`), described by the endpoint's
 * `description` metadata (else "Call <Endpoint> on <service> service"), its input schema the JSON
 * Schema of the request field tree with the `example` metadata as `examples`, its scopes the
 * `scopes` metadata (comma-separated) unless the options replace them.
 *
 * Left out: `Debug.*` endpoints (unless asked for), subscribers (topics, not calls) and streaming
 * endpoints (a tool call is one request and one reply), and names MCP cannot carry.
 */
import { endpointExample, requestSchema, type JsonSchema } from '../core/registry/json-schema.js';
import type { Endpoint, Service } from '../core/registry/registry.js';
import type { MicroMcpOptions } from './mcp.options.js';

export interface McpTool {
  /** The MCP tool name: `service.Endpoint`, characters outside [A-Za-z0-9._-] replaced by `_`. */
  name: string;
  service: string;
  endpoint: string;
  description: string;
  /** Always an object schema (MCP requires one); see `wrapped`. */
  inputSchema: JsonSchema & { type: 'object' };
  /**
   * The request is not an object (a string, an array…): the tool takes it as its `request`
   * argument and sends that alone.
   */
  wrapped: boolean;
  /** Scopes of which the caller needs one when auth is configured; empty for none. */
  scopes: string[];
}

/** MCP's tool name rule (spec 2025-11-25, "Tool Names"): 1-128 of A-Z a-z 0-9 _ - . */
const MAX_NAME = 128;
const NOT_NAME_CHAR = /[^A-Za-z0-9._-]/g;

export function toolName(service: string, endpoint: string): string {
  return `${service}.${endpoint}`.replace(NOT_NAME_CHAR, '_');
}

type Filters = Pick<MicroMcpOptions, 'includeDebug' | 'include' | 'scopes'>;

function isTool(service: string, endpoint: Endpoint, options: Filters): boolean {
  if (endpoint.metadata?.subscriber === 'true' || endpoint.metadata?.stream === 'true') return false;
  if (!options.includeDebug && endpoint.name.startsWith('Debug.')) return false;
  return options.include?.(service, endpoint.name) ?? true;
}

function scopesOf(name: string, endpoint: Endpoint, options: Filters): string[] {
  const override = options.scopes?.[name];
  if (override) return [...override];
  const announced = endpoint.metadata?.scopes ?? '';
  return announced
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function describe(service: string, endpoint: Endpoint): string {
  const description = endpoint.metadata?.description || `Call ${endpoint.name} on ${service} service`;
  const example = endpoint.metadata?.example;
  // a JSON example goes in the schema's `examples`; other text is only useful read
  return example && endpointExample(endpoint) === undefined
    ? `${description}\nExample: ${example}`
    : description;
}

function toolOf(service: string, endpoint: Endpoint, options: Filters): McpTool {
  const name = toolName(service, endpoint.name);
  const schema = requestSchema(endpoint);
  const isObject = schema.type === 'object';
  const inputSchema: McpTool['inputSchema'] = isObject
    ? { ...schema, type: 'object' }
    : { type: 'object', properties: { request: schema }, required: ['request'] };
  return {
    name,
    service,
    endpoint: endpoint.name,
    description: describe(service, endpoint),
    inputSchema,
    wrapped: !isObject,
    scopes: scopesOf(name, endpoint, options),
  };
}

/**
 * The tools of these services (every version of a name: the first to announce an endpoint wins),
 * sorted by name; the first of two endpoints whose names collide once cleaned wins.
 */
export function toolsOf(
  services: Service[],
  options: Pick<MicroMcpOptions, 'includeDebug' | 'include' | 'scopes'> = {},
): McpTool[] {
  const tools = new Map<string, McpTool>();
  for (const service of services) {
    for (const endpoint of service.endpoints) {
      if (!isTool(service.name, endpoint, options)) continue;
      const name = toolName(service.name, endpoint.name);
      if (name.length > MAX_NAME || tools.has(name)) continue;
      tools.set(name, toolOf(service.name, endpoint, options));
    }
  }
  return [...tools.values()].toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
