/**
 * What @Handler and @Subscriber store in Nest's pattern `extras` (under the `micro` key), read
 * back by MicroServer to build registry endpoints, pick codecs schemas and validate payloads.
 */
import { PARAM_ARGS_METADATA } from '@nestjs/microservices/constants.js';
import type { LimitOptions } from '../server/limits.js';

/** Nest's RpcParamtype.PAYLOAD; route-argument keys are "<paramtype>:<index>". */
const PAYLOAD_PARAM = 3;

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
  const args = (Reflect.getMetadata(PARAM_ARGS_METADATA, target.constructor, key) ?? {}) as Record<
    string,
    { index: number }
  >;
  for (const [argKey, arg] of Object.entries(args)) {
    if (argKey.startsWith(`${PAYLOAD_PARAM}:`)) return types[arg.index];
  }
  const first = types[0];
  return first && first !== Object ? first : undefined;
}
