/**
 * nest-micro's package root: the Nest API (MicroModule and its options, the decorators, MicroServer,
 * MicroClient, MicroContext, MicroExceptionFilter, health, the Function runner) and the handful of
 * names every user needs (MicroError, Metadata, the client's call options, MicroStream). Each core
 * abstraction has its own entry point: nest-micro/registry, /selector, /transport, /broker, /codec,
 * /errors, /metadata, /client, /testing and /terminus.
 */
export {
  MicroModule,
  type MicroClientAsyncRegistration,
  type MicroClientRegistration,
  type MicroModuleAsyncOptions,
} from './nest/micro.module.js';
export { MICRO_OPTIONS } from './nest/micro.constants.js';
export type {
  Hook,
  LifecycleHooks,
  MetricsEndpointOptions,
  MicroOptions,
  ResolvedOptions,
} from './nest/options.js';
export * from './nest/decorators/index.js';
export { MicroServer } from './nest/server/micro.server.js';
export { MicroContext, type MicroContextInit } from './nest/server/micro-context.js';
export { MicroExceptionFilter } from './nest/server/micro-exception.filter.js';
export { currentCallContext, enableCallScope } from './nest/server/call-scope.js';
export type { LimitOptions, RateLimit } from './nest/server/limits.js';
export { MicroClient, type PublishCallOptions, type ServicePattern } from './nest/client/micro.client.js';
export type { ClientCallOptions } from './core/client/call-options.js';
export type { StreamCallOptions } from './core/client/stream-caller.js';
export {
  MicroStream,
  type StreamHandle,
  type StreamSink,
  type StreamStarter,
} from './core/streaming/micro-stream.js';
export type { Source as StreamSource } from './core/streaming/outbound.js';
export { MicroError, type MicroErrorJson } from './core/errors/micro-error.js';
export { toMicroError } from './nest/errors.js';
export { Metadata, type MetadataInit } from './core/metadata/metadata.js';
export * from './nest/validation/index.js';
export {
  runFunction,
  type NestMicroserviceOptions as RunFunctionOptions,
} from './nest/function/micro.function.js';
export { MicroHealth, type MicroHealthReport } from './nest/health/micro.health.js';
export {
  MICRO_GATEWAY,
  MicroGatewayModule,
  type GatewayRequest,
  type MicroGatewayModuleOptions,
} from './nest/gateway/micro-gateway.module.js';
export {
  MICRO_DASHBOARD,
  MicroDashboardModule,
  type MicroDashboardModuleOptions,
} from './nest/web/micro-dashboard.module.js';
export {
  TraceContextLogger,
  useTraceContextLogger,
  type LogFormat,
} from './nest/logging/trace-context.logger.js';
export { currentTraceIds, type TraceIds } from './core/telemetry/log-context.js';
