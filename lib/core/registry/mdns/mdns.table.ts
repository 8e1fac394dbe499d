/**
 * The nodes this process has heard about on mDNS, each alive until its record TTL lapses unless an
 * announcement or answer refreshes it. Changes become watch events: a new node `create`, a changed
 * one `update`, a goodbye (TTL 0) or a lapsed TTL `delete` — so a SIGKILLed node leaves.
 * go-micro announces a node only when it starts, never again: when 20% and 10% of a record's TTL
 * are left the table asks `refresh` to query for it (RFC 6762 §5.2), so a live Go node answers
 * and stays.
 */
import type { Service, WatchEvent } from '../registry.js';
import type { ObservedNode } from './mdns.records.js';

interface Entry {
  seen: ObservedNode;
  seenAt: number;
  expiresAt: number;
  /** Refresh queries asked for so far (at 80% and 90% of the TTL). */
  asked: number;
}

const SWEEP_MS = 500;
/** Refresh queries go out when this much of a record's TTL is left: 20%, then 10% (at least 2, then 1 sweep). */
const REFRESH_LEFT: Array<[fraction: number, floorMs: number]> = [
  [0.2, 2 * SWEEP_MS],
  [0.1, SWEEP_MS],
];

export class ObservedTable {
  private readonly entries = new Map<string, Entry>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly emit: (event: WatchEvent) => void,
    private readonly refresh: (nodes: ObservedNode[]) => void = () => undefined,
  ) {}

  observe(seen: ObservedNode): void {
    const old = this.entries.get(seen.instance);
    if (seen.ttlSeconds <= 0) {
      if (!old) return;
      this.entries.delete(seen.instance);
      this.emit({ action: 'delete', service: toService(old.seen) });
      return;
    }
    const now = Date.now();
    this.entries.set(seen.instance, { seen, seenAt: now, expiresAt: now + seen.ttlSeconds * 1000, asked: 0 });
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
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = Date.now();
    const due: ObservedNode[] = [];
    for (const [instance, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(instance);
        this.emit({ action: 'delete', service: toService(entry.seen) });
        continue;
      }
      const left = REFRESH_LEFT[entry.asked];
      const ttl = entry.expiresAt - entry.seenAt;
      if (!left || entry.expiresAt - now > Math.max(ttl * left[0], left[1])) continue;
      entry.asked++;
      due.push(entry.seen);
    }
    if (due.length > 0) this.refresh(due);
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
