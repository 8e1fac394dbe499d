/**
 * `@opentelemetry/api`, loaded on first use and optional (a peer dependency the user may not
 * install): without it nothing is traced and nothing fails. With it, the active tracer is the one a
 * registered SDK provides, or none while no SDK is registered — then the call path makes no span,
 * builds no attribute and injects no carrier (one provider lookup per call is all it costs).
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

export type Api = typeof OtelApi;
export type { Context, Span, Tracer, TracerProvider } from '@opentelemetry/api';

const require = createRequire(import.meta.url);

/**
 * Where every copy of API 1.x keeps what an SDK registers (tracer provider, context manager,
 * propagator); absent until something registers one. The major is the peer dependency's (^1).
 */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const REGISTRY = globalThis as unknown as Record<symbol, { trace?: unknown } | undefined>;
const NAME = 'nest-micro';

/** Whether anything (an SDK) registered one of the API's globals: false costs one property read. */
export const otelRegistered = (): boolean => REGISTRY[GLOBAL_KEY] !== undefined;

let api: Api | null | undefined;
/** The provider a fresh API proxy delegates to while no SDK is registered (the API's no-op one). */
let noopProvider: OtelApi.TracerProvider | undefined;
let lastProvider: OtelApi.TracerProvider | undefined;
let lastTracer: OtelApi.Tracer | undefined;

/** The API, or null when it is not installed (looked for once). */
export function otelApi(): Api | null {
  if (api !== undefined) return api;
  try {
    api = require('@opentelemetry/api') as Api;
    noopProvider = new api.ProxyTracerProvider().getDelegate();
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    api = null;
  }
  return api;
}

/**
 * The tracer spans start on, or undefined when tracing is off: no API, or no SDK registered (the
 * global provider still delegates to the no-op one). Follows a provider registered or replaced later.
 */
export function activeTracer(): OtelApi.Tracer | undefined {
  // no tracer provider registered (no SDK; perhaps only a diag logger or a meter provider): two
  // property reads, not the API's version-checked lookup and its no-op delegate per call
  if (REGISTRY[GLOBAL_KEY]?.trace === undefined) return undefined;
  const a = api === undefined ? otelApi() : api;
  if (a === null) return undefined;
  const provider = a.trace.getTracerProvider() as OtelApi.TracerProvider & {
    getDelegate?: () => OtelApi.TracerProvider;
  };
  const real = provider.getDelegate ? provider.getDelegate() : provider;
  if (real === lastProvider) return lastTracer;
  lastProvider = real;
  lastTracer = real === noopProvider ? undefined : real.getTracer(NAME);
  return lastTracer;
}
