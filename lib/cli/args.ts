/**
 * Value parsers for commander options and arguments. Each throws commander's InvalidArgumentError,
 * so a bad value is reported by commander as one usage line (exit code 2), never a stack trace.
 */
import { InvalidArgumentError } from 'commander';
import { errorText } from '../core/errors/error-text.js';

/** A JSON document given on the command line. */
export function parseJsonArgument(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = errorText(error);
    throw new InvalidArgumentError(`not valid JSON (${why}); quote it for the shell, e.g. '{"name":"John"}'`);
  }
}

/** `-m key:value`, repeatable: collects into one metadata object. */
export function collectMetadata(pair: string, previous: Record<string, string> = {}): Record<string, string> {
  const colon = pair.indexOf(':');
  const key = colon > 0 ? pair.slice(0, colon).trim() : '';
  if (!key) throw new InvalidArgumentError(`expected key:value, got "${pair}"`);
  return { ...previous, [key]: pair.slice(colon + 1).trim() };
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };

/** A duration: milliseconds ("500"), or with a unit ("500ms", "5s", "1m"). */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  const value = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN;
  if (!Number.isFinite(value) || value < 1)
    throw new InvalidArgumentError(`expected a duration such as 500, 500ms, 5s or 1m, got "${text}"`);
  return Math.round(value);
}

/** A non-negative integer (retries, counts). */
export function parseCount(text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value))
    throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return value;
}

/** `--address a:1,b:2` (or repeated): one or more "host:port". */
export function collectAddresses(text: string, previous: string[] = []): string[] {
  const list = text
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const address of list)
    if (!/^(\[[^\]]+\]|[^:\s]*):\d{1,5}$/.test(address))
      throw new InvalidArgumentError(`expected host:port, got "${address}"`);
  if (list.length === 0) throw new InvalidArgumentError('expected host:port');
  return [...previous, ...list];
}
