/**
 * An in-process broker for tests and single-process apps: broadcast to every plain subscriber,
 * one member per queue group (round robin). A handler that throws gets the message again, up to
 * `maxAttempts`, after which it is dropped with a logged warning.
 */
import { loggerFor } from '../logger.js';
import { MicroError } from '../errors/micro-error.js';
import type { Broker, BrokerHandler, BrokerMessage, SubscribeOptions, Subscription } from './broker.js';
import { ERROR_ID } from '../errors/ids.js';

interface Sub {
  topic: string;
  queue?: string;
  autoAck: boolean;
  handler: BrokerHandler;
}

export interface MemoryBrokerOptions {
  maxAttempts?: number;
}

export class MemoryBroker implements Broker {
  readonly name = 'memory';
  private readonly logger = loggerFor('MemoryBroker');
  private readonly subs = new Set<Sub>();
  private readonly cursors = new Map<string, number>();
  private isConnected = false;

  constructor(private readonly options: MemoryBrokerOptions = {}) {}

  address(): string {
    return 'memory';
  }

  async connect(): Promise<void> {
    this.isConnected = true;
  }

  async disconnect(): Promise<void> {
    this.isConnected = false;
    this.subs.clear();
  }

  connected(): boolean {
    return this.isConnected;
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    if (!this.isConnected)
      throw MicroError.unavailable(ERROR_ID.broker, 'memory broker is not connected', false);
    const groups = new Map<string, Sub[]>();
    for (const sub of this.subs) {
      if (sub.topic !== topic) continue;
      if (!sub.queue) {
        this.deliver(sub, topic, message);
        continue;
      }
      const members = groups.get(sub.queue) ?? [];
      members.push(sub);
      groups.set(sub.queue, members);
    }
    for (const [queue, members] of groups) {
      const key = `${topic}\u0000${queue}`;
      const cursor = (this.cursors.get(key) ?? 0) % members.length;
      this.cursors.set(key, cursor + 1);
      this.deliver(members[cursor]!, topic, message);
    }
  }

  async subscribe(
    topic: string,
    handler: BrokerHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const sub: Sub = { topic, queue: options.queue, autoAck: options.autoAck !== false, handler };
    this.subs.add(sub);
    return { topic, queue: options.queue, unsubscribe: async () => void this.subs.delete(sub) };
  }

  private deliver(sub: Sub, topic: string, message: BrokerMessage, attempt = 1): void {
    const copy: BrokerMessage = { header: { ...message.header }, body: message.body };
    const event = { topic, message: copy, attempt, ack: async () => {} };
    setImmediate(() => {
      Promise.resolve()
        .then(() => sub.handler(event))
        .catch((error: unknown) => {
          const max = this.options.maxAttempts ?? 3;
          if (attempt < max && this.subs.has(sub)) return this.deliver(sub, topic, message, attempt + 1);
          this.logger.warn(`dropping message on ${topic} after ${attempt} attempts: ${String(error)}`);
        });
    });
  }
}
