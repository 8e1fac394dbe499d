/**
 * Fallbacks: what a call returns instead of failing when the dependency is unavailable — a value,
 * or a function of the error. Only unavailability qualifies (a retryable error, 408, 502, 503, 504,
 * which includes an open circuit breaker and a full bulkhead); an application's answer (4xx, 500)
 * is never hidden.
 */
import { MicroError } from '../errors/micro-error.js';

/**
 * A value returned in place of the failed call, or a function of the error returning it (or a
 * promise of it; throwing fails the call with what it throws). A function is always called: to
 * return a function, return it from one.
 */
export type Fallback = ((error: MicroError) => unknown) | NonNullable<unknown> | null;

/** The call failed because the dependency is unavailable, not because it answered with an error. */
export function fallbackApplies(error: unknown): error is MicroError {
  if (!(error instanceof MicroError)) return false;
  const c = error.code;
  return error.retryable || c === 408 || c === 502 || c === 503 || c === 504;
}

/** `call` with `fallback` in place of an unavailability error. */
export function withFallback<T>(call: Promise<T>, fallback: Fallback): Promise<T> {
  return call.catch((error: unknown) => {
    if (!fallbackApplies(error)) throw error;
    if (typeof fallback !== 'function') return fallback as T;
    return (fallback as (error: MicroError) => unknown)(error) as T;
  });
}
