/**
 * NATS broker on @nats-io/transport-node and @nats-io/jetstream, speaking go-micro's NATS broker:
 * the topic is the subject, a queue group is a NATS queue group, and a message is go-micro's
 * broker.Message as JSON (`{"Header":{…},"Body":"<base64>"}`, the HTTP broker's envelope), so Go and
 * Node services on one NATS server exchange events both ways.
 *
 * Broadcast subscriptions are core NATS subscriptions (at most once: a subscriber that is down misses
 * what is published meanwhile; a failing handler is counted, not redelivered). Queue groups are
 * durable JetStream consumers (nats/jetstream-queue.ts: at least once, acks, redelivery, dead
 * letters), or core NATS queue groups with `queueGroups: 'core'` (at most once; the groups go-micro's
 * subscribers join).
 *
 * A publish to a topic a stream holds (nats/streams.ts) is a JetStream publish and resolves once the
 * stream stored the message (its Micro-Id as Nats-Msg-Id, so a publish retried after a lost link is
 * stored once); any other publish resolves once the server has read it (a flush round trip shared by
 * the publishes of one turn). While the server is unreachable a publish fails with a 503 (after
 * waiting up to `publishTimeout` for the connection to return), never pretending.
 */
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { natsJetStream } from '../drivers.js';
import { MicroError } from '../errors/micro-error.js';
import { loggerFor } from '../logger.js';
import { HEADER } from '../metadata/headers.js';
import { connectNats, natsConnectionOptions } from '../nats/connection.js';
import type {
  Broker,
  BrokerEvent,
  BrokerHandler,
  BrokerMessage,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from './broker.js';
import { decodeEnvelope, encodeEnvelope } from './http/envelope.js';
import { JetStreamQueue, toBuffer } from './nats/jetstream-queue.js';
import { BROKER_ERROR_ID, isJetStreamMissing, Link, unavailable } from './nats/link.js';
import { errorText } from '../errors/error-text.js';
import { resolveNatsOptions, type NatsBrokerOptions, type ResolvedNatsOptions } from './nats/options.js';
import { Streams } from './nats/streams.js';
import { StreamPublisher } from './nats/stream-publisher.js';

export type { NatsBrokerOptions, NatsTlsOptions } from './nats/options.js';

export interface NatsBrokerStats {
  /** Queue messages moved to the dead-letter subject (handler failed `maxDeliveries` times, or unreadable). */
  deadLettered: number;
  /**
   * Deliveries to broadcast and core queue-group subscribers whose handler threw or whose message was
   * unreadable (not redelivered).
   */
  broadcastFailures: number;
}

/** Dot-separated tokens, none empty, none a wildcard (`*`, `>`), no spaces: a subject to publish to. */
const publishable = (subject: string): boolean =>
  !/\s/.test(subject) && subject.split('.').every((t) => t !== '' && t !== '*' && t !== '>');

/** The least time a publish in flight is given (ms). */
const MIN_IN_FLIGHT = 5_000;

interface Connected {
  nc: NatsConnection;
  link: Link;
  js: JetStreamClient;
  jsm: JetStreamManager;
  streams: Streams;
  publisher: StreamPublisher;
}

export class NatsBroker implements Broker {
  readonly name = 'nats';
  private readonly logger = loggerFor('NatsBroker');
  private readonly options: ResolvedNatsOptions;
  private conn?: Connected;
  private connecting?: Promise<void>;
  private readonly subscriptions = new Set<NatsSubscription>();
  private readonly queues = new Set<JetStreamQueue>();
  private readonly counters: NatsBrokerStats = { deadLettered: 0, broadcastFailures: 0 };
  /** The flush the core publishes of this turn wait for. */
  private flushing?: Promise<void>;

  constructor(options: NatsBrokerOptions = {}) {
    this.options = resolveNatsOptions(options);
  }

  address(): string {
    const server = this.conn?.nc.getServer();
    return server || this.options.servers.join(',');
  }

  stats(): NatsBrokerStats {
    return { ...this.counters };
  }

  connected(): boolean {
    return this.conn?.link.connected ?? false;
  }

  connect(): Promise<void> {
    if (this.conn) return Promise.resolve();
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  private async open(): Promise<void> {
    const { servers, name, user, pass, token, tls } = this.options;
    const nc = await connectNats(
      natsConnectionOptions(servers, name, {
        ...(user !== undefined && { user }),
        ...(pass !== undefined && { pass }),
        ...(token !== undefined && { token }),
        ...(tls && { tls: tls === true ? {} : tls }),
      }),
      BROKER_ERROR_ID,
    );
    const JS = natsJetStream();
    const timeout = Math.max(this.options.publishTimeout, MIN_IN_FLIGHT);
    const jsm = await JS.jetstreamManager(nc, { checkAPI: false, timeout });
    this.conn = {
      nc,
      link: new Link(nc),
      js: JS.jetstream(nc, { timeout }),
      jsm,
      streams: new Streams(nc, jsm, this.options),
      publisher: new StreamPublisher(nc),
    };
  }

  async disconnect(): Promise<void> {
    await this.connecting?.catch(() => {});
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    await Promise.all([...this.queues].map((q) => q.stop()));
    this.queues.clear();
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.subscriptions.clear();
    conn.streams.close();
    conn.publisher.close();
    if (conn.link.connected) await conn.nc.flush().catch(() => {});
    await conn.nc.close().catch(() => {});
    await conn.link.closed();
  }

  async publish(topic: string, message: BrokerMessage, options: PublishOptions = {}): Promise<void> {
    if (!publishable(topic))
      throw MicroError.badRequest(
        BROKER_ERROR_ID,
        `nats broker: "${topic}" is not a NATS subject to publish to`,
      );
    const conn = this.conn;
    if (!conn) throw MicroError.unavailable(BROKER_ERROR_ID, 'nats broker is not connected', false);
    const wait = options.timeout ?? this.options.publishTimeout;
    const deadline = Date.now() + wait;
    if (!(await conn.link.whenConnected(wait)))
      throw unavailable('publish', `NATS at ${this.address()} is unreachable`, true);
    const data = encodeEnvelope(topic, message);
    let stream: string | undefined;
    try {
      stream = await conn.streams.forPublish(topic);
    } catch (error) {
      throw unavailable('publish', `cannot tell whether a stream holds ${topic}: ${errorText(error)}`, true);
    }
    if (stream === undefined) return this.publishCore(conn, topic, data);
    const id = message.header[HEADER.id] || randomUUID();
    return this.publishStream(conn, topic, data, id, deadline);
  }

  /** A plain NATS publish, confirmed by a flush (shared with the other publishes of this turn). */
  private async publishCore(conn: Connected, topic: string, data: Buffer): Promise<void> {
    try {
      conn.nc.publish(topic, data);
    } catch (error) {
      throw unavailable('publish', error, true);
    }
    try {
      await conn.link.failOnDisconnect(this.flushSoon(conn.nc));
    } catch (error) {
      throw unavailable('publish', `not confirmed by the server: ${errorText(error)}`, false);
    }
  }

  /** One flush once the microtasks queued so far (and those they queue) have run: the turn's publishes. */
  private flushSoon(nc: NatsConnection): Promise<void> {
    return (this.flushing ??= new Promise<void>((resolve) => process.nextTick(resolve)).then(() => {
      this.flushing = undefined;
      return nc.flush();
    }));
  }

  /**
   * A JetStream publish: resolves with the stream's acknowledgement. Caught by a lost link, it is sent
   * again (same message id: stored once) once the link is back, until `deadline`.
   */
  private async publishStream(
    conn: Connected,
    topic: string,
    data: Buffer,
    msgID: string,
    deadline: number,
  ): Promise<void> {
    const JS = natsJetStream();
    for (;;) {
      try {
        await conn.link.failOnDisconnect(
          conn.publisher.publish(topic, data, msgID, Math.max(deadline - Date.now(), MIN_IN_FLIGHT)),
        );
        return;
      } catch (error) {
        if (isJetStreamMissing(error)) {
          // Nothing took it: the stream was deleted, or JetStream is not up yet after a restart.
          conn.streams.forget(topic);
          const stream = await Promise.resolve(conn.streams.forPublish(topic)).catch(() => '');
          if (stream === undefined) return this.publishCore(conn, topic, data);
          if (Date.now() < deadline && (await this.pause(conn, deadline))) continue;
          throw unavailable('publish', `JetStream at ${this.address()} did not take it`, true);
        }
        if (error instanceof JS.JetStreamApiError)
          // refused by the stream (full, or a limit): certainly not stored
          throw unavailable('publish', `${topic}: ${error.message}`, true);
        const lost = !conn.link.connected;
        if (lost && Date.now() < deadline && (await conn.link.whenConnected(deadline - Date.now()))) continue;
        throw unavailable('publish', `not confirmed by JetStream: ${errorText(error)}`, false);
      }
    }
  }

  /** Waits a moment (at most until `deadline`) before another attempt; false when the link is gone. */
  private async pause(conn: Connected, deadline: number): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(0, deadline - Date.now()))));
    return conn.link.whenConnected(deadline - Date.now());
  }

  async subscribe(
    topic: string,
    handler: BrokerHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const conn = this.conn;
    if (!conn) throw MicroError.unavailable(BROKER_ERROR_ID, 'nats broker is not connected', false);
    if (!conn.link.connected)
      throw unavailable('subscribe', `NATS at ${this.address()} is unreachable`, true);
    if (options.queue && this.options.queueGroups === 'jetstream')
      return this.subscribeJetStream(conn, topic, options.queue, handler, options.autoAck !== false);
    const sub = conn.nc.subscribe(topic, {
      ...(options.queue && { queue: options.queue }),
      callback: (error, msg) => {
        if (!error) this.dispatch(topic, msg, handler);
      },
    });
    try {
      // the server has the subscription once it answers: a publish after this resolves reaches it
      await conn.link.failOnDisconnect(conn.nc.flush());
    } catch (error) {
      sub.unsubscribe();
      throw unavailable('subscribe', error, true);
    }
    this.subscriptions.add(sub);
    return {
      topic,
      ...(options.queue && { queue: options.queue }),
      unsubscribe: async () => {
        if (this.subscriptions.delete(sub)) sub.unsubscribe();
      },
    };
  }

  private async subscribeJetStream(
    conn: Connected,
    topic: string,
    queue: string,
    handler: BrokerHandler,
    autoAck: boolean,
  ): Promise<Subscription> {
    const consumer = new JetStreamQueue({
      topic,
      queue,
      handler,
      autoAck,
      options: this.options,
      js: conn.js,
      jsm: conn.jsm,
      streams: conn.streams,
      counters: this.counters,
    });
    try {
      await conn.link.failOnDisconnect(consumer.start());
    } catch (error) {
      await consumer.stop();
      if (isJetStreamMissing(error))
        throw MicroError.unavailable(
          BROKER_ERROR_ID,
          `nats broker: queue group ${queue} on ${topic} needs JetStream (nats-server -js), or queueGroups: 'core'`,
          false,
        );
      throw unavailable('subscribe', error, true);
    }
    conn.streams.forget(topic);
    this.queues.add(consumer);
    return {
      topic,
      queue,
      unsubscribe: async () => {
        if (this.queues.delete(consumer)) await consumer.stop();
      },
    };
  }

  private dispatch(topic: string, msg: Msg, handler: BrokerHandler): void {
    let message: BrokerMessage;
    try {
      message = decodeEnvelope(toBuffer(msg.data), msg.subject).message;
    } catch (error) {
      this.counters.broadcastFailures++;
      this.logger.warn(`unreadable message on ${msg.subject}: ${errorText(error)}`);
      return;
    }
    const event: BrokerEvent = { topic: msg.subject, message, attempt: 1, ack: async () => {} };
    Promise.resolve()
      .then(() => handler(event))
      .catch((error: unknown) => {
        this.counters.broadcastFailures++;
        this.logger.warn(`handler on ${topic} failed (not redelivered): ${errorText(error)}`);
      });
  }
}
