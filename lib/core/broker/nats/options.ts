/**
 * Options of the NATS broker and their defaults, and the names it gives its JetStream streams,
 * consumers and dead-letter subjects.
 */
import { createHash } from 'node:crypto';
import { natsServers } from '../../nats/connection.js';

export interface NatsBrokerOptions {
  /**
   * NATS servers: `host:port`, `nats://host:port` or `tls://…`, one or a list (a string may hold a
   * comma-separated list, as MICRO_BROKER_ADDRESS does). Default `nats://127.0.0.1:4222`.
   */
  servers?: string | string[];
  user?: string;
  pass?: string;
  token?: string;
  /** TLS: `true` for the system's CAs, or files / PEM text (`ca`, `cert`, `key`, `caFile`, …). */
  tls?: boolean | NatsTlsOptions;
  /** Connection name the server shows (default `nest-micro-broker`). */
  name?: string;
  /**
   * How queue groups are served. `jetstream` (default): at least once, a durable JetStream consumer per
   * queue group with acks, redelivery, `maxDeliveries` and dead letters. `core`: core NATS queue
   * groups, at most once, the same group go-micro's NATS broker subscribers join.
   */
  queueGroups?: 'jetstream' | 'core';
  /** Prefix of the streams this broker creates (default `micro_`: `micro_topic_<topic>`, `micro_dlq`). */
  streamPrefix?: string;
  /** Dead letters go to `<deadLetterPrefix><topic>` (default `micro.dlq.`), kept in the `<streamPrefix>dlq` stream. */
  deadLetterPrefix?: string;
  /**
   * Most messages a topic's stream holds (default 1,000,000). A full stream refuses a publish (503)
   * rather than dropping messages it accepted; the dead-letter stream drops its oldest instead.
   */
  maxMessages?: number;
  /** Where streams this broker creates keep messages (default `file`: they survive a server restart). */
  storage?: 'file' | 'memory';
  /** A message in hand longer than this without acknowledgement goes to another member (ms, default 30 s). */
  visibilityTimeout?: number;
  /** Deliveries before a message moves to the dead-letter subject (default 5). */
  maxDeliveries?: number;
  /** Most handlers in progress at once per queue subscription (default 64); up to 2 × as many are pulled ahead. */
  prefetch?: number;
  /**
   * A publish while the server is unreachable waits this long for the connection to return before it
   * is rejected (ms, default 0: rejected at once). Also the bound on a publish in flight (at least 5 s).
   */
  publishTimeout?: number;
  /** How long `unsubscribe`/`disconnect` wait for handlers in progress (ms, default 10 s). */
  drainTimeout?: number;
}

export interface NatsTlsOptions {
  ca?: string;
  caFile?: string;
  cert?: string;
  certFile?: string;
  key?: string;
  keyFile?: string;
  /** TLS before the server's INFO (servers configured with `handshake_first`). */
  handshakeFirst?: boolean;
}

export type ResolvedNatsOptions = Required<
  Omit<NatsBrokerOptions, 'user' | 'pass' | 'token' | 'tls' | 'servers'>
> &
  Pick<NatsBrokerOptions, 'user' | 'pass' | 'token' | 'tls'> & { servers: string[] };

export function resolveNatsOptions(options: NatsBrokerOptions): ResolvedNatsOptions {
  const prefix = options.deadLetterPrefix ?? 'micro.dlq.';
  return {
    servers: natsServers(options.servers),
    user: options.user,
    pass: options.pass,
    token: options.token,
    tls: options.tls,
    name: options.name ?? 'nest-micro-broker',
    queueGroups: options.queueGroups ?? 'jetstream',
    streamPrefix: options.streamPrefix ?? 'micro_',
    deadLetterPrefix: prefix.endsWith('.') ? prefix : `${prefix}.`,
    maxMessages: Math.max(1, options.maxMessages ?? 1_000_000),
    storage: options.storage ?? 'file',
    visibilityTimeout: Math.max(1, options.visibilityTimeout ?? 30_000),
    maxDeliveries: Math.max(1, options.maxDeliveries ?? 5),
    prefetch: Math.max(1, options.prefetch ?? 64),
    publishTimeout: Math.max(0, options.publishTimeout ?? 0),
    drainTimeout: options.drainTimeout ?? 10_000,
  };
}

/** Characters a stream or consumer name may hold as they are (`.`, `*`, `>`, spaces and slashes may not). */
const PLAIN = /^[A-Za-z0-9.-]*$/;

/**
 * A name JetStream accepts, the same in every process: each character outside [A-Za-z0-9-] becomes
 * `_`, and a hash of the original is added when that could make two names meet (anything beyond
 * letters, digits, `-` and `.`) or the name is long.
 */
export function safeName(value: string): string {
  const name = value.replace(/[^A-Za-z0-9-]/g, '_');
  if (PLAIN.test(value) && name.length <= 64 && name.length > 0) return name;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 10);
  return `${name.slice(0, 64)}_${hash}`;
}

/** The stream this broker creates for `topic` when no stream holds it yet. */
export const topicStream = (prefix: string, topic: string): string => `${prefix}topic_${safeName(topic)}`;
/** The stream that keeps dead letters. */
export const deadLetterStream = (prefix: string): string => `${prefix}dlq`;
export const deadLetterSubject = (prefix: string, topic: string): string => `${prefix}${topic}`;
/**
 * The durable consumer of queue group `queue` on `topic`: the queue's name in the topic's own stream,
 * the queue and the topic in a stream shared by several topics.
 */
export const durableName = (queue: string, topic: string, shared: boolean): string =>
  shared ? `${safeName(queue)}_${safeName(topic)}` : safeName(queue);
