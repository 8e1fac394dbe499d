/**
 * What the HTTP API gateway is built from and how it behaves: the client it calls through (the
 * library's own, so discovery, selection, retries, breakers and deadlines apply), the registry it
 * routes by, and its HTTP policy (body limit, CORS, bearer-token scopes, default timeout).
 */
import type { IncomingMessage } from 'node:http';
import type { ClientCallOptions } from '../core/client/call-options.js';
import type { StreamCallOptions } from '../core/client/stream-caller.js';
import type { MetadataInit } from '../core/metadata/metadata.js';
import type { Registry } from '../core/registry/registry.js';
import type { Source } from '../core/streaming/outbound.js';

/** The calls the gateway makes: `MicroClient` (nest-micro's client) has this shape. */
export interface GatewayClient {
  call<T = unknown>(
    service: string,
    endpoint: string,
    data: unknown,
    options?: Partial<ClientCallOptions>,
  ): Promise<T>;
  stream<T = unknown>(
    service: string,
    endpoint: string,
    requests: Source,
    options?: Partial<StreamCallOptions>,
  ): AsyncIterable<T>;
  publish(topic: string, data: unknown, options?: { metadata?: MetadataInit }): Promise<void>;
}

export interface CorsOptions {
  /** Allowed origins: a list, '*' (any, the default), or a predicate. */
  origins?: string[] | '*' | ((origin: string) => boolean);
  /** Request headers a browser may send (default: what the preflight asks for). */
  headers?: string[];
  /** Send Access-Control-Allow-Credentials: true (then the origin is echoed, never '*'). */
  credentials?: boolean;
  /** How long a preflight answer may be cached, in seconds (default 600). */
  maxAge?: number;
}

/** The scopes a bearer token grants ('*' grants every scope), or undefined for an invalid token. */
export type TokenVerifier = (
  token: string,
  request: IncomingMessage,
) => readonly string[] | undefined | Promise<readonly string[] | undefined>;

export interface GatewayAuthOptions {
  /** Static tokens and their scopes: `{ 's3cret': ['billing.read'] }`. */
  tokens?: Record<string, readonly string[]>;
  /** Or a function (JWT verification, a lookup): token → scopes, undefined when invalid. */
  verify?: TokenVerifier;
  /** Every call needs a valid token, not only endpoints whose metadata declares `scopes`. */
  required?: boolean;
}

export interface GatewayOptions {
  client: GatewayClient;
  registry: Registry;
  /** Largest request body in bytes (default 1 MiB); past it a 413. */
  maxBodySize?: number;
  /** Budget of a call when the request carries no Timeout header, ms (default: the client's, 5 s). */
  timeout?: number;
  /** The longest Timeout header honoured, ms (default 60 s); a longer one is cut to it. */
  maxTimeout?: number;
  /** Cross-origin requests from browsers: off unless given (`true` = any origin). */
  cors?: boolean | CorsOptions;
  /**
   * Bearer tokens checked against endpoint `scopes` metadata (comma-separated, as go-micro writes
   * it). Without it an endpoint that declares scopes is refused (401); `false` turns the check off
   * (when a Nest guard of yours does the authorisation).
   */
  auth?: GatewayAuthOptions | false;
  /** Serve `POST /publish/{topic}` and `POST /micro/broker/{topic}` (default true). */
  publish?: boolean;
  /** Where the gateway is mounted ('/gw' in a Nest app), for the OpenAPI document's server URL. */
  basePath?: string;
  /** Title and version of the OpenAPI document. */
  openapi?: { title?: string; version?: string; description?: string };
  /** Called once per request when the answer is sent: a hook for metrics. */
  onResponse?: (event: GatewayResponseEvent) => void;
}

export interface GatewayResponseEvent {
  /** 'call', 'stream', 'publish', 'openapi', 'registry', 'health' or 'none' (no route). */
  route: string;
  service?: string;
  endpoint?: string;
  status: number;
  /** ms from the request's arrival to the end of the answer. */
  duration: number;
}

export const GATEWAY_DEFAULTS = {
  maxBodySize: 1024 * 1024,
  maxTimeout: 60_000,
} as const;
