/**
 * What @Handler and @Subscriber store in Nest's pattern `extras` (under the `micro` key), read
 * back by MicroServer to build registry endpoints, pick codecs schemas and validate payloads.
 */
import { Payload } from '@nestjs/microservices';
import type { LimitOptions } from '../server/limits.js';

/** The transport id of nest-micro's server; handlers decorated by us register only on it. */
export const MICRO_TRANSPORT: unique symbol = Symbol.for('nest-micro');

export interface HandlerExtras {
  kind: 'handler' | 'subscriber';
  /** Endpoint name ("Greeter.Hello") or topic. */
  name: string;
  /** Payload class (from the parameter type, or declared). */
  requestType?: Function;
  responseType?: Function;
  /** Protobuf message types (protobufjs Type) for the protobuf codecs. */
  requestSchema?: unknown;
  responseSchema?: unknown;
  stream?: boolean;
  /** Streams: bytes an Observable of replies may queue ahead of the client's window. */
  maxBuffered?: number;
  metadata: Record<string, string>;
  queue?: string;
  /** Subscriber acknowledgement: 'auto' (default) on completion, or 'manual' via the event. */
  ack?: 'auto' | 'manual';
  /** Validate the payload against requestType's class-validator decorators (default true). */
  validate?: boolean;
  /** The handler's own maxConcurrent / maxQueued / rateLimit (on top of the service's). */
  limits?: LimitOptions;
}

export function microExtras(extras: Record<string, unknown> | undefined): HandlerExtras | undefined {
  return extras?.micro as HandlerExtras | undefined;
}

/** `GreeterController.hello` → `Greeter.Hello`, as go-micro names endpoints. */
export function defaultEndpointName(className: string, method: string): string {
  const service =
    className.endsWith('Controller') && className !== 'Controller'
      ? className.slice(0, -'Controller'.length)
      : className;
  return `${service}.${method.charAt(0).toUpperCase()}${method.slice(1)}`;
}

/** The payload's class: the @Payload() parameter's type, else the first parameter's. */
export function payloadType(target: object, key: string | symbol): Function | undefined {
  const types = (Reflect.getMetadata('design:paramtypes', target, key) as Function[] | undefined) ?? [];
  const { metadataKey, prefix } = payloadArgs();
  const args = (Reflect.getMetadata(metadataKey, target.constructor, key) ?? {}) as Record<string, RouteArg>;
  for (const [argKey, arg] of Object.entries(args)) {
    if (argKey.startsWith(prefix)) return types[arg.index];
  }
  const first = types[0];
  return first && first !== Object ? first : undefined;
}

interface RouteArg {
  index: number;
}

let learnt: { metadataKey: unknown; prefix: string } | undefined;

/**
 * Where Nest records which parameter is the @Payload(), learnt from Nest itself. Nest's public
 * entry points export neither the metadata key (PARAM_ARGS_METADATA, "__routeArguments__", only
 * in the internal @nestjs/microservices/constants) nor RpcParamtype (PAYLOAD = 3, an internal
 * enum), so rather than import an internal module and hard-code the index, we apply the public
 * @Payload() to a probe parameter once and read back what it wrote: the metadata key and the
 * "<paramtype>:" prefix of its entry (keys are "<paramtype>:<index>", as @nestjs/common's public
 * assignMetadata builds them). Should Nest rename the key or renumber the enum, this follows.
 */
function payloadArgs(): { metadataKey: unknown; prefix: string } {
  if (learnt) return learnt;
  class Probe {
    handle(_payload: unknown): void {}
  }
  Payload()(Probe.prototype, 'handle', 0);
  for (const metadataKey of Reflect.getOwnMetadataKeys(Probe, 'handle') as unknown[]) {
    const args = (Reflect.getOwnMetadata(metadataKey, Probe, 'handle') ?? {}) as Record<string, RouteArg>;
    const argKey = Object.keys(args).find((k) => args[k]?.index === 0);
    if (argKey !== undefined)
      return (learnt = { metadataKey, prefix: argKey.slice(0, argKey.lastIndexOf(':') + 1) });
  }
  throw new Error("nest-micro: cannot find where Nest's @Payload() records its parameter");
}
