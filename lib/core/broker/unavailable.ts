/**
 * A broker that cannot do what was asked (its server is down, or did not confirm) as a 503
 * MicroError: one shape for every broker, named after it (`redis broker: publish: …`).
 */
import { errorText } from '../errors/error-text.js';
import { ERROR_ID } from '../errors/ids.js';
import { MicroError } from '../errors/micro-error.js';

export type Unavailable = (what: string, error: unknown, retryable: boolean) => MicroError;

/**
 * The `unavailable` of the broker called `broker`: a MicroError passes through as it is, anything
 * else becomes a 503 whose detail names the broker, the operation and the failure; `retryable` only
 * when the work certainly was not done.
 */
export function unavailableFor(broker: string): Unavailable {
  return (what, error, retryable) => {
    if (error instanceof MicroError) return error;
    return MicroError.unavailable(
      ERROR_ID.broker,
      `${broker} broker: ${what}: ${errorText(error)}`,
      retryable,
    );
  };
}
