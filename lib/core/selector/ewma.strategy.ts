/**
 * Latency-aware: power of two choices over a peak-EWMA of response time (Finagle/Linkerd style).
 * Two distinct random candidates are compared by cost = latency × (in-flight + 1) and the cheaper
 * wins. A node never measured costs nothing while idle (so new nodes get explored) but a large
 * penalty once busy (so they are not flooded before their first answer). Latency estimates decay
 * with age (see NodeStats.latency), so a once-slow node is eventually tried again.
 */
import type { Node } from '../registry/registry.js';
import type { NodeStats, PickContext, StatefulStrategy } from './selector.js';

const UNMEASURED_BUSY = 1e9;

function cost(stats: NodeStats, node: Node): number {
  const inflight = stats.inflight(node);
  const latency = stats.latency(node);
  if (latency === undefined) return inflight === 0 ? 0 : UNMEASURED_BUSY + inflight;
  return latency * (inflight + 1);
}

export const ewma: StatefulStrategy<undefined> = {
  name: 'ewma',
  pick(nodes: readonly Node[], { stats }: PickContext<undefined>): Node {
    if (nodes.length === 1) return nodes[0]!;
    const i = Math.floor(Math.random() * nodes.length);
    let j = Math.floor(Math.random() * (nodes.length - 1));
    if (j >= i) j++;
    const a = nodes[i]!;
    const b = nodes[j]!;
    return cost(stats, b) < cost(stats, a) ? b : a;
  },
};
