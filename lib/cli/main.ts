/**
 * The `nest-micro` command line's entry (bin/nest-micro.js imports the built copy; from source:
 * `node --import ./scripts/register-ts.mjs lib/cli/main.ts`). Runs one command, turns the first
 * SIGINT/SIGTERM into a clean stop (the second exits at once) and exits with the command's code as
 * soon as its sockets are closed. Nothing escapes as a stack trace.
 */
import 'reflect-metadata';
import { printError } from './output.js';
import { EXIT, runCli } from './program.js';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    stop.abort();
  });
for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (error: unknown) => {
    printError(error);
    process.exit(EXIT.failed);
  });

process.exit(await runCli(process.argv, stop.signal));
