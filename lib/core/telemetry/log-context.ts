/**
 * The trace context of the code running now, for log lines (log correlation): the active span's
 * trace and span ids as OpenTelemetry's log data model names them outside OTLP (`trace_id`,
 * `span_id`, `trace_flags`, lower-case hex). Undefined with no API, no SDK registered or no valid
 * active span, at the cost of one property read while nothing is registered.
 */
import { otelApi, otelRegistered } from './otel-api.js';

export interface TraceIds {
  trace_id: string;
  span_id: string;
  trace_flags: string;
}

/** The active span's ids, or undefined outside a traced call. */
export function currentTraceIds(): TraceIds | undefined {
  if (!otelRegistered()) return undefined;
  const api = otelApi();
  if (api === null) return undefined;
  const span = api.trace.getSpanContext(api.context.active());
  if (span === undefined || !api.trace.isSpanContextValid(span)) return undefined;
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    trace_flags: (span.traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}
