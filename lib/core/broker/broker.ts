/**
 * Broker: asynchronous publish/subscribe (go-micro's broker.Broker). The same semantics on every
 * implementation:
 * - a subscription without `queue` receives every message on its topic (broadcast);
 * - subscriptions sharing a `queue` form a group; each message reaches exactly one member;
 * - with `autoAck` (default) a message is acknowledged when the handler resolves; a handler that
 *   throws does not acknowledge, and brokers that can redeliver will.
 */
import type { Header } from '../transport/transport.js';

export interface BrokerMessage {
  /** Lower-case keys; carries `content-type` and the publisher's metadata. */
  header: Header;
  body: Buffer;
}

export interface BrokerEvent {
  readonly topic: string;
  readonly message: BrokerMessage;
  /** Acknowledges the message (only needed with `autoAck: false`). */
  ack(): Promise<void>;
  /** Delivery attempt, 1 for the first (brokers that track it). */
  readonly attempt?: number;
}

export type BrokerHandler = (event: BrokerEvent) => Promise<void> | void;

export interface SubscribeOptions {
  /** Queue group name: competing consumers instead of broadcast. */
  queue?: string;
  /** Acknowledge when the handler resolves (default true). */
  autoAck?: boolean;
}

export interface PublishOptions {
  /** Milliseconds to wait for the broker to accept the message. */
  timeout?: number;
}

export interface Subscription {
  readonly topic: string;
  readonly queue?: string;
  unsubscribe(): Promise<void>;
}

export interface Broker {
  /** Implementation name, advertised in node metadata (`broker`). */
  readonly name: string;
  /** Where the broker listens or connects, for diagnostics. */
  address(): string;
  connect(): Promise<void>;
  /** Whether the broker can publish and deliver right now (health checks). */
  connected?(): boolean;
  disconnect(): Promise<void>;
  /** Resolves once the broker has accepted the message; rejects with a MicroError otherwise. */
  publish(topic: string, message: BrokerMessage, options?: PublishOptions): Promise<void>;
  subscribe(topic: string, handler: BrokerHandler, options?: SubscribeOptions): Promise<Subscription>;
}
