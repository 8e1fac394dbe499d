/**
 * One module's view of a test network's shared memory broker: publishing and subscribing go to the
 * shared broker, but `disconnect` (which MicroModule calls when its app closes) drops only this
 * module's subscriptions, so closing a test's client app does not silence its service's subscribers.
 */
import type {
  Broker,
  BrokerHandler,
  BrokerMessage,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from '../core/broker/broker.js';
import type { MemoryBroker } from '../core/broker/memory.broker.js';

export class ModuleBroker implements Broker {
  readonly name = 'memory';
  private readonly own = new Set<Subscription>();

  constructor(private readonly shared: MemoryBroker) {}

  address(): string {
    return this.shared.address();
  }

  connect(): Promise<void> {
    return this.shared.connect();
  }

  connected(): boolean {
    return this.shared.connected();
  }

  async disconnect(): Promise<void> {
    const subscriptions = [...this.own];
    this.own.clear();
    await Promise.all(subscriptions.map((s) => s.unsubscribe()));
  }

  publish(topic: string, message: BrokerMessage, _options?: PublishOptions): Promise<void> {
    return this.shared.publish(topic, message); // the memory broker has no publish options
  }

  async subscribe(topic: string, handler: BrokerHandler, options?: SubscribeOptions): Promise<Subscription> {
    const subscription = await this.shared.subscribe(topic, handler, options);
    this.own.add(subscription);
    return {
      topic: subscription.topic,
      queue: subscription.queue,
      unsubscribe: async () => {
        this.own.delete(subscription);
        await subscription.unsubscribe();
      },
    };
  }
}
