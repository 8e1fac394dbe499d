/**
 * A call to one node of a service, picked by its id (so it is dialled on the transport it
 * advertises), with no retry: how `nest-micro stats` and the dashboard ask each node of a service
 * for Debug.Stats or Debug.Health, nest-micro and go-micro nodes alike.
 */
import type { Node } from '../registry/registry.js';
import { filterNodes } from '../selector/filters.js';
import type { ClientCallOptions } from './call-options.js';

/** The part of a client a node call needs (`MicroClient` has it). */
export interface NodeCaller {
  call<T = unknown>(
    service: string,
    endpoint: string,
    data: unknown,
    options?: Partial<ClientCallOptions>,
  ): Promise<T>;
}

export function callNode<T = unknown>(
  client: NodeCaller,
  service: string,
  node: Node,
  endpoint: string,
  timeout: number,
  data: unknown = {},
): Promise<T> {
  return client.call<T>(service, endpoint, data, {
    retries: 0,
    timeout,
    filters: [(services) => filterNodes(services, (n) => n.id === node.id)],
  });
}
