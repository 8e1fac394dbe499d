/**
 * The W3C carrier over request headers: what go-micro's OpenTelemetry wrapper writes (title-cased
 * `Traceparent`, as its metadata keys are) is continued; what we inject is lower-case.
 */
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractContext, injectContext, otelApi } from '../../../lib/core/telemetry/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('trace context in headers', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it("continues go-micro's title-cased Traceparent", () => {
    const header = { Traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, 'micro-endpoint': 'Greeter.Hello' };
    const remote = trace.getSpanContext(extractContext(otelApi()!, header, context.active()));
    expect(remote).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
  });

  it('injects lower-case keys, replacing a traceparent carried on from a served call', () => {
    const parent = trace.setSpanContext(context.active(), {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
    });
    const header: Record<string, string> = { traceparent: 'stale' };
    injectContext(otelApi()!, parent, header);
    expect(header).toEqual({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` });
  });
});
