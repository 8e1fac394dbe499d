/**
 * The call scope: the MicroContext of the request a handler is serving, carried across its async
 * work (AsyncLocalStorage), so a call the handler makes inherits the caller's remaining budget.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MicroContext } from './micro-context.js';

const scope = new AsyncLocalStorage<MicroContext>();

export function runInCallScope<T>(context: MicroContext, fn: () => T): T {
  return scope.run(context, fn);
}

export function currentCallContext(): MicroContext | undefined {
  return scope.getStore();
}
