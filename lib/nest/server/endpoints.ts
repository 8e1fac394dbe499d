/**
 * Builds the registry endpoints a server announces from its Nest handlers, as go-micro does:
 * handlers sorted by name, then subscribers; request/response Value trees from the DTO classes;
 * `{"stream":"true"}` on streams and `{"topic":t,"subscriber":"true"}` on subscribers.
 */
import type { MessageHandler } from '@nestjs/microservices';
import { microExtras, type HandlerExtras } from '../decorators/handler-meta.js';
import { valueFromType } from './endpoint-values.js';
import type { Endpoint, Value } from '../../core/registry/registry.js';

export type ValueOf = (type: Function | undefined) => Value | undefined;

/** go-micro's extractValue: the DTO's fields from its decorator metadata, depth-limited. */
const dtoValue: ValueOf = (type) => valueFromType(type);

export function describeEndpoints(
  handlers: Map<string, MessageHandler>,
  valueOf: ValueOf = dtoValue,
): Endpoint[] {
  const rpc: Endpoint[] = [];
  const subscribers: Endpoint[] = [];
  for (const [pattern, handler] of handlers) {
    const micro: HandlerExtras | undefined = microExtras(handler.extras);
    if (handler.isEventHandler) {
      subscribers.push({
        name: pattern,
        request: valueOf(micro?.requestType),
        metadata: micro?.metadata ?? { topic: pattern, subscriber: 'true' },
      });
    } else {
      rpc.push({
        name: pattern,
        request: valueOf(micro?.requestType),
        response: valueOf(micro?.responseType),
        metadata: { ...micro?.metadata },
      });
    }
  }
  return [...rpc.toSorted(byName), ...subscribers.toSorted(byName)].map(dropUndefined);
}

function byName(a: Endpoint, b: Endpoint): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function dropUndefined(endpoint: Endpoint): Endpoint {
  const out: Endpoint = { name: endpoint.name, metadata: endpoint.metadata };
  if (endpoint.request) out.request = endpoint.request;
  if (endpoint.response) out.response = endpoint.response;
  return out;
}
