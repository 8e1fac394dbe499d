/**
 * `nest-micro publish <topic> '<json>'`: one message through the configured broker (with `-m`
 * metadata and `--content-type`). The command waits for the broker to accept it; with the HTTP
 * broker a delivery that failed and could not be retried before exit is reported (exit code 1),
 * never silently dropped.
 */
import type { Command } from 'commander';
import { HttpBroker } from '../core/broker/http.broker.js';
import { MicroError } from '../core/errors/micro-error.js';
import { collectMetadata, parseJsonArgument } from './args.js';
import type { CliContext, Run } from './context.js';
import { CLI_ERROR_ID } from './describe.js';
import { muteWarnings } from './output.js';

interface PublishFlags {
  metadata?: Record<string, string>;
  contentType?: string;
}

export async function runPublish(
  ctx: CliContext,
  topic: string,
  data: unknown,
  flags: PublishFlags,
): Promise<number> {
  const broker = await ctx.broker();
  await ctx.client().publish(topic, data, { metadata: flags.metadata, contentType: flags.contentType });
  if (broker instanceof HttpBroker && broker.stats().queued > 0) {
    muteWarnings(); // the broker's "undelivered" warning: reported below as the command's error
    await broker.disconnect(); // one last delivery attempt; what is left is dropped and counted
    const { dropped } = broker.stats();
    if (dropped > 0)
      throw MicroError.unavailable(
        CLI_ERROR_ID,
        `${topic}: ${dropped} subscriber(s) did not accept the message, which was not delivered to them`,
        false,
      );
  }
  return 0;
}

export function registerPublish(program: Command, run: Run): void {
  program
    .command('publish')
    .description('publish a message to a topic through the broker')
    .argument('<topic>', 'topic, e.g. greeter.greeted')
    .argument('<message>', 'message body as JSON', parseJsonArgument)
    .option('-m, --metadata <key:value>', 'metadata sent as a header (repeatable)', collectMetadata)
    .option('-c, --content-type <type>', 'message Content-Type (default application/json)')
    .action((topic: string, message: unknown, flags: PublishFlags) =>
      run((ctx) => runPublish(ctx, topic, message, flags)),
    );
}
