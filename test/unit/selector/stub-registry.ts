/** Test fixtures for the selector: a fixed in-memory registry stand-in and service builders. */
import type { Node, Registry, Service } from '../../../lib/core/registry/registry.js';

export function node(id: string, metadata: Record<string, string> = {}): Node {
  return { id, address: `127.0.0.1:${1000 + id.length}`, metadata };
}

export function service(version: string, nodes: Node[], endpoints: string[] = [], name = 'greeter'): Service {
  return { name, version, metadata: {}, endpoints: endpoints.map((e) => ({ name: e, metadata: {} })), nodes };
}

/** Returns the same arrays on every lookup, as a registry cache does. */
export class StubRegistry implements Registry {
  readonly name = 'stub';
  constructor(public services: Record<string, Service[]> = {}) {}
  async register(): Promise<void> {}
  async deregister(): Promise<void> {}
  async getService(name: string): Promise<Service[]> {
    return this.services[name] ?? [];
  }
  async listServices(): Promise<Service[]> {
    return Object.values(this.services).flat();
  }
  watch() {
    return { stop() {} };
  }
}

/** Counts how often each node id was yielded. */
export function tally(nodes: Node[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of nodes) counts[n.id] = (counts[n.id] ?? 0) + 1;
  return counts;
}

/** A manual clock for health and latency tests. */
export function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
