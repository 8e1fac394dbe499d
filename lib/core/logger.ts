/**
 * The core's logger: a four-method interface the registries, brokers and caches write to, so the
 * core needs no logging framework. By default lines go to the console (`[Context] message`; debug
 * lines only with NODE_DEBUG=nest-micro, as Node's util.debuglog does); `setLoggerFactory` routes
 * them anywhere — the Nest layer plugs Nest's Logger in when it loads, so a MicroModule app sees
 * the same lines, levels and format as the rest of its Nest logs.
 */
import { debuglog } from 'node:util';

export interface MicroLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug(message: string): void;
}

/** Makes the logger of one component, named by its context ("RedisBroker", "MdnsRegistry", …). */
export type LoggerFactory = (context: string) => MicroLogger;

const debugEnabled = debuglog('nest-micro').enabled;

/** The default: the console, one line per message, prefixed with the context. */
export const consoleLoggerFactory: LoggerFactory = (context) => ({
  log: (message) => console.log(`[${context}] ${message}`),
  warn: (message) => console.warn(`[${context}] ${message}`),
  error: (message, stack) => console.error(`[${context}] ${message}${stack ? `\n${stack}` : ''}`),
  debug: (message) => {
    if (debugEnabled) console.debug(`[${context}] ${message}`);
  },
});

let factory: LoggerFactory = consoleLoggerFactory;

/** Routes every core component's log lines through `next` (undefined: back to the console). */
export function setLoggerFactory(next: LoggerFactory | undefined): void {
  factory = next ?? consoleLoggerFactory;
}

/**
 * The logger for `context`. It asks the current factory at each line (re-creating its logger only
 * when the factory changed), so a component built before `setLoggerFactory` still follows it.
 */
export function loggerFor(context: string): MicroLogger {
  let madeBy: LoggerFactory | undefined;
  let current: MicroLogger | undefined;
  const resolve = (): MicroLogger => {
    if (madeBy !== factory || !current) {
      madeBy = factory;
      current = factory(context);
    }
    return current;
  };
  return {
    log: (message) => resolve().log(message),
    warn: (message) => resolve().warn(message),
    error: (message, stack) =>
      stack === undefined ? resolve().error(message) : resolve().error(message, stack),
    debug: (message) => resolve().debug(message),
  };
}
