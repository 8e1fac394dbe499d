/**
 * Options of the Consul registry and the construction of the `consul` client from them:
 * host/port or URL (or MICRO_REGISTRY_ADDRESS's "host:port"), ACL token, TLS and datacenter.
 */
import { Agent as HttpsAgent } from 'node:https';
import type Consul from 'consul';
import { consul } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';

export interface ConsulTlsOptions {
  /** PEM CA bundle that signed the agent's certificate. */
  ca?: string | Buffer;
  /** PEM client certificate and key, for agents with `verify_incoming`. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface ConsulRegistryOptions {
  /** Agent host (default 127.0.0.1). */
  host?: string;
  /** Agent HTTP(S) port (default 8500). */
  port?: number;
  /** "http(s)://host:port" or "host:port"; wins over host/port. */
  url?: string;
  /** ACL token, sent as X-Consul-Token. */
  token?: string;
  datacenter?: string;
  /** HTTPS with these certificates (implied by an https:// URL). */
  tls?: ConsulTlsOptions;
  /** Per-request timeout in ms for non-blocking calls (default 10 s). */
  timeout?: number;
  /** Longest blocking-query wait of a watch, in ms (default 5 min, Consul's own default). */
  watchWait?: number;
  /** Read from any server, not only the leader, as go-micro does (default true). */
  allowStale?: boolean;
}

export const CONSUL_ERROR_ID = 'registry.consul';

export interface ResolvedConsulOptions {
  baseUrl: string;
  token?: string;
  datacenter?: string;
  timeout: number;
  watchWait: number;
  allowStale: boolean;
}

/** Turns host/port/url into a base URL; a malformed URL is a 400 MicroError. */
export function resolveConsulOptions(options: ConsulRegistryOptions = {}): ResolvedConsulOptions {
  let secure = options.tls !== undefined;
  let host = options.host ?? '127.0.0.1';
  let port = options.port ?? 8500;
  if (options.url) {
    const text = /^[a-z]+:\/\//i.test(options.url)
      ? options.url
      : `${secure ? 'https' : 'http'}://${options.url}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw MicroError.badRequest(CONSUL_ERROR_ID, `consul registry: invalid address "${options.url}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw MicroError.badRequest(CONSUL_ERROR_ID, `consul registry: unsupported scheme in "${options.url}"`);
    secure = url.protocol === 'https:';
    host = url.hostname;
    port = url.port ? Number(url.port) : secure ? 443 : 80;
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw MicroError.badRequest(CONSUL_ERROR_ID, `consul registry: invalid port ${String(port)}`);
  return {
    baseUrl: `${secure ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/v1`,
    token: options.token,
    datacenter: options.datacenter,
    timeout: options.timeout ?? 10_000,
    watchWait: options.watchWait ?? 300_000,
    allowStale: options.allowStale ?? true,
  };
}

export function createConsulClient(options: ConsulRegistryOptions, resolved: ResolvedConsulOptions): Consul {
  const secure = resolved.baseUrl.startsWith('https:');
  const agent = secure
    ? new HttpsAgent({
        keepAlive: true,
        ca: options.tls?.ca,
        cert: options.tls?.cert,
        key: options.tls?.key,
        rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
      })
    : undefined;
  const defaults: Record<string, unknown> = {};
  if (resolved.token) defaults.token = resolved.token;
  if (resolved.datacenter) defaults.dc = resolved.datacenter;
  // `baseUrl` and `timeout` are papi client options the consul typings do not list.
  const clientOptions = { baseUrl: resolved.baseUrl, timeout: resolved.timeout, defaults, agent };
  return new (consul())(clientOptions as ConstructorParameters<typeof Consul>[0]);
}
