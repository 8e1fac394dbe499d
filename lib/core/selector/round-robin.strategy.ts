/**
 * Round-robin: candidates in turn. The position lives in the selector's per-service state, so the
 * rotation carries on across calls (go-micro restarts it on every Select: issues #116, #2001).
 * It starts at a random position so many clients do not all hit the same node first.
 */
import type { Node } from '../registry/registry.js';
import type { PickContext, StatefulStrategy } from './selector.js';

export interface Rotation {
  position: number;
}

export const roundRobin: StatefulStrategy<Rotation> = {
  name: 'roundRobin',
  init: () => ({ position: Math.floor(Math.random() * 1024) }),
  pick(nodes: readonly Node[], { state }: PickContext<Rotation>): Node {
    const node = nodes[state.position % nodes.length]!;
    state.position = state.position >= 0x3fffffff ? 0 : state.position + 1;
    return node;
  },
};
