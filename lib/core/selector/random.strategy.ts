/** The random strategy (go-micro's default): each `next()` picks a candidate uniformly at random. */
import type { Node } from '../registry/registry.js';
import type { StatefulStrategy } from './selector.js';

export { allNodes, noneAvailable } from './nodes.js';

export const random: StatefulStrategy<undefined> = {
  name: 'random',
  pick(nodes: readonly Node[]): Node {
    return nodes[Math.floor(Math.random() * nodes.length)]!;
  },
};
