/** The selector package: interface, the registry selector, strategies and filters. */
export * from './selector.js';
export { RegistrySelector, HEALTH_DEFAULTS } from './registry.selector.js';
export { ServiceHealth, classifyOutcome, type HealthConfig, type Outcome } from './node-health.js';
export { allNodes, noneAvailable, nodeKey, SELECTOR_ERROR_ID } from './nodes.js';
export { random } from './random.strategy.js';
export { roundRobin } from './round-robin.strategy.js';
export { leastConn } from './least-conn.strategy.js';
export { ewma } from './ewma.strategy.js';
export { filterVersion, filterLabel, filterEndpoint, filterNodes, composeFilters } from './filters.js';
export { strategies, type StrategyName } from './strategies.js';
