/**
 * Redis broker on ioredis. Broadcast subscriptions use Pub/Sub (at most once: a subscriber that is
 * down misses what is published meanwhile). Queue groups use a stream per topic with a consumer
 * group per queue name (at least once: acknowledged when the handler completes, redelivered when it
 * throws or its member dies, dead-lettered to `<prefix>dlq:<topic>` after `maxDeliveries`).
 *
 * A publish is one atomic script: XADD to the topic's stream (only when a queue group exists, so
 * broadcast-only topics keep no stream) and PUBLISH the same message. It resolves once Redis has
 * taken it and rejects with a 503 MicroError while Redis is unreachable (after waiting up to
 * `publishTimeout`), never pretending.
 */
import { loggerFor } from '../logger.js';
import type { Redis } from 'ioredis';
import { MicroError } from '../errors/micro-error.js';
import type {
  Broker,
  BrokerEvent,
  BrokerHandler,
  BrokerMessage,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from './broker.js';
import {
  BROKER_ERROR_ID,
  closeConnection,
  coalesceWrites,
  createConnection,
  failOnClose,
  unavailable,
  whenReady,
} from './redis/connection.js';
import { decodeFrame, encodeHeader } from './redis/message.js';
import { errorText } from '../errors/error-text.js';
import {
  resolveRedisOptions,
  topicKey,
  type RedisBrokerOptions,
  type ResolvedRedisOptions,
} from './redis/options.js';
import { QueueConsumer, type ConsumerCounters } from './redis/queue-consumer.js';

export type { RedisBrokerOptions } from './redis/options.js';

/** KEYS: stream, channel. ARGV: maxLen, header JSON, body. The Pub/Sub frame is built in Lua. */
const PUBLISH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'h', ARGV[2], 'b', ARGV[3])
end
return redis.call('PUBLISH', KEYS[2], struct.pack('>I4', #ARGV[2]) .. ARGV[2] .. ARGV[3])
`;

type CommandConnection = Redis & {
  microPublish(
    stream: string,
    channel: string,
    maxLen: number,
    header: string,
    body: Buffer,
  ): Promise<number>;
};

export interface RedisBrokerStats extends ConsumerCounters {
  /** Broadcast deliveries whose handler threw or whose payload was unreadable (not redelivered). */
  broadcastFailures: number;
}

export class RedisBroker implements Broker {
  readonly name = 'redis';
  private readonly logger = loggerFor('RedisBroker');
  private readonly options: ResolvedRedisOptions;
  private command?: CommandConnection;
  private subscriber?: Redis;
  /** Pub/Sub channel → its broadcast handlers. */
  private readonly channels = new Map<string, Set<{ topic: string; handler: BrokerHandler }>>();
  private readonly consumers = new Set<QueueConsumer>();
  private readonly counters: RedisBrokerStats = { deadLettered: 0, trimmed: 0, broadcastFailures: 0 };

  constructor(options: RedisBrokerOptions = {}) {
    this.options = resolveRedisOptions(options);
  }

  address(): string {
    try {
      const url = new URL(this.options.url);
      return `${url.hostname}:${url.port || 6379}`;
    } catch {
      return this.options.url;
    }
  }

  stats(): RedisBrokerStats {
    return { ...this.counters };
  }

  async connect(): Promise<void> {
    if (this.command) return;
    const command = createConnection(this.options, 'command') as CommandConnection;
    command.defineCommand('microPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    const subscriber = createConnection(this.options, 'subscriber');
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) =>
      this.dispatch(channel.toString(), payload),
    );
    subscriber.on('ready', () => this.resubscribe(subscriber));
    try {
      await Promise.all([command.connect(), subscriber.connect()]);
    } catch (error) {
      command.disconnect();
      subscriber.disconnect();
      throw unavailable(`cannot connect to ${this.address()}`, error, true);
    }
    this.command = command;
    this.subscriber = subscriber;
  }

  async disconnect(): Promise<void> {
    const { command, subscriber } = this;
    if (!command || !subscriber) return;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
    this.channels.clear();
    this.command = undefined;
    this.subscriber = undefined;
    await Promise.all([closeConnection(command), closeConnection(subscriber)]);
  }

  connected(): boolean {
    return this.command?.status === 'ready';
  }

  async publish(topic: string, message: BrokerMessage, options: PublishOptions = {}): Promise<void> {
    const command = this.command;
    if (!command) throw MicroError.unavailable(BROKER_ERROR_ID, 'redis broker is not connected', false);
    const wait = options.timeout ?? this.options.publishTimeout;
    if (command.status !== 'ready' && !(wait > 0 && (await whenReady(command, wait))))
      throw unavailable('publish', `Redis at ${this.address()} is unreachable (${command.status})`, true);
    const key = topicKey(this.options.keyPrefix, topic);
    try {
      coalesceWrites(command);
      await failOnClose(
        command,
        command.microPublish(key, key, this.options.maxLen, encodeHeader(message.header), message.body),
      );
    } catch (error) {
      // Refused before sending → certainly not published; otherwise the outcome is unknown.
      const refused = errorText(error).includes("isn't writeable");
      throw unavailable('publish', error, refused);
    }
  }

  async subscribe(
    topic: string,
    handler: BrokerHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const { command, subscriber } = this;
    if (!command || !subscriber)
      throw MicroError.unavailable(BROKER_ERROR_ID, 'redis broker is not connected', false);
    if (options.queue)
      return this.subscribeQueue(command, topic, options.queue, handler, options.autoAck !== false);
    const channel = topicKey(this.options.keyPrefix, topic);
    const entry = { topic, handler };
    let set = this.channels.get(channel);
    if (!set) {
      if (subscriber.status !== 'ready')
        throw unavailable(
          'subscribe',
          `Redis at ${this.address()} is unreachable (${subscriber.status})`,
          true,
        );
      this.channels.set(channel, (set = new Set()));
      try {
        await failOnClose(subscriber, subscriber.subscribe(channel));
      } catch (error) {
        this.channels.delete(channel);
        throw unavailable('subscribe', error, true);
      }
    }
    set.add(entry);
    return {
      topic,
      unsubscribe: async () => {
        const current = this.channels.get(channel);
        if (!current?.delete(entry) || current.size > 0) return;
        this.channels.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => {});
      },
    };
  }

  private async subscribeQueue(
    command: Redis,
    topic: string,
    queue: string,
    handler: BrokerHandler,
    autoAck: boolean,
  ): Promise<Subscription> {
    const reader = createConnection(this.options, 'reader');
    const consumer = new QueueConsumer({
      topic,
      queue,
      handler,
      autoAck,
      options: this.options,
      command,
      reader,
      counters: this.counters,
    });
    try {
      await reader.connect();
      await consumer.start();
    } catch (error) {
      reader.disconnect();
      throw unavailable('subscribe', error, true);
    }
    this.consumers.add(consumer);
    return {
      topic,
      queue,
      unsubscribe: async () => {
        if (this.consumers.delete(consumer)) await consumer.stop();
      },
    };
  }

  /** After a reconnect: subscribe again to every channel in use; a failure waits for the next 'ready'. */
  private resubscribe(subscriber: Redis): void {
    const channels = [...this.channels.keys()];
    if (channels.length === 0) return;
    subscriber.subscribe(...channels).catch((error: unknown) => {
      this.logger.warn(
        `re-subscribing ${channels.length} channel(s) failed, retrying on reconnect: ${errorText(error)}`,
      );
    });
  }

  private dispatch(channel: string, payload: Buffer): void {
    const subs = this.channels.get(channel);
    if (!subs?.size) return;
    let message: BrokerMessage;
    try {
      message = decodeFrame(payload);
    } catch (error) {
      this.counters.broadcastFailures++;
      this.logger.warn(`unreadable message on ${channel}: ${errorText(error)}`);
      return;
    }
    for (const { topic, handler } of subs) {
      const event: BrokerEvent = {
        topic,
        message: { header: { ...message.header }, body: message.body },
        attempt: 1,
        ack: async () => {},
      };
      Promise.resolve()
        .then(() => handler(event))
        .catch((error: unknown) => {
          this.counters.broadcastFailures++;
          this.logger.warn(`broadcast handler on ${topic} failed (not redelivered): ${errorText(error)}`);
        });
    }
  }
}
