/**
 * What the command line writes: JSON and JSON lines on stdout, one-line errors on stderr, colours
 * only when the stream is a TTY and NO_COLOR is unset, and the library's Nest logging turned into
 * terse stderr lines (warnings and errors; everything with --verbose) so stdout stays parseable.
 */
import { styleText } from 'node:util';
import { Logger, type LoggerService } from '@nestjs/common';
import { MicroError } from '../core/errors/micro-error.js';
import { setLoggerFactory } from '../core/logger.js';
import { errorText } from '../core/errors/error-text.js';

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta';

/** Colours for one output stream: on a TTY, unless NO_COLOR is set to anything non-empty. */
export function colours(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env) {
  const enabled = stream.isTTY === true && !env.NO_COLOR;
  return (style: Style, text: string): string =>
    enabled ? styleText(style, text, { validateStream: false }) : text;
}

export const out = colours(process.stdout);
const err = colours(process.stderr);

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Replies and documents: indented JSON. Buffers (bytes codec) are shown as base64 strings. */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value, jsonReplacer, 2) ?? 'null');
}

/** One JSON document per line (stream replies, messages, registry events). */
export function printJsonLine(value: unknown): void {
  printLine(JSON.stringify(value, jsonReplacer) ?? 'null');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    const data = (value as { data?: unknown }).data;
    if (Array.isArray(data)) return Buffer.from(data as number[]).toString('base64');
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/** A failure as one stderr line: a MicroError shows code, status, id and detail. */
export function formatError(error: unknown): string {
  const e = error instanceof MicroError ? error : MicroError.fromObject(error);
  if (e) {
    const id = e.id ? ` [${e.id}]` : '';
    return `${err('red', `error ${e.code} ${e.status}`)}${id}: ${oneLine(e.detail)}`;
  }
  const message = errorText(error);
  return `${err('red', 'error')}: ${oneLine(message.replace(/^nest-micro:\s*/, ''))}`;
}

export function printError(error: unknown): void {
  process.stderr.write(`nest-micro: ${formatError(error)}\n`);
}

/** A note for the user on stderr (never mixed into stdout's data). */
export function note(text: string): void {
  process.stderr.write(`${err('dim', text)}\n`);
}

/** Routes the library's Nest Logger to stderr, one line per entry. */
function logLine(level: string, message: unknown, context: unknown[]): void {
  const ctx = typeof context.at(-1) === 'string' ? ` [${String(context.at(-1))}]` : '';
  const text = errorText(message);
  process.stderr.write(`nest-micro: ${level}${ctx} ${oneLine(text)}\n`);
}

let warningsMuted = false;

/** Drops the library's warnings (not errors) from now on, for a condition the CLI reports itself. */
export function muteWarnings(): void {
  warningsMuted = true;
}

export function quietLogging(verbose: boolean): void {
  const line = logLine;
  const logger: LoggerService = {
    log: (m, ...c) => verbose && line('log', m, c),
    debug: (m, ...c) => verbose && line('debug', m, c),
    verbose: (m, ...c) => verbose && line('verbose', m, c),
    warn: (m, ...c) => (verbose || !warningsMuted) && line(err('yellow', 'warn'), m, c),
    error: (m, ...c) => line(err('red', 'error'), m, c),
  };
  Logger.overrideLogger(logger);
  // the core's registries and brokers log through the same lines
  setLoggerFactory((context) => new Logger(context));
}
