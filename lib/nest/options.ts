/**
 * MicroOptions: everything a service and its clients are configured with, and `resolveOptions`,
 * the one place where defaults are filled in and go-micro's MICRO_* environment variables laid
 * over them (so Go and Node services are operated alike).
 */
import { randomUUID } from 'node:crypto';
import type { Broker } from '../core/broker/broker.js';
import type { Codec } from '../core/codec/codec.js';
import type { Registry } from '../core/registry/registry.js';
import type { Selector, SelectorOptions } from '../core/selector/selector.js';
import type { ValidatePayloadOptions } from './validation/validate-payload.js';
import type { Transport } from '../core/transport/transport.js';
import {
  createBroker,
  createCodecs,
  createRegistry,
  createSelector,
  createTransport,
} from '../core/plugins.js';
import type { ClientCallOptions } from '../core/client/call-options.js';
import type { RateLimit } from './server/limits.js';
import { DEFAULT_MAX_BODY } from '../core/limits.js';
import type { LogFormat } from './logging/trace-context.logger.js';
import type { PrometheusOptions } from '../core/metrics/prometheus.js';

export interface MicroOptions {
  /** Service name, e.g. "greeter". Required for a server; clients may omit it. */
  name?: string;
  /** Default "latest". */
  version?: string;
  /** Default "<name>-<uuid>". */
  id?: string;
  /** Listen address, "host:port" (default ":0", every interface, a free port). */
  address?: string;
  /** Address announced to the registry when it differs from the listen address (NAT, containers). */
  advertise?: string;
  /** Service-level metadata. */
  metadata?: Record<string, string>;
  registry?: Registry;
  selector?: Selector;
  /** Options of the default selector (strategy, filters, node health) when `selector` is not given. */
  selectorOptions?: Omit<SelectorOptions, 'registry'>;
  transport?: Transport;
  /**
   * Transports for calls to nodes announcing another kind than `transport`'s (go-micro nodes announce
   * `http`), e.g. `[new HttpTransport({ poolSize: 20 })]`; a kind not given here is made from
   * `transport`'s options where they carry over.
   */
  transports?: Transport[];
  broker?: Broker;
  /** Codecs by Content-Type; the first is the client's default. Default: JSON. */
  codecs?: Codec[];
  /** Re-register interval in ms (default 30 s). */
  registerInterval?: number;
  /** Registration TTL in ms (default 90 s). */
  registerTTL?: number;
  /** Largest request body in bytes (default 4 MiB). */
  maxBodySize?: number;
  /** How long a stopping server waits for in-flight calls, ms (default 10 s). */
  drainTimeout?: number;
  /**
   * Calls and open streams the service handles at once (default 4096; Infinity for no limit). Past
   * it, and past `maxQueued` waiting, a call is refused at once with a retryable 503 (load shedding:
   * the client retries on another node). Handlers may set tighter limits of their own.
   */
  maxConcurrent?: number;
  /** Calls waiting for a slot once `maxConcurrent` run (default 0: shed at once, never queue). */
  maxQueued?: number;
  /** Service-wide token bucket, calls per second (default none); past it a call gets a 429. */
  rateLimit?: RateLimit;
  /**
   * After deregistering, how long a stopping server keeps serving so clients' caches drop the node,
   * ms (default 1 s); then it refuses new calls with a retryable "draining" error.
   */
  propagationDelay?: number;
  /** go-micro's BeforeStart/AfterStart/BeforeStop/AfterStop hooks; a throwing start hook aborts the start. */
  hooks?: LifecycleHooks;
  /** Payload validation of handlers whose payload class has class-validator decorators. */
  validation?: Pick<ValidatePayloadOptions, 'whitelist' | 'forbidUnknown' | 'groups'>;
  /** Defaults for every call made by clients of this module. */
  client?: Partial<ClientCallOptions>;
  /**
   * Log correlation: Nest's logger lines written during a call carry its trace and span id
   * (`trace_id`, `span_id`), as text (`… trace_id=… span_id=…`) or one JSON object per line. The
   * module makes a TraceContextLogger the app's logger when Nest's ConsoleLogger is (levels kept).
   * MICRO_LOG_FORMAT=text|json sets it too. Default: off.
   */
  logFormat?: LogFormat;
  /**
   * Serve nest-micro's metrics for Prometheus to scrape, from start-up to `app.close()`:
   * `{ port: 9464, host: '127.0.0.1', path: '/metrics', goMicroNames: true }` (needs
   * `@opentelemetry/exporter-prometheus`). Without it metrics still go to a MeterProvider registered
   * through `@opentelemetry/api`.
   */
  metrics?: MetricsEndpointOptions;
  /** Read MICRO_* environment variables (default true). */
  env?: boolean;
}

/** The Prometheus endpoint of a module (see README "Metrics"). */
export type MetricsEndpointOptions = Omit<PrometheusOptions, 'serviceName'>;

export interface ResolvedOptions {
  name: string;
  version: string;
  id: string;
  address: string;
  advertise?: string;
  metadata: Record<string, string>;
  registry: Registry;
  selector: Selector;
  transport: Transport;
  transports: Transport[];
  broker: Broker;
  codecs: Codec[];
  registerInterval: number;
  registerTTL: number;
  maxBodySize: number;
  drainTimeout: number;
  propagationDelay: number;
  maxConcurrent: number;
  maxQueued: number;
  rateLimit?: RateLimit;
  validation: Pick<ValidatePayloadOptions, 'whitelist' | 'forbidUnknown' | 'groups'>;
  hooks: Required<{ [K in keyof LifecycleHooks]: Array<() => unknown> }>;
  client: Partial<ClientCallOptions>;
  logFormat?: LogFormat;
  metrics?: MetricsEndpointOptions;
}

export const DEFAULTS = {
  version: 'latest',
  address: ':0',
  registerInterval: 30_000,
  registerTTL: 90_000,
  maxBodySize: DEFAULT_MAX_BODY,
  drainTimeout: 10_000,
  propagationDelay: 1_000,
  maxConcurrent: 4096,
  maxQueued: 0,
} as const;

export type Hook = () => unknown;

export interface LifecycleHooks {
  beforeStart?: Hook | Hook[];
  afterStart?: Hook | Hook[];
  beforeStop?: Hook | Hook[];
  afterStop?: Hook | Hook[];
}

/** go-micro's MICRO_REGISTER_TTL / MICRO_REGISTER_INTERVAL are whole seconds. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value) * 1000;
}

/** MICRO_LOG_FORMAT: `text` or `json` (anything else is ignored). */
function logFormat(value: string | undefined): LogFormat | undefined {
  const v = value?.trim().toLowerCase();
  return v === 'text' || v === 'json' ? v : undefined;
}

const hookList = (hook: Hook | Hook[] | undefined): Hook[] =>
  hook === undefined ? [] : Array.isArray(hook) ? hook : [hook];

type Env = Record<string, string | undefined>;

/** Fills defaults and applies MICRO_* overrides. Environment wins over code, as in go-micro. */
export function resolveOptions(options: MicroOptions, env: Env = process.env): ResolvedOptions {
  const e: Env = options.env === false ? {} : env;
  const name = options.name ?? 'nest-micro-client';
  // The default registry's address always honours the environment, so `env: false` can never
  // send mDNS out of an interface the operator pinned (tests and the sample pin 127.0.0.1).
  const registry = e.MICRO_REGISTRY
    ? createRegistry(e.MICRO_REGISTRY, e.MICRO_REGISTRY_ADDRESS)
    : (options.registry ?? createRegistry(undefined, env.MICRO_REGISTRY_ADDRESS));
  const selector =
    options.selector && !e.MICRO_REGISTRY
      ? options.selector
      : createSelector(registry, options.selectorOptions);
  return {
    name,
    version: options.version ?? DEFAULTS.version,
    id: options.id ?? `${name}-${randomUUID()}`,
    address: e.MICRO_SERVER_ADDRESS ?? options.address ?? DEFAULTS.address,
    advertise: e.MICRO_SERVER_ADVERTISE ?? options.advertise,
    metadata: { ...options.metadata },
    registry,
    selector,
    transport: e.MICRO_TRANSPORT
      ? createTransport(e.MICRO_TRANSPORT, e.MICRO_TRANSPORT_ADDRESS)
      : (options.transport ?? createTransport(undefined)),
    transports: [...(options.transports ?? [])],
    broker: e.MICRO_BROKER
      ? createBroker(e.MICRO_BROKER, e.MICRO_BROKER_ADDRESS, registry)
      : (options.broker ?? createBroker(undefined, e.MICRO_BROKER_ADDRESS, registry)),
    codecs: options.codecs ?? createCodecs(),
    registerInterval:
      seconds(e.MICRO_REGISTER_INTERVAL) ?? options.registerInterval ?? DEFAULTS.registerInterval,
    registerTTL: seconds(e.MICRO_REGISTER_TTL) ?? options.registerTTL ?? DEFAULTS.registerTTL,
    maxBodySize: options.maxBodySize ?? DEFAULTS.maxBodySize,
    drainTimeout: options.drainTimeout ?? DEFAULTS.drainTimeout,
    propagationDelay: options.propagationDelay ?? DEFAULTS.propagationDelay,
    maxConcurrent: options.maxConcurrent ?? DEFAULTS.maxConcurrent,
    maxQueued: options.maxQueued ?? DEFAULTS.maxQueued,
    rateLimit: options.rateLimit,
    validation: { ...options.validation },
    hooks: {
      beforeStart: hookList(options.hooks?.beforeStart),
      afterStart: hookList(options.hooks?.afterStart),
      beforeStop: hookList(options.hooks?.beforeStop),
      afterStop: hookList(options.hooks?.afterStop),
    },
    client: { ...options.client },
    logFormat: logFormat(e.MICRO_LOG_FORMAT) ?? options.logFormat,
    metrics: options.metrics && { ...options.metrics },
  };
}
