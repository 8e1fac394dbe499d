/**
 * `nest-micro stream <service> <Endpoint>`: JSON lines on stdin become the request stream (end of
 * input ends our side), replies are printed as JSON lines until the server ends the stream. A
 * stdin line that is not JSON cancels the stream with a BadRequest (400); Ctrl-C cancels it end to
 * end. Built on `MicroClient.stream(service, endpoint, requests$, options)`.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { Subject, type Observable } from 'rxjs';
import type { ClientCallOptions } from '../client/call-options.js';
import { MicroError } from '../errors/micro-error.js';
import { callOptions, withCallFlags, type CallFlags } from './call.js';
import type { CliContext, Run } from './context.js';
import { CLI_ERROR_ID } from './describe.js';
import { printJsonLine } from './output.js';

interface StreamingClient {
  stream(
    service: string,
    endpoint: string,
    requests: Observable<unknown>,
    options?: Partial<ClientCallOptions>,
  ): Observable<unknown>;
}

function streamingClient(ctx: CliContext): StreamingClient {
  const client = ctx.client() as unknown as Partial<StreamingClient>;
  if (typeof client.stream !== 'function')
    throw new MicroError(
      CLI_ERROR_ID,
      'this build of nest-micro has no client streaming (MicroClient.stream)',
      501,
    );
  return client as StreamingClient;
}

/** Pipes `input` lines into the stream and resolves with the exit code once it ends. */
export function runStream(
  ctx: CliContext,
  service: string,
  endpoint: string,
  flags: CallFlags,
  input: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const client = streamingClient(ctx);
  const requests = new Subject<unknown>();
  return new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input, crlfDelay: Infinity });
    let failed = false;
    const subscription = client.stream(service, endpoint, requests, callOptions(flags)).subscribe({
      next: (reply) => printJsonLine(reply ?? null),
      error: (error: unknown) => {
        lines.close();
        reject(error);
      },
      complete: () => {
        lines.close();
        resolve(0);
      },
    });
    ctx.signal.addEventListener('abort', () => subscription.unsubscribe(), { once: true });
    let n = 0;
    lines.on('line', (line) => {
      n++;
      if (failed || !line.trim()) return;
      try {
        requests.next(JSON.parse(line));
      } catch (error) {
        failed = true;
        subscription.unsubscribe();
        lines.close();
        const why = error instanceof Error ? error.message : String(error);
        reject(MicroError.badRequest(CLI_ERROR_ID, `stdin line ${n} is not JSON (${why}); stream cancelled`));
      }
    });
    lines.on('close', () => {
      if (!failed) requests.complete();
    });
  });
}

export function registerStream(program: Command, run: Run): void {
  withCallFlags(
    program
      .command('stream')
      .description('open a stream: JSON lines on stdin are sent, replies are printed as JSON lines')
      .argument('<service>', 'service name, e.g. greeter')
      .argument('<endpoint>', 'streaming endpoint, e.g. Chat.Talk'),
  ).action((service: string, endpoint: string, flags: CallFlags) =>
    run((ctx) => runStream(ctx, service, endpoint, flags)),
  );
}
