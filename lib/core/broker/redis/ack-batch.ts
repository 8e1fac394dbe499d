/**
 * Acknowledgements of one queue subscription, batched: ids acked while one batch is handled (the
 * microtasks queued so far and those they queue) go to Redis as one `XACK <stream> <group> id…`
 * (one command and one socket write instead of one per message), in the same turn rather than a
 * turn later (setImmediate held the acks behind every I/O callback of the next poll). `ack(id)` resolves once that XACK was answered or failed; ids of a failed XACK are
 * kept and sent again when the command connection is ready (`retryFailed`); until then those
 * messages may be redelivered (at least once). `drain()` waits for what is in flight.
 */
import type { Redis } from 'ioredis';
import { errorText } from '../../errors/error-text.js';

export class AckBatch {
  private pending: string[] = [];
  private waiters: (() => void)[] = [];
  private scheduled = false;
  private sending = 0;
  private readonly failed = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly command: Redis,
    private readonly key: string,
    private readonly group: string,
    private readonly debug: (text: string) => void,
  ) {}

  /** Messages whose XACK is queued or in flight (not those failed and waiting for a reconnect). */
  get unanswered(): number {
    return this.pending.length + this.sending;
  }

  ack(id: string): Promise<void> {
    this.pending.push(id);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  readonly retryFailed = (): void => {
    if (this.failed.size === 0) return;
    const ids = [...this.failed];
    this.failed.clear();
    this.send(ids, []);
  };

  async drain(): Promise<void> {
    if (this.scheduled) this.flush();
    await Promise.all(this.inFlight);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const ids = this.pending;
    const waiters = this.waiters;
    if (ids.length === 0) return;
    this.pending = [];
    this.waiters = [];
    this.send(ids, waiters);
  };

  private send(ids: string[], waiters: (() => void)[]): void {
    this.sending += ids.length;
    const done = this.command
      .xack(this.key, this.group, ...ids)
      .then(
        () => {},
        (error: unknown) => {
          for (const id of ids) this.failed.add(id);
          this.debug(`ack of ${ids.length} message(s) deferred: ${errorText(error)}`);
        },
      )
      .finally(() => {
        this.sending -= ids.length;
        this.inFlight.delete(done);
        for (const resolve of waiters) resolve();
      });
    this.inFlight.add(done);
  }
}
