/**
 * The NATS broker's view of its connection: whether it is up right now (from the client's status
 * events), waiting for it to come back, and failing work caught by a disconnect at once (the client
 * would hold a flush or request until it reconnects or times out). Also the mapping of NATS failures
 * onto MicroErrors.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ERROR_ID } from '../../errors/ids.js';
import { unavailableFor } from '../unavailable.js';

export const BROKER_ERROR_ID = ERROR_ID.broker;

export class Link {
  private up = true;
  /** Resolved when the connection is back (true) or closed for good (false). */
  private comeback = new Set<(ok: boolean) => void>();
  /** Rejecters of the work `failOnDisconnect` watches. */
  private readonly watched = new Set<(error: Error) => void>();
  private readonly done: Promise<void>;

  constructor(private readonly nc: NatsConnection) {
    this.done = this.follow();
  }

  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  /** Resolves true once connected (at once when it is), false after `timeoutMs` or when closed. */
  whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    if (this.nc.isClosed() || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.comeback.delete(done);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.comeback.add(done);
    });
  }

  /** `work`, rejected as soon as the connection drops (its outcome is then unknown). */
  failOnDisconnect<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.watched.add(reject);
      work.then(
        (value) => {
          this.watched.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.watched.delete(reject);
          reject(error);
        },
      );
    });
  }

  /** Resolves once the status stream ended (the connection closed). */
  closed(): Promise<void> {
    return this.done;
  }

  private async follow(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') this.drop();
      else if (status.type === 'reconnect') this.restore(true);
      else if (status.type === 'close') break;
    }
    this.drop();
    this.restore(false);
  }

  private drop(): void {
    this.up = false;
    const error = new Error('connection to the NATS server lost');
    for (const reject of this.watched) reject(error);
    this.watched.clear();
  }

  private restore(ok: boolean): void {
    if (ok) this.up = true;
    const waiting = this.comeback;
    this.comeback = new Set();
    for (const resolve of waiting) resolve(ok);
  }
}

/** A NATS failure as a 503; `retryable` only when the message certainly was not taken. */
export const unavailable = unavailableFor('nats');

/** Nothing answered a JetStream request: the server has no JetStream, or it is not up yet. */
export function isJetStreamMissing(error: unknown): boolean {
  return error instanceof Error && error.name === 'JetStreamNotEnabled';
}
