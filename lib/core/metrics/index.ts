/**
 * Metrics on OpenTelemetry's metrics API (optional peer dependency): what nest-micro records, the
 * Prometheus endpoint, and go-micro's Debug.Stats.
 */
export { activeMetrics, attachMeterProvider, type Metrics, type AttachOptions } from './recorder.js';
export { METRIC, GO_MICRO_BUCKETS } from './instruments.js';
export {
  servePrometheus,
  DEFAULT_PROMETHEUS_PORT,
  type PrometheusOptions,
  type PrometheusEndpoint,
} from './prometheus.js';
export {
  DebugStats,
  readStats,
  STATS_ENDPOINT,
  HEALTH_ENDPOINT,
  type DebugStatsResponse,
} from './debug-stats.js';
export {
  LatencyHistogram,
  LATENCY_BOUNDS_MS,
  histogramQuantile,
  type LatencyHistogramJson,
} from './latency-histogram.js';
export {
  chaosSnapshot,
  mergeChaos,
  type ChaosSnapshot,
  type ChaosSource,
  type EjectedNode,
  type OpenBreaker,
} from './chaos.js';
