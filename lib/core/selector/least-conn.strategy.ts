/**
 * Least connections: the candidate with the fewest calls in flight from this selector (counted
 * from `next()` to `mark()`); ties are broken at random so idle nodes share the load.
 */
import type { Node } from '../registry/registry.js';
import type { PickContext, StatefulStrategy } from './selector.js';

export const leastConn: StatefulStrategy<undefined> = {
  name: 'leastConn',
  pick(nodes: readonly Node[], { stats }: PickContext<undefined>): Node {
    let best = nodes[0]!;
    let fewest = Infinity;
    let ties = 0;
    for (const node of nodes) {
      const inflight = stats.inflight(node);
      if (inflight < fewest) {
        best = node;
        fewest = inflight;
        ties = 1;
      } else if (inflight === fewest && Math.random() * ++ties < 1) {
        best = node; // reservoir sampling: each tied node wins with probability 1/ties
      }
    }
    return best;
  },
};
