/**
 * A registry cache in front of any registry (go-micro's registry/cache): lookups are answered from
 * memory, kept current by the registry's `watch`, so the selector's hot path makes no registry
 * round trip. Entries expire after `ttl` (default 1 min) and are then fetched again; concurrent
 * cold lookups of one service share one query; when the registry fails, the last known entry keeps
 * serving (with a logged warning) instead of failing every call.
 */
import { loggerFor } from '../logger.js';
import {
  cloneService,
  type RegisterOptions,
  type Registry,
  type Service,
  type WatchEvent,
  type WatchOptions,
  type Watcher,
} from './registry.js';
import { activeMetrics } from '../metrics/recorder.js';
import { errorText } from '../errors/error-text.js';

export interface CacheLogger {
  warn(message: string): void;
}

export interface CacheRegistryOptions {
  /** How long a fetched entry is trusted before it is fetched again, in ms (default 60 s). */
  ttl?: number;
  /** Where stale-serving warnings go (default the core logger named RegistryCache, see logger.ts). */
  logger?: CacheLogger;
  /** `close()` also closes the wrapped registry (default true). */
  closeRegistry?: boolean;
}

interface Entry {
  services: Service[];
  expiresAt: number;
}

export class CacheRegistry implements Registry {
  readonly name: string;
  private readonly ttl: number;
  private readonly logger: CacheLogger;
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Service[]>>();
  private watcher?: Watcher;
  private closed = false;

  constructor(
    readonly registry: Registry,
    private readonly options: CacheRegistryOptions = {},
  ) {
    this.name = registry.name;
    this.ttl = options.ttl ?? 60_000;
    this.logger = options.logger ?? loggerFor('RegistryCache');
  }

  register(service: Service, options?: RegisterOptions): Promise<void> {
    return this.registry.register(service, options);
  }

  deregister(service: Service): Promise<void> {
    return this.registry.deregister(service);
  }

  listServices(): Promise<Service[]> {
    return this.registry.listServices();
  }

  watch(listener: (event: WatchEvent) => void, options?: WatchOptions): Watcher {
    return this.registry.watch(listener, options);
  }

  notFoundHint(service: string): string | undefined {
    return this.registry.notFoundHint?.(service);
  }

  async getService(name: string): Promise<Service[]> {
    return this.cachedService(name) ?? this.fetch(name);
  }

  cachedService(name: string): Service[] | undefined {
    this.ensureWatch();
    const entry = this.entries.get(name);
    // Cached snapshots are frozen and replaced on change, never mutated: handing them out is safe
    // and keeps the selector's hot path free of copies.
    return entry && entry.expiresAt > Date.now() ? entry.services : undefined;
  }

  /** Drops every cached entry (the next lookups query the registry). */
  clear(): void {
    this.entries.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.stop();
    this.watcher = undefined;
    this.entries.clear();
    if (this.options.closeRegistry !== false) await this.registry.close?.();
  }

  /** One registry query per service at a time; on failure the stale entry, if any, serves. */
  private fetch(name: string): Promise<Service[]> {
    const running = this.inflight.get(name);
    if (running) return running;
    const query = this.registry
      .getService(name)
      .then((services) => {
        if (services.length > 0 && !this.closed)
          this.entries.set(name, { services: snapshot(services), expiresAt: Date.now() + this.ttl });
        else this.entries.delete(name);
        return this.entries.get(name)?.services ?? [];
      })
      .catch((error: unknown) => {
        const stale = this.entries.get(name);
        if (!stale) throw error;
        activeMetrics()?.staleServed(this.registry.name, name);
        const why = errorText(error);
        this.logger.warn(
          `registry ${this.registry.name} failed looking up ${name}, serving cached nodes: ${why}`,
        );
        return stale.services;
      })
      .finally(() => this.inflight.delete(name));
    this.inflight.set(name, query);
    return query;
  }

  private ensureWatch(): void {
    if (this.watcher || this.closed) return;
    this.watcher = this.registry.watch((event) => this.apply(event));
  }

  /** Applies a watch event to a cached service; services not cached are left to the next lookup. */
  private apply(event: WatchEvent): void {
    activeMetrics()?.watchEvent(this.registry.name, event.action, event.service.name);
    const entry = this.entries.get(event.service.name);
    if (!entry) return;
    const incoming = event.service;
    const others = entry.services.filter((s) => s.version !== incoming.version);
    const current = entry.services.find((s) => s.version === incoming.version);
    if (event.action === 'delete') {
      if (!current) return;
      const gone = new Set(incoming.nodes.map((n) => n.id));
      const nodes = current.nodes.filter((n) => !gone.has(n.id));
      const services = nodes.length > 0 ? [...others, { ...current, nodes }] : others;
      if (services.length === 0) this.entries.delete(incoming.name);
      else entry.services = snapshot(services);
      return;
    }
    const ids = new Set(incoming.nodes.map((n) => n.id));
    const kept = current ? current.nodes.filter((n) => !ids.has(n.id)) : [];
    entry.services = snapshot([...others, { ...incoming, nodes: [...incoming.nodes, ...kept] }]);
  }
}

/** A deep, frozen copy: what the cache stores and hands out. */
function snapshot(services: Service[]): Service[] {
  return Object.freeze(services.map((s) => deepFreeze(cloneService(s)))) as Service[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
