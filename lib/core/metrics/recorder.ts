/**
 * What nest-micro records, fanned out to every Meter in use: the global MeterProvider's (an SDK the
 * user registered through `@opentelemetry/api`) and providers attached here (the Prometheus endpoint).
 * `activeMetrics()` is undefined while there is none — then the call path builds no attribute and
 * records nothing (one global property read per call is all it costs).
 */
import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { MicroError } from '../errors/micro-error.js';
import type { Node } from '../registry/registry.js';
import { RPC_SYSTEM, nodeAttributes } from '../telemetry/attributes.js';
import { Instruments } from './instruments.js';

const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const REGISTRY = globalThis as unknown as Record<symbol, { metrics?: MeterProvider } | undefined>;
const METER = 'nest-micro';

interface Attached {
  provider: MeterProvider;
  goMicroNames: boolean;
}

const attached: Attached[] = [];
let lastGlobal: MeterProvider | undefined;
let changed = false;
let current: Metrics | undefined;

/** The recorder of the Meters in use, or undefined when no MeterProvider is registered or attached. */
export function activeMetrics(): Metrics | undefined {
  const global = REGISTRY[GLOBAL_KEY]?.metrics;
  if (global === lastGlobal && !changed) return current;
  lastGlobal = global;
  changed = false;
  const sinks = attached.map((a) => new Instruments(a.provider.getMeter(METER), a.goMicroNames));
  if (global !== undefined && !attached.some((a) => a.provider === global))
    sinks.push(new Instruments(global.getMeter(METER), false));
  current = sinks.length > 0 ? new Metrics(sinks) : undefined;
  return current;
}

export interface AttachOptions {
  /** Also record go-micro's Prometheus wrapper metrics (`micro_request_total`, …). Default false. */
  goMicroNames?: boolean;
}

/**
 * Records nest-micro's metrics on `provider` too (besides the global one, if any), until the
 * returned function detaches it. The Prometheus endpoint attaches its own provider this way.
 */
export function attachMeterProvider(provider: MeterProvider, options: AttachOptions = {}): () => void {
  const entry: Attached = { provider, goMicroNames: options.goMicroNames ?? false };
  attached.push(entry);
  changed = true;
  return () => {
    const at = attached.indexOf(entry);
    if (at < 0) return;
    attached.splice(at, 1);
    changed = true;
  };
}

/** Seconds since `startedMs` (a `performance.now()` reading). */
const secondsSince = (startedMs: number): number => (performance.now() - startedMs) / 1000;

function rpc(service: string, endpoint: string): Attributes {
  return { 'rpc.system.name': RPC_SYSTEM, 'rpc.method': `${service}.${endpoint}` };
}

/** A failure's code as `rpc.response.status_code` and `error.type` (class name for non-MicroErrors). */
function withOutcome(attributes: Attributes, error: unknown): Attributes {
  if (error === null || error === undefined) return attributes;
  if (error instanceof MicroError) {
    const code = String(error.code);
    attributes['rpc.response.status_code'] = code;
    attributes['error.type'] = code;
  } else attributes['error.type'] = error instanceof Error ? error.constructor.name : '_OTHER';
  return attributes;
}

function messaging(system: string, topic: string): Attributes {
  return { 'messaging.system': system, 'messaging.destination.name': topic };
}

export class Metrics {
  /** @internal One per set of Meters; see activeMetrics(). */
  constructor(private readonly sinks: readonly Instruments[]) {}

  /** A served call started (in-flight count). */
  serverStarted(service: string, endpoint: string): void {
    const a = rpc(service, endpoint);
    for (const s of this.sinks) s.serverActive.add(1, a);
  }

  /** A served call was answered (`error` null on success); `startedMs` from performance.now(). */
  serverEnded(service: string, endpoint: string, startedMs: number, error: unknown): void {
    const seconds = secondsSince(startedMs);
    const base = rpc(service, endpoint);
    const a = withOutcome({ ...base }, error);
    for (const s of this.sinks) {
      s.serverActive.add(-1, base);
      s.serverDuration.record(seconds, a);
      if (s.goRequests) goMicro(s, service, endpoint, seconds, error);
    }
  }

  /** A call refused before it ran (shed 503, rate limited 429, or any other refusal by limits). */
  shed(service: string, endpoint: string, error: MicroError): void {
    const a = withOutcome(rpc(service, endpoint), error);
    for (const s of this.sinks) s.shed.add(1, a);
  }

  clientStarted(service: string, endpoint: string): void {
    const a = rpc(service, endpoint);
    for (const s of this.sinks) s.clientActive.add(1, a);
  }

  /** A call settled: its whole duration, retries included, and the node of its last attempt. */
  clientEnded(service: string, endpoint: string, startedMs: number, node: Node | undefined, error: unknown) {
    const seconds = secondsSince(startedMs);
    const base = rpc(service, endpoint);
    const a = withOutcome({ ...base }, error);
    if (node !== undefined) {
      const n = nodeAttributes(node);
      a['server.address'] = n['server.address'];
      if (n['server.port'] !== undefined) a['server.port'] = n['server.port'];
    }
    for (const s of this.sinks) {
      s.clientActive.add(-1, base);
      s.clientDuration.record(seconds, a);
    }
  }

  /** A retry of a call, after `error`. */
  retry(service: string, endpoint: string, error: unknown): void {
    const a = withOutcome(rpc(service, endpoint), error);
    for (const s of this.sinks) s.retries.add(1, a);
  }

  /** The selector took `node` of `service` out of selection. */
  ejected(service: string, nodeId: string): void {
    const a = { 'micro.service': service, 'micro.node.id': nodeId };
    for (const s of this.sinks) s.ejections.add(1, a);
  }

  /** Circuit breaker `name` entered `state` (`open`, `half-open`, `closed`). */
  breakerChanged(name: string, service: string, state: string): void {
    const a = { 'micro.breaker.name': name, 'micro.service': service, 'micro.breaker.state': state };
    for (const s of this.sinks) s.breakerTransitions.add(1, a);
  }

  /** `count` stream messages sent or received on a stream of `service.endpoint`. */
  streamMessages(service: string, endpoint: string, client: boolean, sent: boolean, count = 1): void {
    const a = rpc(service, endpoint);
    a['micro.stream.side'] = client ? 'client' : 'server';
    for (const s of this.sinks) (sent ? s.streamSent : s.streamReceived).add(count, a);
  }

  published(system: string, topic: string, error: unknown): void {
    const a = withOutcome(messaging(system, topic), error);
    for (const s of this.sinks) s.published.add(1, a);
  }

  /** A message delivered to the subscribers of `topic`; `attempt` > 1 is a redelivery. */
  delivered(
    system: string,
    topic: string,
    startedMs: number,
    attempt: number | undefined,
    error: unknown,
  ): void {
    const seconds = secondsSince(startedMs);
    const a = withOutcome(messaging(system, topic), error);
    for (const s of this.sinks) {
      s.delivered.add(1, a);
      if (attempt !== undefined && attempt > 1) s.redelivered.add(1, messaging(system, topic));
      if (s.goRequests) goMicro(s, 'subscriber', topic, seconds, error);
    }
  }

  deadLettered(system: string, topic: string): void {
    const a = messaging(system, topic);
    for (const s of this.sinks) s.deadLettered.add(1, a);
  }

  /** A registry watch event (`create`, `update`, `delete`) for `service`. */
  watchEvent(registry: string, action: string, service: string): void {
    const a = { 'micro.registry': registry, 'micro.registry.action': action, 'micro.service': service };
    for (const s of this.sinks) s.watchEvents.add(1, a);
  }

  /** A lookup of `service` answered from an expired entry because the registry failed. */
  staleServed(registry: string, service: string): void {
    const a = { 'micro.registry': registry, 'micro.service': service };
    for (const s of this.sinks) s.staleServed.add(1, a);
  }
}

/** go-micro's Prometheus wrapper: labels service, endpoint and status (`success` / `fail`). */
function goMicro(s: Instruments, service: string, endpoint: string, seconds: number, error: unknown): void {
  const labels = { service, endpoint, status: error === null || error === undefined ? 'success' : 'fail' };
  s.goRequests!.add(1, labels);
  s.goDuration!.record(seconds, labels);
}
