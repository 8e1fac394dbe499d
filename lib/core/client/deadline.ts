/**
 * A call's or a stream's deadline, as go-micro's client sets one: its own timeout from now, capped by
 * the deadline of the call being served (call-scope.ts), so a callee never gets more time than the
 * caller has left. A served call whose deadline has already passed fails at once with a 408, before
 * admission and without a network call. One rule for the call path and the stream path.
 */
import { MicroError } from '../errors/micro-error.js';
import { currentServedCall } from './call-scope.js';
import { ERROR_ID } from '../errors/ids.js';

const CLIENT_ID = ERROR_ID.client;

/**
 * Epoch ms by which `what` must be done: `timeout` ms from now or the served call's deadline,
 * whichever comes first; undefined when neither sets one (a stream without a timeout).
 */
export function callDeadline(timeout: number, what: string): number;
export function callDeadline(timeout: number | undefined, what: string): number | undefined;
export function callDeadline(timeout: number | undefined, what: string): number | undefined {
  const now = Date.now();
  const own = timeout === undefined ? undefined : now + timeout;
  const inherited = currentServedCall()?.getDeadline();
  if (inherited === undefined || (own !== undefined && inherited >= own)) return own;
  if (inherited <= now)
    throw MicroError.timeout(CLIENT_ID, `${what} timed out: the caller's deadline has passed`);
  return inherited;
}
