/**
 * @Handler(name?, options?): marks a controller method as an RPC endpoint. A thin layer over
 * Nest's @MessagePattern (so guards, pipes, interceptors and filters apply unchanged) whose
 * nest-micro data rides in the pattern's `extras`. Default name: `GreeterController.hello` →
 * `Greeter.Hello`.
 */
import { MessagePattern } from '@nestjs/microservices';
import { Gate, type LimitOptions } from '../server/limits.js';
import { defaultEndpointName, MICRO_TRANSPORT, payloadType, type HandlerExtras } from './handler-meta.js';

export interface HandlerOptions extends LimitOptions {
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
  /**
   * What the endpoint does, for people and AI agents: announced as endpoint metadata `description`
   * (go-micro's key, read by its MCP gateway and nest-micro's as the tool description).
   */
  description?: string;
  /**
   * An example request: announced as endpoint metadata `example`, JSON text (an object is
   * serialised with JSON.stringify; a string is taken as written).
   */
  example?: string | object;
  /**
   * Auth scopes a caller needs (any one of them) when a gateway enforces auth: announced as endpoint
   * metadata `scopes`, comma-separated, as go-micro's server.WithEndpointScopes writes them.
   */
  scopes?: string[];
  /** Payload class when it cannot be read from the parameter type. */
  request?: Function;
  /** Reply class, announced in the registry. */
  response?: Function;
  /** Protobuf message types (protobufjs Type) for application/protobuf callers. */
  protobuf?: { request?: unknown; response?: unknown };
  /** Validate the payload with class-validator before the method runs (default true). */
  validate?: boolean;
  // maxConcurrent / maxQueued / rateLimit (LimitOptions): this handler's own limits, checked before
  // the service's. maxConcurrent counts calls running (and streams open); a call past it and past
  // maxQueued (default 0) is refused at once with a retryable 503; past rateLimit with a 429.
}

export function Handler(name?: string, options: HandlerOptions = {}): MethodDecorator {
  const limits = limitsOf(name ?? 'handler', options);
  const docs = docMetadata(name ?? 'handler', options);
  return (target, key, descriptor) => {
    const endpoint = name ?? defaultEndpointName(target.constructor.name, String(key));
    const metadata: Record<string, string> = { ...options.metadata, ...docs };
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
      limits,
    };
    return MessagePattern(endpoint, MICRO_TRANSPORT, { micro })(target, key, descriptor);
  };
}

/**
 * `description`, `example` and `scopes` as go-micro's endpoint metadata keys (server/doc.go):
 * plain text, JSON text, comma-separated. Checked now so a bad value fails where it is written.
 */
function docMetadata(scope: string, options: HandlerOptions): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (options.description) metadata.description = options.description;
  if (options.example !== undefined) {
    const example = typeof options.example === 'string' ? options.example : JSON.stringify(options.example);
    if (example === undefined) throw new TypeError(`@Handler('${scope}'): example is not JSON-serialisable`);
    metadata.example = example;
  }
  if (options.scopes?.length) {
    const scopes = options.scopes.map((s) => s.trim());
    const bad = scopes.find((s) => s === '' || s.includes(','));
    if (bad !== undefined)
      throw new TypeError(`@Handler('${scope}'): scope ${JSON.stringify(bad)} is empty or contains a comma`);
    metadata.scopes = scopes.join(',');
  }
  return metadata;
}

/** The handler's limits, checked now so a bad value fails where it is written. */
function limitsOf(scope: string, options: HandlerOptions): LimitOptions | undefined {
  const { maxConcurrent, maxQueued, rateLimit } = options;
  if (maxConcurrent === undefined && maxQueued === undefined && rateLimit === undefined) return undefined;
  const limits = { maxConcurrent, maxQueued, rateLimit };
  const gate = new Gate(scope, limits); // throws a RangeError naming a bad value
  return gate.open ? undefined : limits;
}
