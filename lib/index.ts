/** nest-micro's public API. */
export * from './nest/micro.module.js';
export { MICRO_OPTIONS } from './nest/micro.constants.js';
export * from './nest/options.js';
export {
  createBroker,
  createCodecs,
  createRegistry,
  createSelector,
  createTransport,
} from './core/plugins.js';
export * from './core/errors/index.js';
export { toMicroError } from './nest/errors.js';
export * from './core/metadata/index.js';
export * from './nest/decorators/index.js';
export { MicroServer } from './nest/server/micro.server.js';
export { MicroContext } from './nest/server/micro-context.js';
export { MicroExceptionFilter } from './nest/server/micro-exception.filter.js';
export { currentCallContext, enableCallScope } from './nest/server/call-scope.js';
export type { LimitOptions, RateLimit } from './nest/server/limits.js';
export { MicroClient, type PublishCallOptions, type ServicePattern } from './nest/client/micro.client.js';
export * from './core/client/call-options.js';
export * from './core/client/circuit-breaker.js';
export { BULKHEAD_ID } from './core/client/bulkhead.js';
export { fallbackApplies, type Fallback } from './core/client/fallback.js';
export * from './core/registry/index.js';
export * from './core/selector/index.js';
export * from './core/transport/transport.js';
export { HttpTransport, type HttpTransportOptions } from './core/transport/http/http.transport.js';
export { TcpTransport, type TcpTransportOptions } from './core/transport/tcp/tcp.transport.js';
export * from './core/broker/index.js';
export * from './core/codec/index.js';
export * from './nest/validation/index.js';
export { runFunction } from './nest/function/micro.function.js';
export { MicroHealth, type MicroHealthReport } from './nest/health/micro.health.js';
export { MicroStream, type StreamSink, type StreamHandle } from './core/streaming/micro-stream.js';
export type { StreamCallOptions } from './core/client/stream-caller.js';
export type { Source as StreamSource } from './core/streaming/outbound.js';
