/**
 * The HTTP broker (go-micro's default broker, wire compatible). Each subscription registers a node
 * under `micro.http.broker` (version = queue name or `ff.http.broadcast`, metadata `{broker:"http",
 * topic, secure}`) pointing at this broker's own HTTP listener. A publish looks the nodes up in the
 * registry and POSTs the envelope to every node of a broadcast group and to one member of each queue
 * group (trying the next member when one fails). It resolves once every target acknowledged or the
 * failed delivery was put in the bounded per-topic retry inbox, which is retried in the background;
 * when the inbox is full the publish is rejected and `stats().dropped` counts it.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import { loggerFor } from '../logger.js';
import { MicroError } from '../errors/micro-error.js';
import type { Node, Registry, Service } from '../registry/registry.js';
import { announceHost, joinHostPort, splitHostPort } from '../net/address.js';
import type {
  Broker,
  BrokerHandler,
  BrokerMessage,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from './broker.js';
import { BROKER_ERROR_ID, encodeEnvelope } from './http/envelope.js';
import { RetryInbox, type PendingDelivery, type RetryOutcome, type Target } from './http/inbox.js';
import { createReceiver, type LocalSubscription } from './http/receiver.js';
import { Sender } from './http/sender.js';
import { DEFAULT_MAX_BODY } from '../limits.js';

export const HTTP_BROKER_SERVICE = 'micro.http.broker';
export const BROADCAST_VERSION = 'ff.http.broadcast';

export interface HttpBrokerOptions {
  registry: Registry;
  /** Listen address "host:port" (default `127.0.0.1:0`: this host only, a free port). */
  address?: string;
  /** Address announced in the registry when it differs from the listen address. */
  advertise?: string;
  /** Broker id; node ids are `<topic>-<id>`. Keep it stable to keep receiving retries across restarts. */
  id?: string;
  /** Failed deliveries kept per topic for retry (default 64). */
  inboxSize?: number;
  /** How often the retry inbox is retried (ms, default 1 s). */
  retryInterval?: number;
  /** A delivery answered with an error this many times (the first try included) is given up (default 10). */
  maxAttempts?: number;
  /** Per-delivery timeout: reply (handler acknowledged) within this (ms, default 10 s). */
  timeout?: number;
  /** Registration TTL and re-register interval (ms, defaults 60 s / 30 s as go-micro). */
  registerTTL?: number;
  registerInterval?: number;
  /** Largest message accepted, in bytes (default 4 MiB). */
  maxBodySize?: number;
  /** Serve HTTPS (nodes advertise `secure: "true"`). */
  tls?: SecureContextOptions;
  /** TLS options for POSTs to secure nodes. */
  clientTls?: ConnectionOptions;
}

export interface HttpBrokerStats {
  /** Deliveries waiting in the retry inbox. */
  queued: number;
  /** Deliveries refused because the topic's inbox was full (the publish was rejected). */
  dropped: number;
  /** Retries abandoned because the subscriber left the registry (unsubscribed or expired). */
  gone: number;
  /** Retries abandoned after `maxAttempts` error replies from the handler. */
  rejected: number;
}

interface Local extends LocalSubscription {
  service: Service;
}

export class HttpBroker implements Broker {
  readonly name = 'http';
  private readonly logger = loggerFor('HttpBroker');
  private readonly id: string;
  private readonly subs = new Map<string, Local>();
  private readonly inbox: RetryInbox;
  private readonly sender: Sender;
  private readonly counters = { dropped: 0, gone: 0, rejected: 0 };
  private server?: Server;
  private listenAddress = '';
  private timers: NodeJS.Timeout[] = [];
  private draining?: Promise<void>;
  private unused = new Set<Socket>();
  private readonly lookups = new Map<string, Promise<Map<string, Node[]>>>();

  constructor(private readonly options: HttpBrokerOptions) {
    this.id = options.id ?? randomUUID();
    this.inbox = new RetryInbox(options.inboxSize ?? 64);
    this.sender = new Sender(options.timeout ?? 10_000, options.clientTls);
  }

  address(): string {
    return this.options.advertise ?? this.listenAddress;
  }

  stats(): HttpBrokerStats {
    return { queued: this.inbox.size, ...this.counters };
  }

  async connect(): Promise<void> {
    if (this.server) return;
    const receiver = createReceiver({
      find: (id) => this.subs.get(id),
      maxBodySize: this.options.maxBodySize ?? DEFAULT_MAX_BODY,
      ackTimeout: this.options.timeout ?? 10_000,
    });
    const handle = (req: Parameters<typeof receiver>[0], res: Parameters<typeof receiver>[1]) =>
      void receiver(req, res);
    const server = this.options.tls ? createHttpsServer(this.options.tls, handle) : createHttpServer(handle);
    // Connections that never carried a request are not "idle" to closeIdleConnections (undici opens
    // one again after aborting a timed-out POST); disconnect closes them itself.
    const unused = (this.unused = new Set<Socket>());
    server.on('connection', (socket: Socket) => {
      unused.add(socket);
      socket.once('close', () => unused.delete(socket));
    });
    server.on('request', (req: IncomingMessage) => unused.delete(req.socket));
    const { host, port } = splitHostPort(this.options.address ?? '127.0.0.1:0');
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(MicroError.unavailable(BROKER_ERROR_ID, `http broker cannot listen: ${error.message}`, false)),
      );
      server.listen(port, host || undefined, () => resolve());
    });
    const bound = server.address();
    const boundPort = typeof bound === 'object' && bound ? bound.port : port;
    this.listenAddress = joinHostPort(announceHost(host), boundPort);
    this.server = server;
    const every = (ms: number, fn: () => void): void => void this.timers.push(setInterval(fn, ms).unref());
    every(this.options.retryInterval ?? 1_000, () => void this.drain());
    every(this.options.registerInterval ?? 30_000, () => void this.registerAll());
  }

  async disconnect(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.timers.forEach(clearInterval);
    this.timers = [];
    await this.draining;
    await this.drain(); // one last try for what is waiting
    const left = this.inbox.clear();
    if (left.length) {
      this.counters.dropped += left.length;
      this.logger.warn(`disconnecting with ${left.length} undelivered message(s) in the retry inbox`);
    }
    await Promise.all(
      [...this.subs.values()].map((s) => this.options.registry.deregister(s.service).catch(() => {})),
    );
    this.subs.clear();
    this.server = undefined;
    this.sender.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      for (const socket of this.unused) socket.destroy();
    });
  }

  async subscribe(
    topic: string,
    handler: BrokerHandler,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    if (!this.server) throw MicroError.unavailable(BROKER_ERROR_ID, 'http broker is not connected', false);
    let nodeId = `${topic}-${this.id}`;
    for (let n = 2; this.subs.has(nodeId); n++) nodeId = `${topic}-${this.id}-${n}`;
    const node: Node = {
      id: nodeId,
      address: this.address(),
      metadata: { broker: 'http', topic, secure: String(Boolean(this.options.tls)) },
    };
    const service: Service = {
      name: HTTP_BROKER_SERVICE,
      version: options.queue || BROADCAST_VERSION,
      metadata: {},
      endpoints: [],
      nodes: [node],
    };
    const local: Local = { topic, handler, autoAck: options.autoAck !== false, service };
    this.subs.set(nodeId, local);
    try {
      await this.options.registry.register(service, { ttl: this.options.registerTTL ?? 60_000 });
    } catch (error) {
      this.subs.delete(nodeId);
      throw MicroError.unavailable(BROKER_ERROR_ID, `cannot register subscriber: ${String(error)}`, true);
    }
    return {
      topic,
      queue: options.queue,
      unsubscribe: async () => {
        if (!this.subs.delete(nodeId)) return;
        await this.options.registry.deregister(service).catch(() => {});
      },
    };
  }

  /** `options.timeout` bounds each first delivery attempt (default the broker's `timeout`). */
  connected(): boolean {
    return this.server?.listening === true;
  }

  async publish(topic: string, message: BrokerMessage, options: PublishOptions = {}): Promise<void> {
    if (!this.server) throw MicroError.unavailable(BROKER_ERROR_ID, 'http broker is not connected', false);
    const payload = encodeEnvelope(topic, message);
    const groups = await this.lookup(topic);
    const failed: { target: Target; rejections: number }[] = [];
    await Promise.all(
      [...groups].map(async ([version, nodes]) => {
        if (version === BROADCAST_VERSION) {
          await Promise.all(
            nodes.map(async (node) => {
              const result = await this.sender.send(node, payload, options.timeout);
              if (!result.ok)
                failed.push({
                  target: { kind: 'node', nodeId: node.id },
                  rejections: result.reachable ? 1 : 0,
                });
            }),
          );
        } else {
          const outcome = await this.sendToOne(nodes, payload, options.timeout);
          if (outcome !== 'delivered')
            failed.push({
              target: { kind: 'queue', queue: version },
              rejections: outcome === 'rejected' ? 1 : 0,
            });
        }
      }),
    );
    const refused = failed.filter((f) => !this.inbox.add({ topic, payload, ...f }));
    if (refused.length === 0) return;
    this.counters.dropped += refused.length;
    throw new MicroError(
      BROKER_ERROR_ID,
      `retry inbox for ${topic} is full: ${refused.length} of ${failed.length} failed deliveries dropped`,
      503,
    );
  }

  /**
   * Nodes of `topic`'s subscribers by version (queue name or broadcast). The publishes of one turn
   * share one registry lookup per topic (a registry change shows from the next turn on).
   */
  private lookup(topic: string): Promise<Map<string, Node[]>> {
    let found = this.lookups.get(topic);
    if (!found) {
      if (this.lookups.size === 0) process.nextTick(() => this.lookups.clear());
      found = this.lookupNow(topic);
      this.lookups.set(topic, found);
    }
    return found;
  }

  private async lookupNow(topic: string): Promise<Map<string, Node[]>> {
    let services: Service[];
    try {
      services = await this.options.registry.getService(HTTP_BROKER_SERVICE);
    } catch (error) {
      throw MicroError.unavailable(BROKER_ERROR_ID, `registry lookup failed: ${String(error)}`, true);
    }
    const groups = new Map<string, Node[]>();
    for (const service of services) {
      const nodes = service.nodes.filter((n) => n.metadata.broker === 'http' && n.metadata.topic === topic);
      if (nodes.length) groups.set(service.version, [...(groups.get(service.version) ?? []), ...nodes]);
    }
    return groups;
  }

  /** Tries the members of a queue group in random order until one acknowledges. */
  private async sendToOne(nodes: Node[], payload: Buffer, timeoutMs?: number): Promise<RetryOutcome> {
    const order = nodes.map((n) => ({ n, r: Math.random() })).toSorted((a, b) => a.r - b.r);
    let rejected = false;
    for (const { n } of order) {
      const result = await this.sender.send(n, payload, timeoutMs);
      if (result.ok) return 'delivered';
      rejected ||= result.reachable;
    }
    return rejected ? 'rejected' : 'retry';
  }

  private drain(): Promise<void> {
    if (this.draining || this.inbox.size === 0) return this.draining ?? Promise.resolve();
    this.draining = this.inbox
      .drain(
        (entry) => this.retry(entry),
        (entry, outcome) => {
          this.counters[outcome === 'gone' ? 'gone' : 'rejected']++;
          this.logger.warn(`gave up a delivery on ${entry.topic} (${outcome}): ${describe(entry.target)}`);
        },
      )
      .finally(() => (this.draining = undefined));
    return this.draining;
  }

  private async retry(entry: PendingDelivery): Promise<RetryOutcome> {
    const groups = await this.lookup(entry.topic);
    const { target } = entry;
    let outcome: RetryOutcome;
    if (target.kind === 'node') {
      const node = groups.get(BROADCAST_VERSION)?.find((n) => n.id === target.nodeId);
      if (!node) return 'gone';
      const result = await this.sender.send(node, entry.payload);
      outcome = result.ok ? 'delivered' : result.reachable ? 'rejected' : 'retry';
    } else {
      const nodes = groups.get(target.queue);
      if (!nodes?.length) return 'gone';
      outcome = await this.sendToOne(nodes, entry.payload);
    }
    if (outcome !== 'rejected') return outcome;
    return ++entry.rejections >= (this.options.maxAttempts ?? 10) ? 'rejected' : 'retry';
  }

  private async registerAll(): Promise<void> {
    const ttl = this.options.registerTTL ?? 60_000;
    for (const sub of this.subs.values()) {
      await this.options.registry.register(sub.service, { ttl }).catch((error: unknown) => {
        this.logger.warn(`re-register of ${sub.service.nodes[0]?.id} failed: ${String(error)}`);
      });
    }
  }
}

function describe(target: Target): string {
  return target.kind === 'node' ? `node ${target.nodeId}` : `queue ${target.queue}`;
}
