/**
 * The call scope as the Nest layer sees it: handlers run in the scope of their MicroContext
 * (lib/core/client/call-scope.ts holds the store and says when it is on), and
 * `currentCallContext()` gives that context back to user code.
 */
import {
  currentServedCall,
  enableCallScope,
  runInCallScope as runInScope,
} from '../../core/client/call-scope.js';
import { MicroContext } from './micro-context.js';

export { enableCallScope };

export function runInCallScope<T>(context: MicroContext, fn: () => T): T {
  return runInScope(context, fn);
}

/** The context of the call being served, where the scope is on. */
export function currentCallContext(): MicroContext | undefined {
  const served = currentServedCall();
  return served instanceof MicroContext ? served : undefined;
}
