/** The built-in strategies by name, for configuration (e.g. an environment variable or module option). */
import { ewma } from './ewma.strategy.js';
import { leastConn } from './least-conn.strategy.js';
import { random } from './random.strategy.js';
import { roundRobin } from './round-robin.strategy.js';
import type { StatefulStrategy } from './selector.js';

export type StrategyName = 'random' | 'roundRobin' | 'leastConn' | 'ewma';

export const strategies: Record<StrategyName, StatefulStrategy<unknown>> = {
  random,
  roundRobin,
  leastConn,
  ewma,
};
