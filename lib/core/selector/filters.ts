/**
 * Selector filters (go-micro's FilterVersion/FilterLabel/FilterEndpoint): they narrow the services
 * a strategy may pick from. Filters compose by running in order, and never mutate their input:
 * a filter that drops nodes returns shallow copies of the services with new node arrays.
 */
import type { Node, Service } from '../registry/registry.js';
import type { Filter } from './selector.js';

/** Only the given version(s) of the service. */
export function filterVersion(...versions: string[]): Filter {
  const wanted = new Set(versions);
  return (services) => services.filter((s) => wanted.has(s.version));
}

/** Only nodes whose metadata has `key` equal to `value` (or has `key` at all when `value` is omitted). */
export function filterLabel(key: string, value?: string): Filter {
  const matches = (n: Node): boolean => {
    const v = n.metadata?.[key];
    return value === undefined ? v !== undefined : v === value;
  };
  return (services) => filterNodes(services, matches);
}

/** Only versions of the service that advertise the endpoint, e.g. "Greeter.Hello". */
export function filterEndpoint(name: string): Filter {
  return (services) =>
    services.filter((s) => Array.isArray(s.endpoints) && s.endpoints.some((e) => e?.name === name));
}

/** Keeps the nodes `keep` accepts; services left without nodes are dropped. Input is not mutated. */
export function filterNodes(services: Service[], keep: (node: Node, service: Service) => boolean): Service[] {
  const out: Service[] = [];
  for (const s of services) {
    if (!Array.isArray(s.nodes)) continue;
    const nodes = s.nodes.filter((n) => keep(n, s));
    if (nodes.length === s.nodes.length) out.push(s);
    else if (nodes.length > 0) out.push({ ...s, nodes });
  }
  return out;
}

/** One filter that runs `filters` in order. */
export function composeFilters(...filters: Filter[]): Filter {
  return (services) => filters.reduce((acc, f) => f(acc), services);
}
