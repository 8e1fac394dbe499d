/**
 * An in-process registry: services held in a map, with TTL expiry and watchers. For tests and for
 * several services in one process; it is not shared between processes.
 */
import {
  cloneService,
  type Node,
  type RegisterOptions,
  type Registry,
  type Service,
  type WatchEvent,
  type WatchOptions,
  type Watcher,
} from './registry.js';

interface NodeRecord {
  node: Node;
  expiresAt: number;
}

interface VersionRecord {
  service: Service;
  nodes: Map<string, NodeRecord>;
}

export class MemoryRegistry implements Registry {
  readonly name = 'memory';
  private readonly services = new Map<string, Map<string, VersionRecord>>();
  private readonly watchers = new Set<{ listener: (e: WatchEvent) => void; options: WatchOptions }>();

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    const expiresAt = options.ttl ? Date.now() + options.ttl : Infinity;
    let versions = this.services.get(service.name);
    if (!versions) this.services.set(service.name, (versions = new Map()));
    let record = versions.get(service.version);
    const existed = record !== undefined;
    if (!record)
      versions.set(
        service.version,
        (record = { service: cloneService({ ...service, nodes: [] }), nodes: new Map() }),
      );
    record.service = cloneService({ ...service, nodes: [] });
    for (const node of service.nodes)
      record.nodes.set(node.id, { node: { ...node, metadata: { ...node.metadata } }, expiresAt });
    this.emit({ action: existed ? 'update' : 'create', service: this.snapshot(record) });
  }

  async deregister(service: Service): Promise<void> {
    const record = this.services.get(service.name)?.get(service.version);
    if (!record) return;
    const removed = service.nodes.filter((n) => record.nodes.delete(n.id));
    if (removed.length === 0) return;
    if (record.nodes.size === 0) this.services.get(service.name)?.delete(service.version);
    if (this.services.get(service.name)?.size === 0) this.services.delete(service.name);
    this.emit({ action: 'delete', service: cloneService({ ...record.service, nodes: removed }) });
  }

  async getService(name: string): Promise<Service[]> {
    this.expire();
    const versions = this.services.get(name);
    if (!versions) return [];
    return [...versions.values()].map((r) => this.snapshot(r));
  }

  async listServices(): Promise<Service[]> {
    this.expire();
    const out: Service[] = [];
    for (const versions of this.services.values()) {
      for (const r of versions.values()) out.push({ ...this.snapshot(r), endpoints: [], nodes: [] });
    }
    return out;
  }

  watch(listener: (event: WatchEvent) => void, options: WatchOptions = {}): Watcher {
    const entry = { listener, options };
    this.watchers.add(entry);
    return { stop: () => this.watchers.delete(entry) };
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }

  private snapshot(record: VersionRecord): Service {
    return cloneService({ ...record.service, nodes: [...record.nodes.values()].map((r) => r.node) });
  }

  private expire(): void {
    const now = Date.now();
    for (const versions of this.services.values()) {
      for (const record of versions.values()) {
        const expired = [...record.nodes.values()].filter((r) => r.expiresAt <= now).map((r) => r.node);
        if (expired.length) void this.deregister({ ...record.service, nodes: expired });
      }
    }
  }

  private emit(event: WatchEvent): void {
    for (const { listener, options } of this.watchers) {
      if (options.service && options.service !== event.service.name) continue;
      try {
        listener({ ...event, service: cloneService(event.service) });
      } catch {
        /* a throwing listener must not break the registry */
      }
    }
  }
}
