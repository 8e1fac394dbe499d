/**
 * One queue-group subscription on JetStream: the group is a durable pull consumer on the stream
 * holding the topic (explicit acks, ack wait `visibilityTimeout`, no server-side delivery limit), and
 * each member pulls from it, so each message goes to one member. Up to `prefetch` handlers run at
 * once and up to 2 × prefetch messages are pulled ahead. A message is acknowledged when its handler completes
 * (or calls `ack()`), handed back for redelivery at once when the handler throws, kept from going to
 * another member while its handler runs (`working()`, every third of the ack wait), and moved to
 * `<deadLetterPrefix><topic>` once it has been delivered `maxDeliveries` times or cannot be read.
 * A consumer or stream that vanishes (a server that lost its store) is created again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { natsJetStream, natsTransportNode } from '../../drivers.js';
import { loggerFor, type MicroLogger } from '../../logger.js';
import type { BrokerEvent, BrokerHandler, BrokerMessage } from '../broker.js';
import { decodeEnvelope } from '../http/envelope.js';
import { errorText } from '../../errors/error-text.js';
import { deadLetterSubject, durableName, type ResolvedNatsOptions } from './options.js';
import { activeMetrics } from '../../metrics/recorder.js';
import type { Streams } from './streams.js';

export interface QueueCounters {
  deadLettered: number;
}

export interface JetStreamQueueContext {
  topic: string;
  queue: string;
  handler: BrokerHandler;
  autoAck: boolean;
  options: ResolvedNatsOptions;
  js: JetStreamClient;
  jsm: JetStreamManager;
  streams: Streams;
  counters: QueueCounters;
}

/** Nanoseconds, as JetStream's API takes durations. */
const nanos = (ms: number): number => ms * 1_000_000;
/** A dead letter that could not be stored comes back after this long (ms). */
const RETRY_DEAD_LETTER = 1_000;

export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export class JetStreamQueue {
  private readonly logger: MicroLogger;
  private stream = '';
  private durable = '';
  private messages?: ConsumerMessages;
  private stopped = false;
  /** Pull loops running (one; two for a moment while a recreated consumer takes over). */
  private readonly loops = new Set<Promise<void>>();
  private heartbeat?: NodeJS.Timeout;
  /** Messages whose handler runs (kept from redelivery by `working()`). */
  private readonly inHand = new Set<JsMsg>();
  private readonly active = new Set<Promise<void>>();
  /** Wake the pull loops waiting for a handler slot (a Promise.race over `active` costs O(prefetch)). */
  private readonly freed: (() => void)[] = [];
  private recreating?: Promise<void>;
  /** Handled messages whose ack goes out with this turn's (`ackSoon`). */
  private acks: JsMsg[] = [];

  constructor(private readonly ctx: JetStreamQueueContext) {
    this.logger = loggerFor(`NatsBroker:${ctx.topic}/${ctx.queue}`);
  }

  async start(): Promise<void> {
    await this.ensure();
    await this.consume();
    const every = Math.max(50, Math.floor(this.ctx.options.visibilityTimeout / 3));
    this.heartbeat = setInterval(() => this.touch(), every).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    await this.messages?.close().catch(() => {});
    await Promise.race([
      Promise.all(this.loops),
      sleep(this.ctx.options.drainTimeout, undefined, { ref: false }),
    ]);
  }

  /** Starts pulling from the durable consumer (again, after it was made again: the old pull ends). */
  private async consume(): Promise<void> {
    if (this.stopped) return;
    const consumer = await this.ctx.js.consumers.get(this.stream, this.durable);
    if (this.stopped) return;
    // `prefetch` running and as many fetched ahead (pulls are topped up as the loop takes messages):
    // with only `prefetch` asked for, a member that keeps up is bounded by pull round trips, and a
    // backlog builds in the stream while the publishers are faster (the delivery latency doubled).
    const messages = await consumer.consume({ max_messages: 2 * this.ctx.options.prefetch });
    const previous = this.messages;
    this.messages = messages;
    if (this.stopped) {
      await messages.close().catch(() => {});
      return;
    }
    const loop = this.run(messages).finally(() => this.loops.delete(loop));
    this.loops.add(loop);
    void this.watch(messages);
    await previous?.close().catch(() => {});
  }

  /** The stream (and dead-letter stream) and this group's durable consumer, made when missing. */
  private async ensure(): Promise<void> {
    const { topic, queue, options, jsm, streams } = this.ctx;
    const [stream] = await Promise.all([streams.ensure(topic), streams.ensureDeadLetters()]);
    this.stream = stream.name;
    this.durable = durableName(queue, topic, stream.shared);
    const JS = natsJetStream();
    try {
      await jsm.consumers.info(this.stream, this.durable);
      return;
    } catch (error) {
      if (!(error instanceof JS.JetStreamApiError) || error.code !== JS.JetStreamApiCodes.ConsumerNotFound)
        throw error;
    }
    try {
      await jsm.consumers.add(this.stream, {
        durable_name: this.durable,
        ack_policy: JS.AckPolicy.Explicit,
        ack_wait: nanos(options.visibilityTimeout),
        // Delivery attempts are bounded here (dead letters), not by the server, which would keep the
        // message and stop offering it.
        max_deliver: -1,
        filter_subject: topic,
        deliver_policy: JS.DeliverPolicy.New,
      });
    } catch (error) {
      // Made meanwhile by another member (maybe with other settings): use it as it is.
      if (!(error instanceof JS.JetStreamApiError) || error.status !== 400) throw error;
      await jsm.consumers.info(this.stream, this.durable);
    }
  }

  /** Starts up to `prefetch` handlers; the next message is taken from the client once one is free. */
  private async run(messages: ConsumerMessages): Promise<void> {
    const { prefetch } = this.ctx.options;
    try {
      for await (const m of messages) {
        while (this.active.size >= prefetch) await new Promise<void>((resolve) => this.freed.push(resolve));
        if (this.stopped) {
          m.nak();
          continue;
        }
        const settled = this.handle(m).catch((error: unknown) =>
          this.logger.error(`handling failed: ${errorText(error)}`),
        );
        this.active.add(settled);
        void settled.finally(() => {
          this.active.delete(settled);
          for (const resolve of this.freed.splice(0)) resolve();
        });
      }
    } catch (error) {
      if (!this.stopped) this.logger.error(`consuming stopped: ${errorText(error)}`);
    }
    while (this.active.size > 0) await Promise.all(this.active);
  }

  /** Creates the consumer (and stream) again when the server reports them missing, and pulls anew. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (this.stopped || messages !== this.messages) break;
      const missing =
        status.type === 'consumer_not_found' ||
        status.type === 'stream_not_found' ||
        status.type === 'consumer_deleted';
      if (missing && !this.recreating) this.recreating = this.recreate(status.type);
    }
  }

  private async recreate(why: string): Promise<void> {
    this.logger.warn(`${why}: creating ${this.stream}/${this.durable} again`);
    try {
      await this.ensure();
      this.ctx.streams.forget(this.ctx.topic);
      await this.consume();
    } catch (error) {
      this.logger.debug(`recreating failed, retrying on the next report: ${errorText(error)}`);
      await sleep(1_000);
    } finally {
      this.recreating = undefined;
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const { maxDeliveries } = this.ctx.options;
    const attempt = m.info.deliveryCount;
    if (attempt > maxDeliveries) return this.deadLetter(m, attempt - 1, 'delivery attempts exhausted');
    let message: BrokerMessage;
    try {
      message = decodeEnvelope(toBuffer(m.data), m.subject).message;
    } catch (error) {
      return this.deadLetter(m, attempt, errorText(error));
    }
    let acked = false;
    const event: BrokerEvent = {
      topic: m.subject,
      message,
      attempt,
      ack: async () => {
        if (acked) return;
        acked = true;
        // Not confirmed (a lost ack means a redelivery, at least once): never rejects.
        await m.ackAck().catch(() => false);
      },
    };
    this.inHand.add(m);
    try {
      await this.ctx.handler(event);
      this.inHand.delete(m);
      if (this.ctx.autoAck && !acked) {
        acked = true;
        this.ackSoon(m);
      }
    } catch (error) {
      this.inHand.delete(m);
      if (acked) return;
      if (attempt >= maxDeliveries) return this.deadLetter(m, attempt, errorText(error));
      m.nak();
    }
  }

  /**
   * Stores the message on the dead-letter subject (with why, where from and how often it was tried;
   * its stream sequence as message id, so a repeat is stored once), then acknowledges it. When the
   * dead letter cannot be stored the message stays and comes back.
   */
  private async deadLetter(m: JsMsg, attempts: number, reason: string): Promise<void> {
    const { topic, queue, options, js } = this.ctx;
    const h = natsTransportNode().headers();
    h.set('Micro-Topic', topic);
    h.set('Micro-Queue', queue);
    h.set('Micro-Attempts', String(attempts));
    h.set('Micro-Error', reason.replace(/[\r\n]+/g, ' ').slice(0, 1_000));
    h.set('Micro-Stream', this.stream);
    h.set('Micro-Stream-Sequence', String(m.seq));
    try {
      await js.publish(deadLetterSubject(options.deadLetterPrefix, m.subject), m.data, {
        headers: h,
        msgID: `${this.stream}:${m.seq}`,
        timeout: Math.max(options.publishTimeout, 5_000),
      });
    } catch (error) {
      this.logger.debug(`dead-lettering ${m.seq} failed, it comes back: ${errorText(error)}`);
      m.nak(RETRY_DEAD_LETTER);
      return;
    }
    m.ack();
    this.ctx.counters.deadLettered++;
    activeMetrics()?.deadLettered('nats', topic);
    this.logger.warn(`message ${m.seq} dead-lettered after ${attempts} attempt(s): ${reason}`);
  }

  /**
   * Acknowledges `m` once the microtasks queued so far (and those they queue) have run, together with
   * the other messages handled meanwhile: the client writes each ack to the socket on its own unless
   * they are sent in one go (one write per message was the largest CPU cost in profiles).
   */
  private ackSoon(m: JsMsg): void {
    this.acks.push(m);
    if (this.acks.length === 1) process.nextTick(this.sendAcks);
  }

  private readonly sendAcks = (): void => {
    const acks = this.acks;
    this.acks = [];
    for (const m of acks) m.ack();
  };

  /** Resets the ack wait of messages whose handler runs, so they do not go to another member. */
  private touch(): void {
    for (const m of this.inHand) m.working();
  }
}
