/**
 * Bulkhead: at most `maxInFlight` calls and open streams from one module's clients to one service
 * (retries included: a call holds its slot until it settles, a stream until it ends; admission.ts
 * takes and gives back the slots). Past the bound a call or stream fails fast with
 * a 503 `go.micro.client.bulkhead`, without a network call; nothing queues, so a slow dependency
 * cannot pile up callers, memory or sockets here.
 */
import { MicroError } from '../errors/micro-error.js';
import { ERROR_ID } from '../errors/ids.js';

export const BULKHEAD_ID = ERROR_ID.bulkhead;

export class Bulkheads {
  private readonly inflight = new Map<string, number>();

  /** Takes a slot for a call to `service`, or returns the 503 refusing it. */
  enter(service: string, max: number): MicroError | undefined {
    const now = this.inflight.get(service) ?? 0;
    if (now >= max)
      return MicroError.unavailable(
        BULKHEAD_ID,
        `bulkhead full: ${now} calls to ${service} in flight (maxInFlight ${max})`,
        false,
      );
    this.inflight.set(service, now + 1);
    return undefined;
  }

  /** Gives back the slot of a settled call. */
  exit(service: string): void {
    const now = this.inflight.get(service) ?? 0;
    if (now <= 1) this.inflight.delete(service);
    else this.inflight.set(service, now - 1);
  }

  /** Calls to `service` in flight now. */
  inFlight(service: string): number {
    return this.inflight.get(service) ?? 0;
  }
}
