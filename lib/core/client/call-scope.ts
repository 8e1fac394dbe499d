/**
 * The call scope: the request a handler is serving, carried across its async work
 * (AsyncLocalStorage), so a call the handler makes inherits the caller's remaining budget and
 * carries its metadata on (request-header.ts, deadline.ts), as a go-micro handler's ctx does. The
 * client needs only the two things a served call hands on (`ServedCall`); the Nest server fills the
 * scope with its MicroContext (lib/nest/server/call-scope.ts).
 *
 * On Node 20 an active AsyncLocalStorage puts a hook on every promise (about a fifth of a busy
 * server's throughput), so the scope is switched on only in processes that make calls: when clients
 * are registered (MicroModule.registerClients), at a process's first client call or stream, or
 * explicitly (`enableCallScope()`). A service that only answers pays nothing; a service whose
 * handlers call others gets inheritance from its first outgoing call on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metadata } from '../metadata/metadata.js';

/** What a call made while serving another inherits from it. */
export interface ServedCall {
  /** Epoch ms by which the served call's caller needs the reply; undefined when it set none. */
  getDeadline(): number | undefined;
  /** The served call's metadata (lower-case keys), carried onto the calls it makes. */
  getMetadata(): Metadata;
}

const scope = new AsyncLocalStorage<ServedCall>();
let enabled = false;

/** Carries served calls from now on (idempotent). */
export function enableCallScope(): void {
  enabled = true;
}

export function runInCallScope<T>(served: ServedCall, fn: () => T): T {
  return enabled ? scope.run(served, fn) : fn();
}

/** The call being served, where the scope is on. */
export function currentServedCall(): ServedCall | undefined {
  return enabled ? scope.getStore() : undefined;
}
