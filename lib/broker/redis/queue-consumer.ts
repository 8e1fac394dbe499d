/**
 * One queue-group subscription on a Redis stream: reads with XREADGROUP (its own blocking
 * connection), runs the handler, XACKs when it completes (or when the handler calls `ack()`), keeps
 * messages in hand from going stale with JUSTID re-claims, hands failed ones back for redelivery,
 * claims stale messages of dead members with XAUTOCLAIM, and moves a message that has been delivered
 * `maxDeliveries` times to the dead-letter stream.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { BrokerEvent, BrokerHandler } from '../broker.js';
import { errorText } from './connection.js';
import { decodeFields } from './message.js';
import { deadLetterKey, topicKey, type ResolvedRedisOptions } from './options.js';

interface Entry {
  id: string;
  /** null when the entry was trimmed from the stream while pending. */
  fields: Buffer[] | null;
}

export interface ConsumerCounters {
  deadLettered: number;
  trimmed: number;
}

export interface QueueConsumerContext {
  topic: string;
  queue: string;
  handler: BrokerHandler;
  autoAck: boolean;
  options: ResolvedRedisOptions;
  /** Shared, fail-fast connection for XACK, XCLAIM, XAUTOCLAIM, XPENDING, XADD. */
  command: Redis;
  /** This consumer's own connection for blocking reads. */
  reader: Redis;
  counters: ConsumerCounters;
}

/** `[[id, [f, v, …] | null], …]` as returned by XREADGROUP / XAUTOCLAIM. */
function parseEntries(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: [Buffer, Buffer[] | null]) => ({ id: item[0].toString(), fields: item[1] }));
}

export class QueueConsumer {
  private readonly logger: Logger;
  private readonly key: string;
  private readonly stop$ = new AbortController();
  private readonly inHand = new Set<string>();
  private readonly failedAcks = new Set<string>();
  private readonly active = new Set<Promise<void>>();
  private loop?: Promise<void>;
  private heartbeat?: NodeJS.Timeout;
  private claimCursor = '0-0';
  private nextClaim = 0;
  /** Read our own pending entries before new ones ('>'): a restarted fixed-name consumer. */
  private readHistory = true;
  /** Where the read of our own pending entries has got to (each is read once). */
  private historyCursor = '0';

  constructor(private readonly ctx: QueueConsumerContext) {
    this.key = topicKey(ctx.options.keyPrefix, ctx.topic);
    this.logger = new Logger(`RedisBroker:${ctx.topic}/${ctx.queue}`);
  }

  async start(): Promise<void> {
    await this.ensureGroup('$');
    const every = Math.max(50, Math.floor(this.ctx.options.visibilityTimeout / 3));
    this.heartbeat = setInterval(() => void this.touch(), every).unref();
    this.ctx.command.on('ready', this.flushAcks);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    clearInterval(this.heartbeat);
    this.ctx.command.off('ready', this.flushAcks);
    this.ctx.reader.disconnect();
    await Promise.race([this.loop, sleep(this.ctx.options.drainTimeout, undefined, { ref: false })]);
  }

  private get stopped(): boolean {
    return this.stop$.signal.aborted;
  }

  private async ensureGroup(from: '$' | '0'): Promise<void> {
    try {
      await this.ctx.command.xgroup('CREATE', this.key, this.ctx.queue, from, 'MKSTREAM');
    } catch (error) {
      if (!errorText(error).includes('BUSYGROUP')) throw error;
    }
  }

  /** Keeps up to `prefetch` messages in progress, reading more once half of them are done. */
  private async run(): Promise<void> {
    const { prefetch, claimInterval } = this.ctx.options;
    const refillAt = Math.floor(prefetch / 2);
    while (!this.stopped) {
      try {
        while (this.active.size > refillAt && !this.stopped) await Promise.race(this.active);
        if (this.stopped) break;
        if (Date.now() >= this.nextClaim) {
          this.nextClaim = Date.now() + claimInterval;
          await this.claim(prefetch - this.active.size);
          continue;
        }
        const entries = await this.read(prefetch - this.active.size);
        const counts = entries.length && this.readHistory ? await this.deliveryCounts(entries) : undefined;
        if (this.readHistory) {
          if (entries.length === 0) this.readHistory = false;
          else this.historyCursor = entries[entries.length - 1]!.id;
        }
        for (const e of entries) this.track(this.handle(e, counts?.get(e.id) ?? 1));
      } catch (error) {
        if (this.stopped) break;
        await this.recover(error);
      }
    }
    await Promise.all(this.active);
  }

  private track(work: Promise<void>): void {
    const settled = work.catch((error: unknown) => this.logger.error(`handling failed: ${errorText(error)}`));
    this.active.add(settled);
    void settled.finally(() => this.active.delete(settled));
  }

  private async read(count: number): Promise<Entry[]> {
    const { options, queue } = this.ctx;
    const block = Math.max(10, options.claimInterval);
    const reply = (await this.ctx.reader.callBuffer(
      'XREADGROUP',
      'GROUP',
      queue,
      options.consumer,
      'COUNT',
      count,
      'BLOCK',
      block,
      'STREAMS',
      this.key,
      this.readHistory ? this.historyCursor : '>',
    )) as [Buffer, unknown][] | null;
    return reply?.[0] ? parseEntries(reply[0][1]) : [];
  }

  private async recover(error: unknown): Promise<void> {
    const text = errorText(error);
    if (text.includes('NOGROUP')) {
      // The stream or group vanished (Redis lost its data): recreate it and read from its start.
      this.logger.warn(`consumer group missing, recreating it: ${text}`);
      await this.ensureGroup('0').catch(() => {});
      this.readHistory = true;
      this.historyCursor = '0';
    } else {
      this.logger.debug(`read failed, retrying: ${text}`);
    }
    await sleep(Math.min(1_000, this.ctx.options.claimInterval), undefined, {
      signal: this.stop$.signal,
    }).catch(() => {});
  }

  private async handle(entry: Entry, attempt: number): Promise<void> {
    if (!entry.fields) {
      this.ctx.counters.trimmed++;
      this.logger.warn(`message ${entry.id} was trimmed from the stream before it was handled`);
      return this.ack(entry.id);
    }
    if (attempt > this.ctx.options.maxDeliveries)
      return this.deadLetter(entry, attempt - 1, 'delivery attempts exhausted');
    let message;
    try {
      message = decodeFields(entry.fields);
    } catch (error) {
      return this.deadLetter(entry, attempt, errorText(error));
    }
    let acked = false;
    const event: BrokerEvent = {
      topic: this.ctx.topic,
      message,
      attempt,
      ack: async () => {
        if (acked) return;
        acked = true;
        await this.ack(entry.id);
      },
    };
    this.inHand.add(entry.id);
    try {
      await this.ctx.handler(event);
      this.inHand.delete(entry.id);
      if (this.ctx.autoAck) await event.ack();
    } catch (error) {
      this.inHand.delete(entry.id);
      if (!acked) await this.nack(entry, attempt, error);
    }
  }

  private async ack(id: string): Promise<void> {
    try {
      await this.ctx.command.xack(this.key, this.ctx.queue, id);
    } catch (error) {
      // Kept and retried on reconnect; until then the message may be redelivered (at least once).
      this.failedAcks.add(id);
      this.logger.debug(`ack of ${id} deferred: ${errorText(error)}`);
    }
  }

  private readonly flushAcks = (): void => {
    if (this.failedAcks.size === 0) return;
    const ids = [...this.failedAcks];
    this.failedAcks.clear();
    this.ctx.command
      .xack(this.key, this.ctx.queue, ...ids)
      .catch(() => ids.forEach((id) => this.failedAcks.add(id)));
  };

  /** A failed delivery: dead-letter it on the last attempt, else make it claimable right away. */
  private async nack(entry: Entry, attempt: number, error: unknown): Promise<void> {
    if (attempt >= this.ctx.options.maxDeliveries) return this.deadLetter(entry, attempt, errorText(error));
    const { command, queue, options } = this.ctx;
    await command
      .xclaim(this.key, queue, options.consumer, 0, entry.id, 'IDLE', options.visibilityTimeout, 'JUSTID')
      .catch(() => {}); // failing that, it is claimed once the visibility timeout passes
  }

  private async deadLetter(entry: Entry, attempts: number, reason: string): Promise<void> {
    const { command, queue, options, topic } = this.ctx;
    const fields = entry.fields ?? [];
    try {
      await command
        .multi()
        .xadd(
          deadLetterKey(options.keyPrefix, topic),
          'MAXLEN',
          '~',
          options.maxLen,
          '*',
          ...fields,
          'id',
          entry.id,
          'queue',
          queue,
          'attempts',
          attempts,
          'error',
          reason,
        )
        .xack(this.key, queue, entry.id)
        .exec();
      this.ctx.counters.deadLettered++;
      this.logger.warn(`message ${entry.id} dead-lettered after ${attempts} attempt(s): ${reason}`);
    } catch (error) {
      this.logger.debug(`dead-lettering ${entry.id} failed, it stays pending: ${errorText(error)}`);
    }
  }

  /** Takes over messages idle longer than the visibility timeout (their consumer died or gave up). */
  private async claim(count: number): Promise<void> {
    const { command, queue, options } = this.ctx;
    let reply: [Buffer, unknown, Buffer[]?];
    try {
      reply = (await command.callBuffer(
        'XAUTOCLAIM',
        this.key,
        queue,
        options.consumer,
        options.visibilityTimeout,
        this.claimCursor,
        'COUNT',
        options.prefetch,
      )) as [Buffer, unknown, Buffer[]?];
    } catch (error) {
      if (errorText(error).includes('NOGROUP')) throw error;
      return; // Redis unreachable: the read path waits for it
    }
    this.claimCursor = reply[0].toString();
    if (reply[2]?.length) {
      this.ctx.counters.trimmed += reply[2].length;
      this.logger.warn(`${reply[2].length} pending message(s) were trimmed from the stream before delivery`);
    }
    const entries = parseEntries(reply[1]);
    if (entries.length === 0) return;
    if (entries.length === count) this.nextClaim = 0; // more may be waiting
    const counts = await this.deliveryCounts(entries);
    for (const e of entries) this.track(this.handle(e, counts.get(e.id) ?? 2));
  }

  /** Delivery counts (this delivery included) from the group's pending entries list. */
  private async deliveryCounts(entries: Entry[]): Promise<Map<string, number>> {
    const pipeline = this.ctx.command.pipeline();
    for (const { id } of entries) pipeline.xpending(this.key, this.ctx.queue, id, id, 1);
    const results = (await pipeline.exec()) ?? [];
    const counts = new Map<string, number>();
    for (const [error, rows] of results) {
      const row = !error && Array.isArray(rows) ? (rows[0] as [string, string, number, number]) : undefined;
      if (row) counts.set(row[0], Number(row[3]));
    }
    return counts;
  }

  /** Resets the idle time of messages in hand, so a slow handler's messages are not claimed. */
  private async touch(): Promise<void> {
    if (this.inHand.size === 0) return;
    const { command, queue, options } = this.ctx;
    await command.xclaim(this.key, queue, options.consumer, 0, ...this.inHand, 'JUSTID').catch(() => {});
  }
}
