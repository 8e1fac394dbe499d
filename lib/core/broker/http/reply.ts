/**
 * One broker POST's reply, collected through undici's dispatch callbacks and reported exactly
 * once: the status, whether it carries the batch mark (batch.ts) and the body, or why there is no
 * reply. No reply in time is a timeout of a live subscriber (it took the request); a connection
 * failure means it could not be reached.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { MicroError } from '../../errors/micro-error.js';
import { BATCH_HEADER } from './batch.js';
import { BROKER_ERROR_ID } from './envelope.js';

export type SendResult = { ok: true } | { ok: false; reachable: boolean; error: MicroError };

export type Outcome =
  | { replied: true; status: number; batchMark: boolean; body: Buffer }
  | { replied: false; failure: SendResult & { ok: false } };

export class Reply implements Dispatcher.DispatchHandler {
  timer?: NodeJS.Timeout;
  private controller?: Dispatcher.DispatchController;
  private status = 0;
  private batchMark = false;
  private readonly chunks: Buffer[] = [];
  private done = false;

  constructor(
    private readonly address: string,
    private readonly resolve: (outcome: Outcome) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('delivery already settled'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.batchMark = headers[BATCH_HEADER] === '1';
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.finish({ replied: true, status: this.status, batchMark: this.batchMark, body });
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    const detail = `cannot deliver to ${this.address}: ${(error as NodeJS.ErrnoException).code ?? error.message}`;
    const failure = {
      ok: false as const,
      reachable: false,
      error: MicroError.unavailable(BROKER_ERROR_ID, detail),
    };
    this.finish({ replied: false, failure });
  }

  /**
   * The subscriber took the request but did not acknowledge in time: it is alive, so the retry
   * counts as an attempt (bounded by maxAttempts) rather than "unreachable" (unbounded).
   */
  timeout(): void {
    const error = MicroError.timeout(BROKER_ERROR_ID, `no reply from ${this.address}`);
    this.finish({ replied: false, failure: { ok: false, reachable: true, error } });
    this.controller?.abort(new Error('timed out'));
  }

  private finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}
