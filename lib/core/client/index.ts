/**
 * nest-micro/client: the Nest-free call path MicroClient runs on (go-micro's client package): call
 * options and how layers of them merge, call and attempt wrappers (middleware), circuit breakers,
 * bulkheads and fallbacks, and RpcCaller itself (what `MicroClient.unwrap()` returns).
 */
export {
  DEFAULT_CALL_OPTIONS,
  layerCallOptions,
  type AttemptFn,
  type AttemptRequest,
  type AttemptWrapper,
  type CallFn,
  type CallRequest,
  type CallWrapper,
  type CallerOptions,
  type ClientCallOptions,
} from './call-options.js';
export {
  BREAKER_ID,
  CircuitBreaker,
  CircuitBreakers,
  type BreakerEvent,
  type BreakerEvents,
  type BreakerOptions,
  type BreakerState,
} from './circuit-breaker.js';
export { BULKHEAD_ID } from './bulkhead.js';
export { fallbackApplies, type Fallback } from './fallback.js';
export { RpcCaller } from './rpc-caller.js';
export type { StreamCallOptions } from './stream-caller.js';
