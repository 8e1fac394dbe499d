/**
 * Options of the Redis broker and their defaults, plus the key names it uses in Redis.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';

export interface RedisBrokerOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://…` (default `redis://127.0.0.1:6379`). */
  url?: string;
  /** ACL user name (overrides the URL's). */
  username?: string;
  password?: string;
  /** TLS: `true` for defaults, or node:tls options (a `rediss://` URL turns it on as well). */
  tls?: boolean | ConnectionOptions;
  /** Prefix of every key and channel (default `micro:`). */
  keyPrefix?: string;
  /**
   * Approximate cap on each topic's stream (`XADD MAXLEN ~`, default 100,000). A queue backlog longer
   * than this loses its oldest entries; size it above the largest backlog you expect.
   */
  maxLen?: number;
  /** A message in hand longer than this without acknowledgement is claimed by another member (ms, default 30 s). */
  visibilityTimeout?: number;
  /** Deliveries before a message moves to the dead-letter stream `<prefix>dlq:<topic>` (default 5). */
  maxDeliveries?: number;
  /** This member's consumer name in queue groups (default `<host>-<pid>-<uuid8>`). */
  consumer?: string;
  /**
   * Most handlers in progress at once per queue subscription (default 64). More are read ahead
   * while they run: a member holds at most 4 × prefetch (running, waiting and being read).
   */
  prefetch?: number;
  /** How often a member looks for stale messages to claim (ms, default min(1 s, visibilityTimeout)). */
  claimInterval?: number;
  /**
   * A publish while Redis is unreachable waits this long for the connection to return before it is
   * rejected (ms, default 0: rejected at once). Also the bound on a publish in flight.
   */
  publishTimeout?: number;
  /** How long `unsubscribe`/`disconnect` wait for handlers in progress (ms, default 10 s). */
  drainTimeout?: number;
}

export type ResolvedRedisOptions = Required<Omit<RedisBrokerOptions, 'username' | 'password' | 'tls'>> &
  Pick<RedisBrokerOptions, 'username' | 'password' | 'tls'>;

export function resolveRedisOptions(options: RedisBrokerOptions): ResolvedRedisOptions {
  const visibilityTimeout = options.visibilityTimeout ?? 30_000;
  return {
    url: options.url ?? 'redis://127.0.0.1:6379',
    username: options.username,
    password: options.password,
    tls: options.tls,
    keyPrefix: options.keyPrefix ?? 'micro:',
    maxLen: options.maxLen ?? 100_000,
    visibilityTimeout,
    maxDeliveries: Math.max(1, options.maxDeliveries ?? 5),
    consumer: options.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    prefetch: Math.max(1, options.prefetch ?? 64),
    claimInterval: options.claimInterval ?? Math.min(1_000, visibilityTimeout),
    publishTimeout: options.publishTimeout ?? 0,
    drainTimeout: options.drainTimeout ?? 10_000,
  };
}

/** Stream and Pub/Sub channel of a topic (keys and channels live in separate namespaces). */
export const topicKey = (prefix: string, topic: string): string => `${prefix}topic:${topic}`;
export const deadLetterKey = (prefix: string, topic: string): string => `${prefix}dlq:${topic}`;
