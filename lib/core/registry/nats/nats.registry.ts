/**
 * NATS registry (go-micro's registry/nats): no server-side state. Each process keeps its own
 * services and answers queries on `micro.nats.query` (a `get` for one of them, or a `list`) with
 * one message per service version on the query's reply subject; a lookup publishes the query and
 * merges what answers within the window (100 ms). Registrations and deregistrations are announced
 * on `micro.nats.watch` (`create` / `delete`), which is what watchers follow. Go and Node services
 * see each other because both speak exactly this.
 *
 * Beyond go-micro: an entry not re-registered within its TTL stops being answered for and a
 * `delete` is announced; after a reconnect every local service is announced again. A lookup while
 * NATS is unreachable is a retryable 503 (the cache in front then serves what it knows) rather than
 * an empty answer. A dead process simply stops answering; watchers hear no `delete` for it, so the
 * cache keeps its nodes until its entry expires and is looked up again (CacheRegistry's TTL).
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { natsTransportNode } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';
import { natsConnectionOptions } from '../../nats/connection.js';
import { NatsLink } from '../../nats/link.js';
import type {
  RegisterOptions,
  Registry,
  Service,
  WatchAction,
  WatchEvent,
  WatchOptions,
  Watcher,
} from '../registry.js';
import {
  NATS_REGISTRY_ERROR_ID,
  resolveNatsRegistryOptions,
  type NatsRegistryOptions,
  type ResolvedNatsRegistryOptions,
} from './nats.options.js';
import {
  addService,
  goResult,
  goService,
  mergeAnswers,
  parseResult,
  parseService,
  removeNodes,
} from './nats.services.js';

const ID = NATS_REGISTRY_ERROR_ID;
/** How long past its window a lookup waits for the server's round trip before calling NATS unreachable, ms. */
const ROUND_TRIP_GRACE = 2_000;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref?.());
const ACTIONS: Record<string, WatchAction> = {
  create: 'create',
  update: 'update',
  put: 'update',
  delete: 'delete',
};

export class NatsRegistry implements Registry {
  readonly name = 'nats';
  private readonly options: ResolvedNatsRegistryOptions;
  private readonly link: NatsLink;
  /** This process's services by name: every version with its nodes. */
  private readonly local = new Map<string, Service[]>();
  /** Per "name/version/node id": the timer that expires it when it is not registered again in time. */
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private readonly watchers = new Set<{ stop(): void }>();
  private closed = false;

  constructor(options: NatsRegistryOptions = {}) {
    this.options = resolveNatsRegistryOptions(options);
    const connection = natsConnectionOptions(
      this.options.servers,
      this.options.name,
      this.options.connection,
    );
    this.link = new NatsLink(connection, ID, {
      connected: (nc) => this.answerQueries(nc),
      reconnected: (nc) => this.announceAll(nc),
    });
  }

  /** The NATS servers as MICRO_REGISTRY_ADDRESS gives them ("host:port[,host:port]"). */
  static fromAddress(address?: string, options: NatsRegistryOptions = {}): NatsRegistry {
    return new NatsRegistry(address ? { ...options, servers: address } : options);
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    if (!service.name) throw MicroError.badRequest(ID, 'nats registry: service name is required');
    if (service.nodes.length === 0)
      throw MicroError.badRequest(ID, `nats registry: ${service.name} has no nodes to register`);
    const nc = await this.link.get();
    this.local.set(service.name, addService(this.local.get(service.name) ?? [], service));
    for (const node of service.nodes) this.expireLater(service, node.id, options.ttl);
    this.publish(nc, this.options.watchTopic, goResult(this.options.registerAction, service));
  }

  async deregister(service: Service): Promise<void> {
    this.forget(service);
    const nc = this.link.current();
    if (nc && !nc.isClosed()) this.publish(nc, this.options.watchTopic, goResult('delete', service));
  }

  async getService(name: string): Promise<Service[]> {
    const answers = await this.query('get', name);
    return mergeAnswers(answers.filter((s) => s.name === name));
  }

  async listServices(): Promise<Service[]> {
    const seen = new Map<string, Service>();
    for (const s of await this.query('list')) {
      const key = `${s.name}\0${s.version}`;
      if (!seen.has(key))
        seen.set(key, { name: s.name, version: s.version, metadata: {}, endpoints: [], nodes: [] });
    }
    return [...seen.values()];
  }

  watch(listener: (event: WatchEvent) => void, options: WatchOptions = {}): Watcher {
    let subscription: Subscription | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    let backoff = 250;
    const deliver = (msg: Msg): void => {
      const result = parseResult(msg.data);
      const action = result && ACTIONS[result.action];
      if (!action || !result.service) return;
      if (options.service && result.service.name !== options.service) return;
      try {
        listener({ action, service: result.service });
      } catch {
        /* a listener's exception must not end the watch */
      }
    };
    const start = (): void => {
      this.link.get().then(
        (nc) => {
          if (stopped) return;
          subscription = nc.subscribe(this.options.watchTopic, {
            callback: (e, msg) => {
              if (!e) deliver(msg);
            },
          });
        },
        () => {
          // NATS unreachable: try again (the watch must not die with one failed connection)
          if (stopped || this.closed) return;
          retry = setTimeout(start, backoff);
          retry.unref?.();
          backoff = Math.min(backoff * 2, 5_000);
        },
      );
    };
    start();
    const watcher = {
      stop: () => {
        stopped = true;
        clearTimeout(retry);
        subscription?.unsubscribe();
        this.watchers.delete(watcher);
      },
    };
    this.watchers.add(watcher);
    return watcher;
  }

  notFoundHint(service: string): string | undefined {
    if (!this.link.connected) return `not connected to NATS at ${this.options.servers.join(',')}`;
    return `no node answered for ${service} on ${this.options.queryTopic} within ${this.options.timeout} ms`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const watcher of this.watchers) watcher.stop();
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
    this.local.clear();
    await this.link.close();
  }

  /** Publishes a query and collects the answers for the window (or until the quorum answered). */
  private async query(action: 'get' | 'list', name?: string): Promise<Service[]> {
    const nc = await this.link.get();
    const unreachable = (): MicroError =>
      MicroError.unavailable(ID, `nats registry: not connected to NATS at ${this.options.servers.join(',')}`);
    if (!this.link.connected) throw unreachable();
    const lost = this.link.disconnects;
    // a round trip beside the query: its answer proves the server heard the query (the silence is
    // then an answer), while NATS going away during the window leaves it pending
    let heard = false;
    const roundTrip = nc.flush().then(
      () => void (heard = true),
      () => undefined,
    );
    const inbox = natsTransportNode().createInbox();
    const answers: Service[] = [];
    const { timeout, quorum } = this.options;
    await new Promise<void>((resolve) => {
      let nodes = 0;
      const finish = (): void => {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve();
      };
      const subscription = nc.subscribe(inbox, {
        callback: (error, msg) => {
          if (error) return;
          const service = parseService(msg.data); // NATS's no-responders status is not one: skipped
          if (!service) return;
          answers.push(service);
          nodes += service.nodes.length;
          if (action === 'get' && quorum > 0 && nodes >= quorum) finish();
        },
      });
      const timer = setTimeout(finish, timeout);
      const query = goResult(action, name === undefined ? undefined : { name });
      this.publish(nc, this.options.queryTopic, query, inbox);
    });
    if (!heard) await Promise.race([roundTrip, delay(ROUND_TRIP_GRACE)]);
    if (!heard || this.link.disconnects !== lost || !this.link.connected) throw unreachable();
    return answers;
  }

  /** Answers go-micro's queries for this process's services (one subscription for all of them). */
  private answerQueries(nc: NatsConnection): void {
    nc.subscribe(this.options.queryTopic, {
      callback: (error, msg) => {
        if (error || !msg.reply) return;
        const query = parseResult(msg.data);
        if (!query) return;
        let services: Service[] = [];
        if (query.action === 'get' && query.name) services = this.local.get(query.name) ?? [];
        else if (query.action === 'list') services = [...this.local.values()].flat();
        for (const service of services) {
          this.publish(nc, msg.reply, Buffer.from(JSON.stringify(goService(service)), 'utf8'));
        }
      },
    });
  }

  /** After a reconnect: watchers elsewhere may have missed us, so every local service is announced again. */
  private announceAll(nc: NatsConnection): void {
    for (const versions of this.local.values())
      for (const service of versions)
        this.publish(nc, this.options.watchTopic, goResult(this.options.registerAction, service));
  }

  private forget(service: Service): void {
    const remaining = removeNodes(this.local.get(service.name) ?? [], service);
    if (remaining.length > 0) this.local.set(service.name, remaining);
    else this.local.delete(service.name);
    for (const node of service.nodes) {
      const key = `${service.name}/${service.version}/${node.id}`;
      clearTimeout(this.expiries.get(key));
      this.expiries.delete(key);
    }
  }

  /** The node leaves after `ttl` ms unless registered again (no TTL: it stays until deregistered). */
  private expireLater(service: Service, nodeId: string, ttl: number | undefined): void {
    const key = `${service.name}/${service.version}/${nodeId}`;
    clearTimeout(this.expiries.get(key));
    this.expiries.delete(key);
    if (!ttl || ttl <= 0) return;
    const timer = setTimeout(
      () => {
        this.expiries.delete(key);
        const node = this.local
          .get(service.name)
          ?.find((s) => s.version === service.version)
          ?.nodes.find((n) => n.id === nodeId);
        if (!node) return;
        const leaving: Service = { ...service, nodes: [node] };
        void this.deregister(leaving);
      },
      Math.min(ttl, 2_147_483_647),
    );
    timer.unref?.();
    this.expiries.set(key, timer);
  }

  private publish(nc: NatsConnection, subject: string, payload: Buffer, reply?: string): void {
    try {
      nc.publish(subject, payload, reply ? { reply } : undefined);
    } catch {
      /* a closed connection: announcements are best effort, lookups time out empty */
    }
  }
}
