/**
 * A service must not die because a handler threw: an error thrown inside a handler's own rxjs
 * `subscribe` callback (an Observable it subscribes to itself, e.g. to its stream's requests) has no
 * subscriber to go to, so rxjs rethrows it on a timer and the process ends. While a MicroServer runs
 * and the application has not set rxjs's `config.onUnhandledError` itself, such errors are logged
 * instead. The hook is removed again when the last server closes.
 */
import type { Logger } from '@nestjs/common';
import { config } from 'rxjs';

let installed: ((error: unknown) => void) | undefined;
let users = 0;

/** Installs the logging hook (when the app has none); returns the function that releases it. */
export function logUnhandledRxErrors(logger: Logger): () => void {
  users++;
  if (!installed && config.onUnhandledError === null) {
    installed = (error: unknown) =>
      logger.error(
        `error thrown in an rxjs subscriber with no one to report to (a handler's own subscribe callback?): ${
          error instanceof Error ? (error.stack ?? error.message) : String(error)
        }`,
      );
    config.onUnhandledError = installed;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--users === 0 && installed && config.onUnhandledError === installed) {
      config.onUnhandledError = null;
      installed = undefined;
    }
  };
}
