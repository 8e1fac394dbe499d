/**
 * The W3C context (`traceparent`, `tracestate`, `baggage`) in call and message headers, through the
 * global propagator. Headers keep lower-case keys; go-micro's OpenTelemetry wrapper writes
 * `Traceparent` (its metadata keys are title-cased) and HTTP lowers them again, so extraction
 * matches keys case-insensitively.
 */
import type { TextMapGetter } from '@opentelemetry/api';
import type { Header } from '../transport/transport.js';
import type { Api, Context } from './otel-api.js';

const headerGetter: TextMapGetter<Header> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const exact = carrier[key];
    if (exact !== undefined) return exact;
    const lower = key.toLowerCase();
    for (const k of Object.keys(carrier)) if (k.toLowerCase() === lower) return carrier[k];
    return undefined;
  },
};

/** Writes `context`'s trace context into `header` (replacing one carried on from a served call). */
export function injectContext(api: Api, context: Context, header: Header): void {
  api.propagation.inject(context, header, {
    set: (carrier, key, value) => (carrier[key.toLowerCase()] = value),
  });
}

/** The context `header` carries, on top of `base` (the active one by default). */
export function extractContext(api: Api, header: Header, base: Context = api.context.active()): Context {
  return api.propagation.extract(base, header, headerGetter);
}
