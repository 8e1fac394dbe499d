/**
 * Calls a Nest-wrapped handler (guards, pipes, interceptors and filters included) inside the call
 * scope, after validating its payload when the payload class declares class-validator rules.
 */
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable } from 'rxjs';
import { microExtras } from '../decorators/handler-meta.js';
import {
  isValidatedClass,
  validatePayload,
  type ValidatePayloadOptions,
} from '../validation/validate-payload.js';
import { runInCallScope } from './call-scope.js';
import type { MicroContext } from './micro-context.js';

export type Done = (error: unknown, value?: unknown) => void;

export class HandlerInvoker {
  /** Per handler: the payload class to validate against, or null (decided once). */
  private readonly validated = new WeakMap<MessageHandler, Function | null>();

  constructor(private readonly validation: ValidatePayloadOptions) {}

  /** The payload as the handler should see it (validated instance), or a rejected 400. */
  prepare(handler: MessageHandler, data: unknown, service: string): unknown {
    let type = this.validated.get(handler);
    if (type === undefined) {
      const micro = microExtras(handler.extras);
      const candidate = micro?.validate === false ? undefined : micro?.requestType;
      type = candidate && isValidatedClass(candidate, this.validation.groups) ? candidate : null;
      this.validated.set(handler, type);
    }
    if (type === null) return data;
    return validatePayload(type, data, { ...this.validation, id: service });
  }

  /** Runs the handler; reports its (last) value or its error exactly once. */
  unary(handler: MessageHandler, data: unknown, context: MicroContext, done: Done): void {
    const prepared = this.prepare(handler, data, context.getService());
    if (prepared instanceof Promise) {
      prepared.then(
        (payload) => this.run(handler, payload, context, done),
        (error: unknown) => done(error),
      );
    } else {
      this.run(handler, prepared, context, done);
    }
  }

  private run(handler: MessageHandler, data: unknown, context: MicroContext, done: Done): void {
    let result: Promise<unknown>;
    try {
      result = runInCallScope(context, () => handler(data, context));
    } catch (error) {
      return done(error ?? new Error('handler failed'));
    }
    result.then(
      (out) => {
        if (!isObservable(out)) return done(undefined, out);
        let last: unknown;
        out.subscribe({
          next: (v) => (last = v),
          error: (e: unknown) => done(e ?? new Error('handler failed')),
          complete: () => done(undefined, last),
        });
      },
      (error: unknown) => done(error ?? new Error('handler failed')),
    );
  }
}
