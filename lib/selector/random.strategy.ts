/** The random strategy (go-micro's default): each `next()` picks a node uniformly at random. */
import { MicroError } from '../errors/micro-error.js';
import type { Node, Service } from '../registry/registry.js';
import type { Next, Strategy } from './selector.js';

export function allNodes(services: Service[]): Node[] {
  if (services.length === 1) return services[0]!.nodes;
  const nodes: Node[] = [];
  for (const s of services) for (const n of s.nodes) nodes.push(n);
  return nodes;
}

export function noneAvailable(service: string): MicroError {
  return MicroError.unavailable('go.micro.client', `none available: service ${service} has no nodes`, false);
}

export const random: Strategy = (services, service): Next => {
  const nodes = allNodes(services);
  return () => {
    if (nodes.length === 0) throw noneAvailable(service);
    return nodes[Math.floor(Math.random() * nodes.length)]!;
  };
};
