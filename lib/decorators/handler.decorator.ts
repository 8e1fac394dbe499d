/**
 * @Handler(name?, options?): marks a controller method as an RPC endpoint. A thin layer over
 * Nest's @MessagePattern (so guards, pipes, interceptors and filters apply unchanged) whose
 * nest-micro data rides in the pattern's `extras`. Default name: `GreeterController.hello` →
 * `Greeter.Hello`.
 */
import { MessagePattern } from '@nestjs/microservices';
import { defaultEndpointName, MICRO_TRANSPORT, payloadType, type HandlerExtras } from './handler-meta.js';

export interface HandlerOptions {
  /**
   * A streaming endpoint: the method takes an Observable of requests and returns an Observable (or
   * an AsyncIterable, pulled with backpressure) of replies. `request` names the message class.
   */
  stream?: boolean;
  /**
   * Streams: encoded bytes an Observable of replies may queue while the client's window is closed
   * (default 64 MiB); beyond it the stream fails with a 503. AsyncIterables never queue.
   */
  maxBuffered?: number;
  /** Endpoint metadata announced in the registry. */
  metadata?: Record<string, string>;
  /** Payload class when it cannot be read from the parameter type. */
  request?: Function;
  /** Reply class, announced in the registry. */
  response?: Function;
  /** Protobuf message types (protobufjs Type) for application/protobuf callers. */
  protobuf?: { request?: unknown; response?: unknown };
  /** Validate the payload with class-validator before the method runs (default true). */
  validate?: boolean;
}

export function Handler(name?: string, options: HandlerOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    const endpoint = name ?? defaultEndpointName(target.constructor.name, String(key));
    const metadata: Record<string, string> = { ...options.metadata };
    if (options.stream) metadata.stream = 'true';
    const micro: HandlerExtras = {
      kind: 'handler',
      name: endpoint,
      // a stream's parameter is an Observable: its message class must be declared with `request`
      requestType: options.request ?? (options.stream ? undefined : payloadType(target, key)),
      responseType: options.response,
      requestSchema: options.protobuf?.request,
      responseSchema: options.protobuf?.response,
      stream: options.stream === true,
      maxBuffered: options.maxBuffered,
      metadata,
      validate: options.validate !== false,
    };
    return MessagePattern(endpoint, MICRO_TRANSPORT, { micro })(target, key, descriptor);
  };
}
