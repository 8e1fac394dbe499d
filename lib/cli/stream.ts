/**
 * `nest-micro stream <service> <Endpoint>`: JSON lines on stdin become the request stream (pulled
 * only as the server's window allows, so a large input is never buffered; end of input ends our
 * side), replies are printed as JSON lines until the server ends the stream. A stdin line that is
 * not JSON cancels the stream with a BadRequest (400); Ctrl-C cancels it end to end.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { MicroError } from '../core/errors/micro-error.js';
import { callOptions, withCallFlags, type CallFlags } from './call.js';
import type { CliContext, Run } from './context.js';
import { CLI_ERROR_ID } from './describe.js';
import { printJsonLine } from './output.js';
import { errorText } from '../core/errors/error-text.js';

/** The JSON documents of `input`, one per non-empty line; a bad line throws a 400. */
export async function* jsonLines(input: NodeJS.ReadableStream): AsyncGenerator<unknown> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        const why = errorText(error);
        throw MicroError.badRequest(CLI_ERROR_ID, `stdin line ${n} is not JSON (${why}); stream cancelled`);
      }
      yield value;
    }
  } finally {
    lines.close();
  }
}

/** Streams `input` to the endpoint and resolves with the exit code once the server ends the stream. */
export function runStream(
  ctx: CliContext,
  service: string,
  endpoint: string,
  flags: CallFlags,
  input: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const replies = ctx.client().stream(service, endpoint, jsonLines(input), callOptions(flags));
  return new Promise<number>((resolve, reject) => {
    const subscription = replies.subscribe({
      next: (reply) => printJsonLine(reply ?? null),
      error: reject,
      complete: () => resolve(0),
    });
    ctx.signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
  });
}

export function registerStream(program: Command, run: Run): void {
  withCallFlags(
    program
      .command('stream')
      .description('open a stream: JSON lines on stdin are sent, replies are printed as JSON lines')
      .argument('<service>', 'service name, e.g. greeter')
      .argument('<endpoint>', 'streaming endpoint, e.g. Chat.Talk'),
    'deadline for the whole stream (default none)',
  ).action((service: string, endpoint: string, flags: CallFlags) =>
    run((ctx) => runStream(ctx, service, endpoint, flags)),
  );
}
