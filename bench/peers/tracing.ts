/**
 * Tracing set-up of a nest-micro bench peer, by BENCH_TRACING (imported first, for its effect,
 * before the app is made):
 *   (unset)  plain: @opentelemetry/api never loaded, nothing registered
 *   api      the API loaded and its global registry present (a diag logger set, as libraries and
 *            agents do), no SDK: every call looks the tracer provider up, finds the no-op one and
 *            makes no span
 *   sdk      the SDK: a tracer provider with a BatchSpanProcessor whose exporter discards the spans
 *            (the cost of making, recording and batching them, not of a network export), the
 *            AsyncLocalStorage context manager and the W3C trace-context propagator
 */
/** The set-up made: '' (plain), 'api' or 'sdk'. */
export const tracingMode = process.env.BENCH_TRACING ?? '';
const mode = tracingMode;

if (mode === 'api') {
  const { diag, DiagConsoleLogger, DiagLogLevel } = await import('@opentelemetry/api');
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);
} else if (mode === 'sdk') {
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { ExportResultCode, W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { BatchSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
  let exported = 0;
  const discard = {
    export(spans: unknown[], done: (result: { code: number }) => void): void {
      exported += spans.length;
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: (): Promise<void> => Promise.resolve(),
  };
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: discard })] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  process.once('exit', () => {
    if (process.env.BENCH_TRACING_REPORT === '1') console.error(`tracing: ${exported} spans exported`);
  });
} else if (mode !== '') {
  throw new Error(`BENCH_TRACING=${mode}: expected api or sdk`);
}
