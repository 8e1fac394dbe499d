/**
 * The errors of a server protecting itself (load shedding and rate limits), built and recognised in
 * one place so clients and the selector can tell them from a failing node:
 * - shed (`maxConcurrent`/`maxQueued` reached): 503, retryable — the call was never run, another node
 *   may take it. Id `<service>:<endpoint>:<limit>` (a handler's limit) or `<service>:<limit>`.
 * - rate limited (`rateLimit`): 429, not retryable — the caller is going too fast; an immediate
 *   retry would only be refused again. Id `<service>[:<endpoint>]:rateLimit`.
 */
import { MicroError, statusText } from './micro-error.js';

export type ShedLimit = 'maxConcurrent' | 'maxQueued';

const SHED_ID = /:(maxConcurrent|maxQueued)$/;

/** `scope` is the service name, or "<service>:<endpoint>" for a handler's own limit. */
export function overloaded(scope: string, limit: ShedLimit, value: number): MicroError {
  const what = limit === 'maxConcurrent' ? 'calls in progress' : 'calls waiting';
  return new MicroError(
    `${scope}:${limit}`,
    `${scope} is overloaded: ${value} ${what} (${limit}); retry on another node`,
    503,
    statusText(503),
    true,
  );
}

export function rateLimited(scope: string, rate: number): MicroError {
  return new MicroError(
    `${scope}:rateLimit`,
    `${scope} is rate limited to ${rate} calls per second`,
    429,
    statusText(429),
    false,
  );
}

/** A call a server shed (refused unrun because it was at its limits): the node itself is alive. */
export function isShed(error: unknown): boolean {
  return error instanceof MicroError && error.code === 503 && error.retryable && SHED_ID.test(error.id);
}
