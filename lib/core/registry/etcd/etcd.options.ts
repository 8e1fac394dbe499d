/**
 * Options of the etcd registry and the construction of the `etcd3` client from them: endpoints
 * ("host[:port]" or URLs, comma-separated as MICRO_REGISTRY_ADDRESS gives them; port 2379 by
 * default, as go-micro does), user/password auth (go-micro's ETCD_USERNAME / ETCD_PASSWORD), TLS,
 * and a deadline on every unary call so a caller never hangs on an unreachable cluster.
 */
import type { Etcd3, IOptions } from 'etcd3';
import { cockatiel, etcd3 } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';

export interface EtcdTlsOptions {
  /** PEM CA bundle that signed the servers' certificates. */
  ca: string | Buffer;
  /** PEM client certificate and key, for clusters with --client-cert-auth. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface EtcdRegistryOptions {
  /** Endpoints: "host", "host:port" or "http(s)://host:port" (default 127.0.0.1:2379). */
  hosts?: string | string[];
  /** etcd user/password auth (default from ETCD_USERNAME / ETCD_PASSWORD, as go-micro reads them). */
  auth?: { username: string; password: string };
  /** HTTPS endpoints with these certificates (implied by https:// endpoints' scheme). */
  tls?: EtcdTlsOptions;
  /** Deadline of every unary call and of connecting, in ms (default 5 s, go-micro's Timeout). */
  timeout?: number;
  /** Key prefix (default go-micro's "/micro/registry/"). */
  prefix?: string;
  /** Read the environment for ETCD_USERNAME / ETCD_PASSWORD (default true). */
  env?: boolean;
}

export const ETCD_ERROR_ID = 'registry.etcd';
export const DEFAULT_PREFIX = '/micro/registry/';
const DEFAULT_PORT = 2379;

export interface ResolvedEtcdOptions {
  hosts: string[];
  timeout: number;
  prefix: string;
}

function endpoint(text: string, secure: boolean): string {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `${secure ? 'https' : 'http'}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw MicroError.badRequest(ETCD_ERROR_ID, `etcd registry: invalid address "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw MicroError.badRequest(ETCD_ERROR_ID, `etcd registry: unsupported scheme in "${text}"`);
  const port = url.port ? Number(url.port) : DEFAULT_PORT;
  return `${url.protocol}//${url.hostname}:${port}`;
}

/** Normalizes endpoints and defaults; a malformed address is a 400 MicroError. */
export function resolveEtcdOptions(options: EtcdRegistryOptions = {}): ResolvedEtcdOptions {
  const list = (Array.isArray(options.hosts) ? options.hosts : (options.hosts ?? '').split(','))
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  const secure = options.tls !== undefined;
  const hosts = (list.length ? list : [`127.0.0.1:${DEFAULT_PORT}`]).map((h) => endpoint(h, secure));
  const timeout = options.timeout ?? 5_000;
  if (!(timeout > 0)) throw MicroError.badRequest(ETCD_ERROR_ID, `etcd registry: invalid timeout ${timeout}`);
  let prefix = options.prefix ?? DEFAULT_PREFIX;
  if (!prefix.endsWith('/')) prefix += '/';
  return { hosts, timeout, prefix };
}

function credentials(options: EtcdRegistryOptions): { username: string; password: string } | undefined {
  if (options.auth) return options.auth;
  if (options.env === false) return undefined;
  const username = process.env.ETCD_USERNAME;
  const password = process.env.ETCD_PASSWORD;
  return username && password ? { username, password } : undefined;
}

const buffer = (v: string | Buffer | undefined): Buffer | undefined =>
  v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(v);

export function createEtcdClient(options: EtcdRegistryOptions, resolved: ResolvedEtcdOptions): Etcd3 {
  const { Etcd3, isRecoverableError } = etcd3();
  // cockatiel: the policy library etcd3 takes its fault handling from.
  const { handleWhen, retry, circuitBreaker, ConsecutiveBreaker, ExponentialBackoff } = cockatiel();
  const auth = credentials(options);
  const clientOptions: IOptions = {
    hosts: resolved.hosts,
    dialTimeout: resolved.timeout,
    // Unary calls carry a deadline; streams (watch, keepalive) do not.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + resolved.timeout }),
    faultHandling: {
      // One retry (on another endpoint when there are several), and a breaker per endpoint: an
      // unreachable cluster fails a call within about two timeouts, not four.
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 1 }),
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: 1_000,
          breaker: new ConsecutiveBreaker(3),
        }),
      // etcd3 asks this factory for its first backoff without a context (its own default is one).
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5_000 }) as never,
    },
  };
  if (auth) clientOptions.auth = { username: auth.username, password: auth.password };
  if (options.tls || resolved.hosts.some((h) => h.startsWith('https:'))) {
    const ca = buffer(options.tls?.ca);
    if (ca)
      clientOptions.credentials = {
        rootCertificate: ca,
        certChain: buffer(options.tls?.cert),
        privateKey: buffer(options.tls?.key),
      };
  }
  return new Etcd3(clientOptions);
}
