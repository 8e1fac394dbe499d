/**
 * `nest-micro subscribe <topic> [--queue q]`: prints each message on the topic as a JSON line
 * {topic, header, body} (body decoded by its Content-Type; undecodable bodies as base64 text) until
 * Ctrl-C/SIGTERM or `--count` messages, then unsubscribes and exits 0.
 */
import type { Command } from 'commander';
import type { BrokerEvent } from '../core/broker/broker.js';
import { Codecs } from '../core/codec/codecs.js';
import { HEADER } from '../core/metadata/headers.js';
import { parseCount } from './args.js';
import type { CliContext, Run } from './context.js';
import { note, printJsonLine } from './output.js';

interface SubscribeFlags {
  queue?: string;
  count?: number;
}

/** A broker message as printed: the body decoded when its Content-Type is known. */
export function messageJson(codecs: Codecs, event: BrokerEvent): Record<string, unknown> {
  const { header, body } = event.message;
  let decoded: unknown;
  try {
    decoded = codecs.get(header[HEADER.contentType]).unmarshal(body);
  } catch {
    decoded = body.toString('base64');
  }
  return { topic: event.topic, header, body: decoded };
}

export async function runSubscribe(ctx: CliContext, topic: string, flags: SubscribeFlags): Promise<number> {
  const codecs = new Codecs(ctx.options.codecs);
  const broker = await ctx.broker();
  let seen = 0;
  let enough!: () => void;
  const done = new Promise<void>((resolve) => {
    enough = resolve;
  });
  const subscription = await broker.subscribe(
    topic,
    (event) => {
      if (flags.count !== undefined && seen >= flags.count) throw new Error('subscriber is leaving');
      seen++;
      printJsonLine(messageJson(codecs, event));
      if (flags.count !== undefined && seen >= flags.count) enough();
    },
    { queue: flags.queue },
  );
  note(`subscribed to ${topic}${flags.queue ? ` (queue ${flags.queue})` : ''} on the ${broker.name} broker`);
  await Promise.race([ctx.untilStopped(), done]);
  await subscription.unsubscribe().catch(() => undefined);
  return 0;
}

export function registerSubscribe(program: Command, run: Run): void {
  program
    .command('subscribe')
    .description('print messages published to a topic as JSON lines, until Ctrl-C')
    .argument('<topic>', 'topic, e.g. greeter.greeted')
    .option('-q, --queue <name>', 'join a queue group: each message reaches one member of the group')
    .option('-n, --count <n>', 'exit after this many messages', parseCount)
    .action((topic: string, flags: SubscribeFlags) => run((ctx) => runSubscribe(ctx, topic, flags)));
}
