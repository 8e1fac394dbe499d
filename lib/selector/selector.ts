/**
 * Selector: client-side load balancing (go-micro's selector.Selector). `select` returns a `Next`
 * that yields nodes of the service in strategy order; `mark` feeds call outcomes back so a
 * selector can eject failing nodes; `reset` forgets what it learned about a service.
 */
import type { Node, Registry, Service } from '../registry/registry.js';

/** Yields the next node to try; throws a MicroError (404/503) when there is none. */
export type Next = () => Node;

/** Narrows the candidate services (and their nodes) before a strategy picks. */
export type Filter = (services: Service[]) => Service[];

/** Builds a node iterator over the filtered services. `service` is the name asked for. */
export type Strategy = (services: Service[], service: string) => Next;

export interface SelectOptions {
  filters?: Filter[];
  strategy?: Strategy;
}

export interface Selector {
  readonly name: string;
  select(service: string, options?: SelectOptions): Promise<Next>;
  /** Report a call's outcome on a node: `error` null/undefined means success. */
  mark(service: string, node: Node, error?: unknown): void;
  reset(service: string): void;
  close(): void;
}

export interface SelectorOptions {
  registry: Registry;
  strategy?: Strategy;
  filters?: Filter[];
}
