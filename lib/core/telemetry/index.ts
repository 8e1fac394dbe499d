/** Tracing on OpenTelemetry's API (optional peer dependency): spans and W3C context propagation. */
export { activeTracer, otelApi } from './otel-api.js';
export * from './spans.js';
export { injectContext, extractContext } from './carrier.js';
export { currentTraceIds, type TraceIds } from './log-context.js';
