/**
 * The call scope: the MicroContext of the request a handler is serving, carried across its async
 * work (AsyncLocalStorage), so a call the handler makes inherits the caller's remaining budget and
 * carries its metadata on (client/request-header.ts), as a go-micro handler's ctx does.
 *
 * On Node 20 an active AsyncLocalStorage puts a hook on every promise (about a fifth of a busy
 * server's throughput), so the scope is switched on only in processes that make calls: when clients
 * are registered (MicroModule.registerClients), at a process's first client call or stream, or
 * explicitly (`enableCallScope()`). A service that only answers pays nothing; a service whose
 * handlers call others gets inheritance from its first outgoing call on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MicroContext } from './micro-context.js';

const scope = new AsyncLocalStorage<MicroContext>();
let enabled = false;

/** Carries handler contexts from now on (idempotent). */
export function enableCallScope(): void {
  enabled = true;
}

export function runInCallScope<T>(context: MicroContext, fn: () => T): T {
  return enabled ? scope.run(context, fn) : fn();
}

/** The context of the call being served, where the scope is on. */
export function currentCallContext(): MicroContext | undefined {
  return enabled ? scope.getStore() : undefined;
}
