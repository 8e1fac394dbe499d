/**
 * The default selector: looks services up in a registry (put a cache in front of it for a
 * lookup-free hot path: its current entry is taken without a promise, and the nodes of its frozen
 * snapshot are checked once per snapshot), applies the selector's then the call's filters, then a
 * strategy.
 * It keeps per-service node health (see node-health.ts): ejected nodes are skipped until their
 * cooldown ends, and within one call `next()` prefers nodes not tried yet, so a retry lands on a
 * different node when one exists. If every node is ejected they are tried anyway.
 *
 * Failures are MicroErrors: 400 for an empty service name, 404 when the registry does not know
 * the service, 503 when the registry lookup fails or no node is left after filtering, 500 when a
 * user filter or strategy throws or returns something unusable.
 */
import { performance } from 'node:perf_hooks';
import { MicroError } from '../errors/micro-error.js';
import type { Node, Service } from '../registry/registry.js';
import { ServiceHealth, type HealthConfig } from './node-health.js';
import { allNodes, isNode, noneAvailable, pluginError, SELECTOR_ERROR_ID } from './nodes.js';
import { random } from './random.strategy.js';
import {
  isStatefulStrategy,
  type Filter,
  type MarkInfo,
  type Next,
  type SelectOptions,
  type Selector,
  type SelectorOptions,
  type StatefulStrategy,
  type Strategy,
  type StrategyFunction,
} from './selector.js';
import { ERROR_ID } from '../errors/ids.js';
import { errorText } from '../errors/error-text.js';
import { trackChaos, type EjectedNode } from '../metrics/chaos.js';

export const HEALTH_DEFAULTS: HealthConfig = {
  failureThreshold: 3,
  cooldown: 1_000,
  maxCooldown: 30_000,
  latencyDecay: 10_000,
};

/** How often a service's node state is checked against the registry for departed nodes, ms. */
const PRUNE_INTERVAL = 10_000;

/** How many times a plain strategy function is asked again for a node not tried in this call. */
const MAX_REDRAWS = 64;

function positive(name: keyof HealthConfig, value: number | undefined): number {
  if (value === undefined) return HEALTH_DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw MicroError.badRequest(ERROR_ID.selector, `selector option ${name} must be a positive number`);
  return value;
}

export class RegistrySelector implements Selector {
  readonly name = 'registry';
  private readonly health = new Map<string, ServiceHealth>();
  private readonly config: HealthConfig;
  private readonly clock: () => number;

  constructor(private readonly options: SelectorOptions) {
    this.config = {
      failureThreshold: positive('failureThreshold', options.failureThreshold),
      cooldown: positive('cooldown', options.cooldown),
      maxCooldown: positive('maxCooldown', options.maxCooldown),
      latencyDecay: positive('latencyDecay', options.latencyDecay),
    };
    // perf_hooks' performance, not the global one (a getter on every read)
    this.clock = options.clock ?? (() => performance.now());
    trackChaos(this);
  }

  /** Every node ejected now, over all services (read-only). */
  ejectedNodes(): EjectedNode[] {
    return [...this.health.values()].flatMap((h) => h.ejectedNodes());
  }

  select(service: string, options?: SelectOptions): Promise<Next> {
    try {
      if (typeof service !== 'string' || service === '')
        throw MicroError.badRequest(SELECTOR_ERROR_ID, 'select: a service name is required');
      // a cache's current entry without a promise per lookup; otherwise the registry is asked
      const cached = this.options.registry.cachedService?.(service);
      if (Array.isArray(cached) && cached.length > 0)
        return Promise.resolve(this.nextFor(service, cached, options));
      return this.lookup(service).then((found) => this.nextFor(service, found, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  selectCached(service: string, options?: SelectOptions): Next | undefined {
    if (typeof service !== 'string' || service === '') return undefined; // select's 400
    const cached = this.options.registry.cachedService?.(service);
    return Array.isArray(cached) && cached.length > 0 ? this.nextFor(service, cached, options) : undefined;
  }

  private nextFor(service: string, found: Service[], options: SelectOptions | undefined): Next {
    const health = this.serviceHealth(service);
    const now = this.clock();
    if (now - health.prunedAt >= PRUNE_INTERVAL) health.prune(allNodes(found), now);

    let services = found;
    if (this.options.filters) services = applyFilters(services, this.options.filters);
    if (options?.filters) services = applyFilters(services, options.filters);
    const nodes = services === found ? health.nodesOf(found) : allNodes(services);
    if (nodes.length === 0) throw noneAvailable(service);

    const strategy: Strategy = options?.strategy ?? this.options.strategy ?? random;
    return isStatefulStrategy(strategy)
      ? this.statefulNext(health, nodes, strategy)
      : this.functionNext(health, services, nodes, strategy);
  }

  mark(service: string, node: Node, error?: unknown, info?: MarkInfo): void {
    if (typeof service !== 'string' || !isNode(node)) return;
    this.serviceHealth(service).mark(node, error, info?.duration, this.clock());
  }

  reset(service: string): void {
    this.health.delete(service);
  }

  close(): void {
    this.health.clear();
  }

  private async lookup(service: string): Promise<Service[]> {
    let services: Service[];
    try {
      services = await this.options.registry.getService(service);
    } catch (error) {
      if (error instanceof MicroError) throw error;
      const detail = errorText(error);
      throw MicroError.unavailable(
        SELECTOR_ERROR_ID,
        `registry ${this.options.registry.name}: looking up ${service} failed: ${detail}`,
        false,
      );
    }
    if (!Array.isArray(services) || services.length === 0) {
      const hint = this.options.registry.notFoundHint?.(service);
      throw MicroError.notFound(
        SELECTOR_ERROR_ID,
        `service ${service}: not found${hint ? ` (${hint})` : ''}`,
      );
    }
    return services;
  }

  private serviceHealth(service: string): ServiceHealth {
    let health = this.health.get(service);
    if (!health) this.health.set(service, (health = new ServiceHealth(service, this.config, this.clock)));
    return health;
  }

  /** Built-in form: the strategy picks among candidates this selector narrows per `next()`. */
  private statefulNext(health: ServiceHealth, nodes: Node[], strategy: StatefulStrategy<unknown>): Next {
    const context = health.context(strategy);
    // the nodes tried in this call: the first alone, a set from the second next() on (most calls
    // never ask twice)
    let first: Node | undefined;
    let tried: Set<Node> | undefined;
    return () => {
      // the clock matters only while a node is ejected (acquire reads it itself if one is by then)
      const now = health.ejected > 0 ? this.clock() : undefined;
      const candidates =
        first === undefined
          ? firstCandidates(health, nodes, now)
          : narrow(health, nodes, (tried ??= new Set([first])), now);
      let node: Node;
      try {
        node = strategy.pick(candidates, context);
      } catch (error) {
        throw pluginError(`strategy ${strategy.name}`, error);
      }
      if (!isNode(node)) throw pluginError(`strategy ${strategy.name}`, 'picked no node');
      if (tried !== undefined) tried.add(node);
      else first = node;
      health.acquire(node, now);
      return node;
    };
  }

  /** go-micro form: the function sees only available nodes; repeats are skipped within a round. */
  private functionNext(
    health: ServiceHealth,
    services: Service[],
    nodes: Node[],
    strategy: StrategyFunction,
  ): Next {
    let view = services;
    let size = nodes.length;
    if (health.ejected > 0) {
      const now = this.clock();
      const healthy = filterServices(services, (n) => health.available(n, now));
      const count = allNodes(healthy).length;
      if (count > 0) [view, size] = [healthy, count];
    }
    let inner: Next;
    try {
      inner = strategy(view, health.service);
    } catch (error) {
      throw pluginError('strategy', error);
    }
    if (typeof inner !== 'function') throw pluginError('strategy', 'returned no Next function');
    const tried = new Set<Node>();
    const draw = (): Node => {
      try {
        return inner();
      } catch (error) {
        throw pluginError('strategy', error);
      }
    };
    return () => {
      if (tried.size >= size) tried.clear();
      let node = draw();
      for (let i = MAX_REDRAWS; i > 0 && tried.has(node); i--) node = draw();
      if (!isNode(node)) throw pluginError('strategy', 'picked no node');
      tried.add(node);
      health.acquire(node);
      return node;
    };
  }
}

function applyFilters(services: Service[], filters: Filter[]): Service[] {
  for (const filter of filters) {
    try {
      services = filter(services);
    } catch (error) {
      throw pluginError('filter', error);
    }
    if (!Array.isArray(services)) throw pluginError('filter', 'returned no service list');
  }
  return services;
}

function filterServices(services: Service[], keep: (node: Node) => boolean): Service[] {
  const out: Service[] = [];
  for (const s of services) {
    const kept = allNodes([s]).filter(keep);
    if (kept.length > 0) out.push({ ...s, nodes: kept });
  }
  return out;
}

/**
 * The candidates for one `next()`: available nodes not tried in this call; when all available
 * ones were tried, a new round over them; when none is available, every node anyway (untried first).
 */
/** The candidates for the first `next()` of a call: the available nodes, or all when none is. */
function firstCandidates(health: ServiceHealth, nodes: Node[], now: number | undefined): readonly Node[] {
  if (health.ejected === 0 || now === undefined) return nodes;
  const available = nodes.filter((n) => health.available(n, now));
  return available.length > 0 ? available : nodes;
}

function narrow(
  health: ServiceHealth,
  nodes: Node[],
  tried: Set<Node>,
  now: number | undefined,
): readonly Node[] {
  const checkHealth = health.ejected > 0 && now !== undefined;
  if (!checkHealth && tried.size === 0) return nodes;
  const fresh = nodes.filter((n) => !tried.has(n) && (!checkHealth || health.available(n, now)));
  if (fresh.length > 0) return fresh;
  const available = checkHealth ? nodes.filter((n) => health.available(n, now)) : nodes;
  if (available.length > 0) {
    tried.clear();
    return available;
  }
  const untried = nodes.filter((n) => !tried.has(n));
  if (untried.length > 0) return untried;
  tried.clear();
  return nodes;
}
