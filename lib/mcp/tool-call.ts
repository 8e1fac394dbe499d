/**
 * One tool call, as go-micro's MCP gateway makes it: the caller's token (when auth is configured),
 * the tool's scopes, the tool's rate limit, then the arguments against the input schema, then the RPC
 * through the normal client with `Mcp-Tool-Name`, `Mcp-Trace-Id` and `Mcp-Account-Id` metadata.
 * Every refusal and every failed call is an MCP tool error (`isError`) whose text is the MicroError's
 * JSON ({id, code, detail, status}), so an agent reads it and the caller's code can act on the code:
 * 401 no or unknown token, 403 missing scope, 429 rate limited, 400 arguments that do not fit,
 * and the service's own errors as they came.
 */
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { ERROR_ID } from '../core/errors/ids.js';
import { toMicroError } from '../core/errors/from-unknown.js';
import { MicroError } from '../core/errors/micro-error.js';
import { rateLimited } from '../core/errors/overload.js';
import { TokenBucket } from '../core/token-bucket.js';
import type { McpAccount, MicroMcpOptions } from './mcp.options.js';
import type { McpTool } from './tools.js';

const ID = ERROR_ID.mcp;

/** go-micro's metadata keys for MCP calls (gateway/mcp: TraceIDKey, ToolNameKey, AccountIDKey). */
export const MCP_METADATA = {
  traceId: 'Mcp-Trace-Id',
  toolName: 'Mcp-Tool-Name',
  accountId: 'Mcp-Account-Id',
} as const;

/** The caller of a tool: an account when a known token came with the call. */
export interface ToolCallAuth {
  account?: McpAccount;
}

export class ToolCalls {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly validators = new Map<string, JsonSchemaValidator<unknown>>();
  private readonly ajv = new AjvJsonSchemaValidator();

  /** The per-tool limit (a bucket built now, so a bad rate or burst throws here). */
  private readonly limit?: TokenBucket;

  constructor(private readonly options: MicroMcpOptions) {
    if (options.rateLimit) this.limit = new TokenBucket(options.rateLimit.rate, options.rateLimit.burst);
  }

  async call(
    tool: McpTool,
    args: Record<string, unknown> | undefined,
    auth: ToolCallAuth,
  ): Promise<CallToolResult> {
    const refused = this.admit(tool, args ?? {}, auth);
    if (refused) return errorResult(refused);
    const metadata: Record<string, string> = {
      [MCP_METADATA.traceId]: randomUUID(),
      [MCP_METADATA.toolName]: tool.name,
    };
    if (auth.account) metadata[MCP_METADATA.accountId] = auth.account.id;
    const request = tool.wrapped ? args?.request : (args ?? {});
    try {
      const reply = await this.options.caller.call(tool.service, tool.endpoint, request, {
        ...this.options.callOptions,
        metadata: { ...this.options.callOptions?.metadata, ...metadata },
      });
      return replyResult(reply);
    } catch (error) {
      return errorResult(toMicroError(error, ID));
    }
  }

  /** The refusal of a call before any RPC, or undefined when it may go ahead. */
  private admit(tool: McpTool, args: Record<string, unknown>, auth: ToolCallAuth): MicroError | undefined {
    if (this.options.tokens) {
      if (!auth.account) return MicroError.unauthorized(ID, `${tool.name}: a valid bearer token is required`);
      if (tool.scopes.length && !hasScope(auth.account.scopes, tool.scopes))
        return MicroError.forbidden(ID, `${tool.name}: needs one of the scopes ${tool.scopes.join(', ')}`);
    }
    const bucket = this.bucket(tool.name);
    if (bucket && !bucket.take()) return rateLimited(`${ID}:${tool.name}`, bucket.rate);
    const validate = this.validator(tool);
    const checked = validate(args);
    if (!checked.valid)
      return MicroError.badRequest(
        ID,
        `${tool.name}: arguments do not match the input schema: ${checked.errorMessage}`,
      );
    return undefined;
  }

  private bucket(name: string): TokenBucket | undefined {
    const limit = this.limit;
    if (!limit) return undefined;
    let bucket = this.buckets.get(name);
    if (!bucket) this.buckets.set(name, (bucket = new TokenBucket(limit.rate, limit.burst)));
    return bucket;
  }

  /** Compiled once per distinct schema (tools come and go; their schemas are few). */
  private validator(tool: McpTool): JsonSchemaValidator<unknown> {
    const key = JSON.stringify(tool.inputSchema);
    let validate = this.validators.get(key);
    if (!validate)
      this.validators.set(key, (validate = this.ajv.getValidator(tool.inputSchema as JsonSchemaType)));
    return validate;
  }
}

/**
 * go-micro's hasScope: the account holds at least one of the required scopes (case-insensitive);
 * `*` holds every scope, as for the API gateway's tokens.
 */
export function hasScope(held: string[], required: string[]): boolean {
  const have = new Set(held.map((s) => s.toLowerCase()));
  return have.has('*') || required.some((s) => have.has(s.toLowerCase()));
}

function replyResult(reply: unknown): CallToolResult {
  const result: CallToolResult = { content: [{ type: 'text', text: JSON.stringify(reply ?? null) }] };
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply) && !Buffer.isBuffer(reply))
    result.structuredContent = reply as Record<string, unknown>;
  return result;
}

/** A tool error carrying the MicroError's JSON, as text and as structured content. */
export function errorResult(error: MicroError): CallToolResult {
  const json = error.toJSON();
  return {
    isError: true,
    content: [{ type: 'text', text: JSON.stringify(json) }],
    structuredContent: { ...json },
  };
}
