/**
 * nest-micro/selector: how a client picks a node (go-micro's selector package). The interface, the
 * registry-backed selector with node health, the strategies (random, roundRobin, leastConn, ewma),
 * filters, the helpers a custom strategy needs, and `createSelector`.
 */
export type {
  Filter,
  HealthOptions,
  MarkInfo,
  Next,
  NodeStats,
  PickContext,
  SelectOptions,
  Selector,
  SelectorOptions,
  StatefulStrategy,
  Strategy,
  StrategyFunction,
} from './selector.js';
export { RegistrySelector } from './registry.selector.js';
export type { HealthConfig } from './node-health.js';
export { allNodes, noneAvailable, SELECTOR_ERROR_ID } from './nodes.js';
export { random } from './random.strategy.js';
export { roundRobin, type Rotation } from './round-robin.strategy.js';
export { leastConn } from './least-conn.strategy.js';
export { ewma } from './ewma.strategy.js';
export { filterVersion, filterLabel, filterEndpoint, filterNodes, composeFilters } from './filters.js';
export { strategies, type StrategyName } from './strategies.js';
export { createSelector } from '../plugins.js';
