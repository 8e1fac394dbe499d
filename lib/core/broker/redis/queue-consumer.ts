/**
 * One queue-group subscription on a Redis stream: reads with XREADGROUP (its own blocking
 * connection), runs the handler, XACKs when it completes (or when the handler calls `ack()`), keeps
 * messages in hand from going stale with JUSTID re-claims, hands failed ones back for redelivery,
 * claims stale messages of dead members with XAUTOCLAIM, and moves a message that has been delivered
 * `maxDeliveries` times to the dead-letter stream.
 *
 * Flow: up to `prefetch` handlers run at once, and a member holds at most WINDOW × prefetch messages
 * (running, waiting for a handler and being read), so it takes up to that many per read round trip
 * while its handlers run. Two reads are out at once (two lanes on the reader connection, each
 * asking for up to half the window), so while one reply is being handled the other read waits in
 * Redis and is answered by the next XADD at once, as a Pub/Sub message would be, instead of a round
 * trip later. A lane reads again as soon as its last batch's handlers have started and the
 * microtasks they queued have run (so handlers that finish at once free their room first). An
 * auto-ack holds no room: it joins the batch's XACK (ack-batch.ts); reading pauses while more than
 * a window of acks are unanswered.
 *
 * The window is 4 × prefetch (each read up to 2 × prefetch): with 2 × prefetch (reads of up to
 * `prefetch`) a member whose handlers keep up was bounded by read round trips while it shared the
 * CPU with its publishers, so a backlog built in the stream (every read came back full). In
 * interleaved bench:pubsub runs the larger window gave a lower or equal p50 and CPU per message; its
 * p99 was not shown to differ from the smaller window's (single rounds of both reach 20–40 ms).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loggerFor, type MicroLogger } from '../../logger.js';
import type { Redis } from 'ioredis';
import type { BrokerEvent, BrokerHandler } from '../broker.js';
import { AckBatch } from './ack-batch.js';
import { errorText } from '../../errors/error-text.js';
import { decodeFields } from './message.js';
import { activeMetrics } from '../../metrics/recorder.js';
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

/** Resolves once the microtasks queued so far (and those they queue) have run. */
const afterMicrotasks = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/** Messages a member holds, in units of `prefetch` (see the flow above). */
const WINDOW = 4;

/** `[[id, [f, v, …] | null], …]` as returned by XREADGROUP / XAUTOCLAIM. */
function parseEntries(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: [Buffer, Buffer[] | null]) => ({ id: item[0].toString(), fields: item[1] }));
}

export class QueueConsumer {
  private readonly logger: MicroLogger;
  private readonly key: string;
  private readonly stop$ = new AbortController();
  private readonly inHand = new Set<string>();
  private readonly acks: AckBatch;
  /** Handlers in progress (at most `prefetch`). */
  private readonly active = new Set<Promise<void>>();
  /** Read ahead, waiting for a handler slot (at most the window less the handlers running). */
  private readonly waiting: { entry: Entry; attempt: number }[] = [];
  /** Room taken by reads in flight. */
  private reserved = 0;
  /** Wake the lanes waiting for room. */
  private wakers: (() => void)[] = [];
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
    this.logger = loggerFor(`RedisBroker:${ctx.topic}/${ctx.queue}`);
    this.acks = new AckBatch(ctx.command, this.key, ctx.queue, (text) => this.logger.debug(text));
  }

  async start(): Promise<void> {
    await this.ensureGroup('$');
    const every = Math.max(50, Math.floor(this.ctx.options.visibilityTimeout / 3));
    this.heartbeat = setInterval(() => void this.touch(), every).unref();
    this.ctx.command.on('ready', this.acks.retryFailed);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    clearInterval(this.heartbeat);
    this.ctx.command.off('ready', this.acks.retryFailed);
    this.ctx.reader.disconnect();
    this.wake();
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

  /** Keeps up to `prefetch` handlers running and the rest of the window read ahead, with two reads out. */
  private async run(): Promise<void> {
    await Promise.all([this.lane(true), this.lane(false)]);
    // Read ahead is handled too (the pump refills `active` until `waiting` is empty).
    while (this.active.size > 0) await Promise.all(this.active);
    await this.acks.drain();
  }

  /** One read lane; only the lead claims and reads this consumer's own pending entries (in order). */
  private async lane(lead: boolean): Promise<void> {
    const { claimInterval, prefetch } = this.ctx.options;
    while (!this.stopped) {
      try {
        if (!lead && this.readHistory) {
          await sleep(10, undefined, { signal: this.stop$.signal }).catch(() => {});
          continue;
        }
        // the room is reserved as it is measured: the other lane cannot take the same room
        const room = await this.reserveRoom();
        if (this.stopped) {
          this.release(room);
          break;
        }
        if (lead && Date.now() >= this.nextClaim) {
          this.nextClaim = Date.now() + claimInterval;
          try {
            await this.claim(room);
          } finally {
            this.release(room);
          }
          continue;
        }
        const history = lead && this.readHistory;
        const count = Math.min(room, (WINDOW / 2) * prefetch);
        this.release(room - count);
        try {
          const entries = await this.read(count, history);
          const counts = entries.length && history ? await this.deliveryCounts(entries) : undefined;
          if (history) {
            if (entries.length === 0) this.readHistory = false;
            else this.historyCursor = entries[entries.length - 1]!.id;
          }
          this.dispatch(entries, counts, 1);
        } finally {
          this.release(count);
        }
      } catch (error) {
        if (this.stopped) break;
        await this.recover(error);
      }
    }
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = [];
    for (const resolve of wakers) resolve();
  }

  /** Room to read into: the window less handlers running, waiting and reads in flight, less acks beyond a window. */
  private room(): number {
    const window = WINDOW * this.ctx.options.prefetch;
    const unanswered = Math.max(0, this.acks.unanswered - window);
    return window - this.active.size - this.waiting.length - this.reserved - unanswered;
  }

  /**
   * Waits for room, then for the microtasks queued so far (so handlers finishing at once free
   * theirs), and reserves all of it at once; the caller releases what it does not read into.
   */
  private async reserveRoom(): Promise<number> {
    for (;;) {
      while (this.room() <= 0 && !this.stopped)
        await new Promise<void>((resolve) => {
          this.wakers.push(resolve);
          if (this.active.size === 0 && this.acks.unanswered > 0) void this.acks.drain().then(resolve);
        });
      if (this.active.size > 0) await afterMicrotasks();
      const room = Math.max(0, this.room());
      if (room > 0 || this.stopped) {
        this.reserved += room;
        return room;
      }
    }
  }

  /** Gives back reserved room (a read or claim is over, or took less). */
  private release(room: number): void {
    if (room <= 0) return;
    this.reserved -= room;
    this.wake();
  }

  /** Queues entries read (or claimed) for handling; `counts` are delivery counts by id. */
  private dispatch(entries: Entry[], counts: Map<string, number> | undefined, fallback: number): void {
    for (const entry of entries) this.waiting.push({ entry, attempt: counts?.get(entry.id) ?? fallback });
    this.pump();
  }

  private pump(): void {
    while (this.active.size < this.ctx.options.prefetch && this.waiting.length > 0) {
      const { entry, attempt } = this.waiting.shift()!;
      const settled = this.handle(entry, attempt).catch((error: unknown) =>
        this.logger.error(`handling failed: ${errorText(error)}`),
      );
      this.active.add(settled);
      void settled.finally(() => {
        this.active.delete(settled);
        this.pump();
        this.wake();
      });
    }
  }

  private async read(count: number, history: boolean): Promise<Entry[]> {
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
      history ? this.historyCursor : '>',
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
      // The slot is free once the handler is done; the ack goes out with this turn's batch.
      if (this.ctx.autoAck) void event.ack();
    } catch (error) {
      this.inHand.delete(entry.id);
      if (!acked) await this.nack(entry, attempt, error);
    }
  }

  /** Never rejects: a failed XACK is kept and sent again on reconnect (at least once meanwhile). */
  private ack(id: string): Promise<void> {
    return this.acks.ack(id);
  }

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
      activeMetrics()?.deadLettered('redis', topic);
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
        count,
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
    this.dispatch(entries, await this.deliveryCounts(entries), 2);
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

  /** Resets the idle time of messages in hand or read ahead, so they are not claimed meanwhile. */
  private async touch(): Promise<void> {
    const ids = [...this.inHand, ...this.waiting.map((w) => w.entry.id)];
    if (ids.length === 0) return;
    const { command, queue, options } = this.ctx;
    await command.xclaim(this.key, queue, options.consumer, 0, ...ids, 'JUSTID').catch(() => {});
  }
}
