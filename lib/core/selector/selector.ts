/**
 * Selector: client-side load balancing (go-micro's selector.Selector). `select` returns a `Next`
 * that yields nodes of the service in strategy order; `mark` feeds call outcomes back so a
 * selector can eject failing nodes and learn latencies; `reset` forgets what it learned about a
 * service.
 *
 * Strategies come in two forms:
 * - a plain `StrategyFunction` (go-micro's form): given the services, it returns a `Next`. It is
 *   called once per `select`, so any state it keeps lives only as long as that call.
 * - a `StatefulStrategy` object: the selector asks it to `pick` one node from a candidate list it
 *   has already narrowed (healthy nodes, not yet tried in this call), and hands it a per-service
 *   `state` (created by `init`, kept by the selector across calls, dropped by `reset`) plus the
 *   `stats` the selector learns from `mark` (in-flight calls, latency, failures).
 */
import type { Node, Registry, Service } from '../registry/registry.js';

/** Yields the next node to try; throws a MicroError (404/503) when there is none. */
export type Next = () => Node;

/** Narrows the candidate services (and their nodes) before a strategy picks. Must not mutate its input. */
export type Filter = (services: Service[]) => Service[];

/** go-micro's strategy form: builds a node iterator over the filtered services. */
export type StrategyFunction = (services: Service[], service: string) => Next;

/** What the selector has learned about the nodes of one service, from `next()` and `mark()`. */
export interface NodeStats {
  /** Calls this selector handed the node that have not been marked yet. */
  inflight(node: Node): number;
  /** Peak-EWMA response time in ms, decayed with age; undefined before the first measured call. */
  latency(node: Node): number | undefined;
  /** Consecutive transport failures or timeouts. */
  failures(node: Node): number;
}

export interface PickContext<S = unknown> {
  /** The service name asked for. */
  service: string;
  /** This strategy's state for this service, kept by the selector across calls. */
  state: S;
  stats: NodeStats;
}

/** A strategy whose memory (rotation, load, latency) persists across calls per service. */
export interface StatefulStrategy<S = unknown> {
  readonly name: string;
  /** Creates the per-service state (called once per service and after `reset`). */
  init?(): S;
  /** Picks one of `nodes` (never empty; already filtered, healthy-first, untried-first). */
  pick(nodes: readonly Node[], context: PickContext<S>): Node;
}

export type Strategy = StrategyFunction | StatefulStrategy<unknown>;

export function isStatefulStrategy(strategy: Strategy): strategy is StatefulStrategy<unknown> {
  return typeof strategy === 'object' && strategy !== null && typeof strategy.pick === 'function';
}

export interface SelectOptions {
  /** Applied after the selector's own filters. */
  filters?: Filter[];
  strategy?: Strategy;
}

/** Extra facts about a finished attempt. */
export interface MarkInfo {
  /** How long the attempt took, ms (feeds latency-aware strategies). */
  duration?: number;
}

export interface Selector {
  readonly name: string;
  select(service: string, options?: SelectOptions): Promise<Next>;
  /**
   * Optional: `select` without a promise when it can answer at once (the registry's cache holds the
   * service); undefined when it cannot (then `select`). Throws what `select` would reject with.
   */
  selectCached?(service: string, options?: SelectOptions): Next | undefined;
  /**
   * Report an attempt's outcome on a node: `error` null/undefined means success. Every node a
   * `next()` yielded should be marked exactly once (this releases its in-flight count).
   */
  mark(service: string, node: Node, error?: unknown, info?: MarkInfo): void;
  reset(service: string): void;
  close(): void;
}

export interface HealthOptions {
  /** Consecutive transport failures/timeouts that eject a node (default 3). */
  failureThreshold?: number;
  /** First ejection's cooldown, ms (default 1 s); each failed half-open probe doubles it. */
  cooldown?: number;
  /** Cap on the cooldown, ms (default 30 s). */
  maxCooldown?: number;
  /** Time constant of the latency EWMA, ms (default 10 s). */
  latencyDecay?: number;
}

export interface SelectorOptions extends HealthOptions {
  registry: Registry;
  strategy?: Strategy;
  filters?: Filter[];
  /** Clock in ms (default `performance.now`); inject one in tests. */
  clock?: () => number;
}
