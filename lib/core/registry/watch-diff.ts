/**
 * Turns two snapshots of one service (every version with its nodes) into watch events, for
 * registries whose watch yields whole snapshots (Consul blocking queries): a new version is a
 * `create`, added or changed nodes an `update` (with every current node), nodes that left a
 * `delete` listing only them.
 */
import { cloneService, type Node, type Service, type WatchEvent } from './registry.js';

function sameNode(a: Node, b: Node): boolean {
  return a.address === b.address && JSON.stringify(a.metadata) === JSON.stringify(b.metadata);
}

export function diffSnapshots(previous: readonly Service[], next: readonly Service[]): WatchEvent[] {
  const events: WatchEvent[] = [];
  const before = new Map(previous.map((s) => [s.version, s]));
  const after = new Map(next.map((s) => [s.version, s]));
  for (const [version, current] of after) {
    const old = before.get(version);
    if (!old) {
      if (current.nodes.length) events.push({ action: 'create', service: cloneService(current) });
      continue;
    }
    const oldNodes = new Map(old.nodes.map((n) => [n.id, n]));
    const changed =
      current.nodes.some((n) => {
        const o = oldNodes.get(n.id);
        return !o || !sameNode(o, n);
      }) || JSON.stringify(current.endpoints) !== JSON.stringify(old.endpoints);
    if (changed) events.push({ action: 'update', service: cloneService(current) });
  }
  for (const [version, old] of before) {
    const current = after.get(version);
    const ids = new Set(current?.nodes.map((n) => n.id) ?? []);
    const gone = old.nodes.filter((n) => !ids.has(n.id));
    if (gone.length) events.push({ action: 'delete', service: cloneService({ ...old, nodes: gone }) });
  }
  return events;
}
