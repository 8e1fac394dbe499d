/**
 * Log correlation for Nest's logger: TraceContextLogger is Nest's ConsoleLogger with the trace and
 * span id of the call being handled on every line written inside it — `trace_id`, `span_id` and
 * `trace_flags` fields in JSON mode, ` trace_id=… span_id=…` at the end of a text line — so logs
 * and traces join. `new Logger(Ctx).log(…)` and the app logger both write through it once it is
 * the app's logger: give it to NestFactory (`logger: new TraceContextLogger({ json: true })`), or
 * set MicroModule's `logFormat` (or MICRO_LOG_FORMAT) and the module installs it.
 */
import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { currentTraceIds } from '../../core/telemetry/log-context.js';

export type LogFormat = 'text' | 'json';

export class TraceContextLogger extends ConsoleLogger {
  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(message, options);
    const ids = currentTraceIds();
    return ids === undefined ? line : { ...line, ...ids };
  }

  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
    params?: Record<string, unknown>,
  ): string {
    const ids = currentTraceIds();
    // before the "+Nms" difference, which Nest puts last
    const suffix =
      ids === undefined ? timestampDiff : ` trace_id=${ids.trace_id} span_id=${ids.span_id}${timestampDiff}`;
    return super.formatMessage(
      logLevel,
      message,
      pidMessage,
      formattedLogLevel,
      contextMessage,
      suffix,
      params,
    );
  }
}

/** Reads what Nest's static Logger holds (protected statics: a subclass may read them; never made). */
class NestLoggerState extends Logger {
  static current(): { instance: unknown; levels: LogLevel[] | undefined } {
    return { instance: Logger.staticInstanceRef, levels: Logger.logLevels };
  }
}

/**
 * Makes a TraceContextLogger in `format` the app's logger, keeping the log levels set so far. It
 * replaces only Nest's ConsoleLogger (the default, or one given to NestFactory): a custom
 * LoggerService is left alone (it can read `currentTraceIds()` itself), and so is logging turned
 * off (`logger: false`).
 */
export function useTraceContextLogger(format: LogFormat): void {
  const { instance, levels } = NestLoggerState.current();
  if (!(instance instanceof ConsoleLogger)) return;
  const json = format === 'json';
  Logger.overrideLogger(
    new TraceContextLogger(levels === undefined ? { json } : { json, logLevels: levels }),
  );
}
