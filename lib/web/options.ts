/**
 * What the dashboard is built from and how its HTTP API behaves: the client it calls and publishes
 * through, the registry it shows and routes by, the broker it subscribes with, and its limits (an
 * optional bearer token, a per-IP rate limit, the body limit, the longest timeout honoured).
 */
import type { Broker } from '../core/broker/broker.js';
import type { Registry } from '../core/registry/registry.js';
import type { RateLimit } from '../core/token-bucket.js';
import type { GatewayClient } from '../gateway/options.js';

export interface DashboardOptions {
  /** The library's client (`MicroClient`): calls, streams, publishes, Debug.Health/Stats. */
  client: GatewayClient;
  registry: Registry;
  /** For `api/subscribe` (broadcast subscriptions); without it that route answers 404. */
  broker?: Broker;
  /** When set, every `/api` request needs `Authorization: Bearer <token>` or `?token=<token>`. */
  token?: string;
  /** API requests per client IP (token bucket; default 20/s, burst 40); `false` turns it off. */
  rateLimit?: RateLimit | false;
  /** Largest request body in bytes (default 1 MiB); past it a 413. */
  maxBodySize?: number;
  /** Budget of a call that names none, ms (default: the client's). */
  timeout?: number;
  /** The longest timeout a request may ask for, ms (default 60 s). */
  maxTimeout?: number;
  /** Budget of each node's Debug.Health / Debug.Stats answer, ms (default 2 s). */
  nodeTimeout?: number;
  /**
   * Host names the Host header may carry (against DNS rebinding). Default: when `listen()` binds a
   * loopback address, `localhost`, `127.0.0.1` and `::1`; otherwise (and when mounted) any.
   */
  allowedHosts?: string[];
  /** Where the static assets are (default: beside the module, or lib/web/assets in a checkout). */
  assetsDir?: string;
}

export const DASHBOARD_DEFAULTS = {
  rateLimit: { rate: 20, burst: 40 },
  maxBodySize: 1024 * 1024,
  maxTimeout: 60_000,
  nodeTimeout: 2_000,
} as const;

/** The `id` of the dashboard's own refusals (not in the registry, limits, auth). */
export const WEB_ERROR_ID = 'micro.web';
