/**
 * The nodes this process has heard about on mDNS, each alive until its record TTL lapses unless an
 * announcement or answer refreshes it. Changes become watch events: a new node `create`, a changed
 * one `update`, a goodbye (TTL 0) or a lapsed TTL `delete` — so a SIGKILLed node leaves.
 */
import type { Service, WatchEvent } from '../registry.js';
import type { ObservedNode } from './mdns.records.js';

interface Entry {
  seen: ObservedNode;
  expiresAt: number;
}

export class ObservedTable {
  private readonly entries = new Map<string, Entry>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly emit: (event: WatchEvent) => void) {}

  observe(seen: ObservedNode): void {
    const old = this.entries.get(seen.instance);
    if (seen.ttlSeconds <= 0) {
      if (!old) return;
      this.entries.delete(seen.instance);
      this.emit({ action: 'delete', service: toService(old.seen) });
      return;
    }
    this.entries.set(seen.instance, { seen, expiresAt: Date.now() + seen.ttlSeconds * 1000 });
    this.ensureSweeper();
    if (!old) this.emit({ action: 'create', service: toService(seen) });
    else if (fingerprint(old.seen) !== fingerprint(seen))
      this.emit({ action: 'update', service: toService(seen) });
  }

  /** Live nodes of a service, grouped by version. */
  services(name: string): Service[] {
    this.sweep();
    return group([...this.entries.values()].map((e) => e.seen).filter((s) => s.txt.service === name));
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.entries.clear();
  }

  private ensureSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), 500);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [instance, entry] of this.entries) {
      if (entry.expiresAt > now) continue;
      this.entries.delete(instance);
      this.emit({ action: 'delete', service: toService(entry.seen) });
    }
    if (this.entries.size === 0) this.close();
  }
}

function fingerprint(s: ObservedNode): string {
  return JSON.stringify([s.node, s.txt.version, s.txt.endpoints]);
}

export function toService(seen: ObservedNode): Service {
  return {
    name: seen.txt.service,
    version: seen.txt.version,
    metadata: {},
    endpoints: seen.txt.endpoints,
    nodes: [{ ...seen.node, metadata: { ...seen.node.metadata } }],
  };
}

/** Observations → one Service per version (go-micro groups mDNS nodes by Version). */
export function group(observations: readonly ObservedNode[]): Service[] {
  const versions = new Map<string, Service>();
  for (const o of observations) {
    const existing = versions.get(o.txt.version);
    if (!existing) versions.set(o.txt.version, toService(o));
    else if (!existing.nodes.some((n) => n.id === o.node.id)) existing.nodes.push(toService(o).nodes[0]!);
  }
  return [...versions.values()];
}
