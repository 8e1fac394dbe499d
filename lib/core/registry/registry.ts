/**
 * Registry: service discovery (go-micro's registry.Registry). Field names match go-micro's JSON
 * (lowercase) so entries written by Go and Node services interoperate.
 */

/** A typed field tree describing a request or response (go-micro's registry.Value). */
export interface Value {
  name: string;
  type: string;
  values?: Value[];
}

export interface Endpoint {
  name: string;
  request?: Value;
  response?: Value;
  metadata: Record<string, string>;
}

export interface Node {
  id: string;
  /** "host:port" */
  address: string;
  metadata: Record<string, string>;
}

/**
 * Node metadata a nest-micro server adds beside go-micro's keys (transport, broker, registry,
 * server, protocol): `framework: nest-micro`. Clients use it where the two differ on the wire
 * (a nest-micro server always ends a stream with EOS; a go-micro one may end it silently).
 */
export const FRAMEWORK_KEY = 'framework';
export const FRAMEWORK = 'nest-micro';

/** One version of a service with the nodes that run it. */
export interface Service {
  name: string;
  version: string;
  metadata: Record<string, string>;
  endpoints: Endpoint[];
  nodes: Node[];
}

export type WatchAction = 'create' | 'update' | 'delete';

export interface WatchEvent {
  action: WatchAction;
  /** The service version concerned; on delete, `nodes` lists the nodes that left. */
  service: Service;
}

export interface RegisterOptions {
  /** How long the entry lives without a re-register, in ms (go-micro's RegisterTTL). */
  ttl?: number;
}

export interface WatchOptions {
  /** Only events for this service name. */
  service?: string;
}

export interface Watcher {
  stop(): void;
}

export interface Registry {
  /** Implementation name, advertised in node metadata (`registry`). */
  readonly name: string;
  /** Registers (or refreshes) the service's nodes. Idempotent: call it again to re-register. */
  register(service: Service, options?: RegisterOptions): Promise<void>;
  /** Removes the service's nodes; other nodes of the same service stay. */
  deregister(service: Service): Promise<void>;
  /** Every version of the service with its live nodes; an empty array when unknown. */
  getService(name: string): Promise<Service[]>;
  /**
   * A cache's current answer for the service without waiting (frozen, never mutated), or undefined
   * when `getService` must be asked (not cached, expired). Optional: the selector's synchronous path.
   */
  cachedService?(name: string): Service[] | undefined;
  /** Known services (name and version; endpoints and nodes may be empty). */
  listServices(): Promise<Service[]>;
  /** Streams create/update/delete events until `stop()`. */
  watch(listener: (event: WatchEvent) => void, options?: WatchOptions): Watcher;
  /** Releases sockets and timers. */
  close?(): Promise<void>;
  /**
   * Why a lookup may have found nothing, for the selector's 404 detail (e.g. mDNS: multicast
   * blocked, wrong interface). Optional; `undefined` when there is nothing to add.
   */
  notFoundHint?(service: string): string | undefined;
}

/** A deep copy, so callers can never mutate a registry's state. */
export function cloneService(service: Service): Service {
  return {
    name: service.name,
    version: service.version,
    metadata: { ...service.metadata },
    endpoints: service.endpoints.map((e) => ({ ...e, metadata: { ...e.metadata } })),
    nodes: service.nodes.map((n) => ({ ...n, metadata: { ...n.metadata } })),
  };
}
