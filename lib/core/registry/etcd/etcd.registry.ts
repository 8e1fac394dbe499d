/**
 * etcd registry (go-micro's registry/etcd) on the `etcd3` client: each node is one key under
 * /micro/registry/ holding go-micro's JSON, bound to a lease of the register TTL that the client
 * keeps alive. A re-register of an unchanged node is skipped while its lease lives (go-micro's hash
 * check); a lost lease (expired during an outage, revoked) drops that state and the node is
 * registered again with a new lease, retried with backoff until etcd answers. Reads are
 * serializable prefix ranges, watch is an etcd watch. Every failure is a MicroError: 503
 * (retryable) when etcd is unreachable, 401/403 on auth, 400 on bad input.
 */
import { createHash } from 'node:crypto';
import type { Etcd3, Lease } from 'etcd3';
import { cockatiel, etcd3 } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';
import { loggerFor } from '../../logger.js';
import type {
  Node,
  RegisterOptions,
  Registry,
  Service,
  WatchEvent,
  WatchOptions,
  Watcher,
} from '../registry.js';
import {
  createEtcdClient,
  ETCD_ERROR_ID,
  resolveEtcdOptions,
  type EtcdRegistryOptions,
  type ResolvedEtcdOptions,
} from './etcd.options.js';
import { decodeValue, encodeNode, groupServices, nodePath, servicePath } from './etcd.services.js';
import { EtcdWatcher } from './etcd.watcher.js';
import { errorText } from '../../errors/error-text.js';
import { WatcherSet } from '../watcher-set.js';

/** Wraps an etcd3 failure into a MicroError the caller can act on. */
export function etcdError(action: string, error: unknown): MicroError {
  if (error instanceof MicroError) return error;
  const e = etcd3();
  const message = errorText(error);
  const detail = `etcd registry: ${action} failed: ${message}`;
  const unauthenticated =
    error instanceof e.EtcdAuthenticationFailedError ||
    error instanceof e.EtcdInvalidAuthTokenError ||
    error instanceof e.EtcdUserNotFoundError ||
    error instanceof e.GRPCUnauthenticatedError ||
    // etcd with auth on, asked without credentials
    (error instanceof e.GRPCInvalidArgumentError && message.includes('user name is empty'));
  if (unauthenticated)
    return MicroError.unauthorized(ETCD_ERROR_ID, `${detail} (check ETCD_USERNAME / ETCD_PASSWORD)`);
  if (error instanceof e.EtcdPermissionDeniedError || error instanceof e.EtcdRoleNotGrantedError)
    return MicroError.forbidden(ETCD_ERROR_ID, detail);
  if (error instanceof e.GRPCInvalidArgumentError) return MicroError.badRequest(ETCD_ERROR_ID, detail);
  if (error instanceof e.ClientClosedError) return MicroError.unavailable(ETCD_ERROR_ID, detail, false);
  return MicroError.unavailable(ETCD_ERROR_ID, detail);
}

/** What this registry wrote for one node. */
interface Registration {
  service: Service;
  node: Node;
  ttlMs: number;
  /** Lease TTL in seconds; 0 for a key without a lease. */
  ttl: number;
  /** Hash of the value and TTL last written; empty when the next register must write. */
  hash: string;
  lease?: Lease;
  /** The re-register after a lost lease, while it runs. */
  retry?: AbortController;
}

export class EtcdRegistry implements Registry {
  readonly name = 'etcd';
  readonly client: Etcd3;
  private readonly logger = loggerFor('EtcdRegistry');
  private readonly resolved: ResolvedEtcdOptions;
  private readonly registrations = new Map<string, Registration>();
  /** Per key: the register/deregister in progress, so they run one after another. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly watchers = new WatcherSet();
  private closed = false;

  constructor(options: EtcdRegistryOptions = {}) {
    this.resolved = resolveEtcdOptions(options);
    this.client = createEtcdClient(options, this.resolved);
  }

  /** "host:port[,host:port]" or URLs, as MICRO_REGISTRY_ADDRESS gives them. */
  static fromAddress(address?: string, options: EtcdRegistryOptions = {}): EtcdRegistry {
    return new EtcdRegistry(address ? { ...options, hosts: address } : options);
  }

  /** The key of a node: `<prefix><service>/<node id>`. */
  keyOf(service: string, nodeId: string): string {
    return nodePath(this.resolved.prefix, service, nodeId);
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    if (!service.name) throw MicroError.badRequest(ETCD_ERROR_ID, 'etcd registry: service name is required');
    if (service.nodes.length === 0)
      throw MicroError.badRequest(ETCD_ERROR_ID, `etcd registry: ${service.name} has no nodes to register`);
    for (const node of service.nodes)
      if (!node.id)
        throw MicroError.badRequest(ETCD_ERROR_ID, `etcd registry: a node of ${service.name} has no id`);
    this.assertOpen();
    const ttlMs = options.ttl && options.ttl > 0 ? options.ttl : 0;
    // Every node is tried (as go-micro does); the first failure is reported.
    const results = await Promise.allSettled(
      service.nodes.map((node) =>
        this.serially(this.keyOf(service.name, node.id), () => this.write(service, node, ttlMs)),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw etcdError(`register ${service.name}`, failed.reason);
  }

  async deregister(service: Service): Promise<void> {
    this.assertOpen();
    const results = await Promise.allSettled(
      service.nodes.map((node) => {
        const key = this.keyOf(service.name, node.id);
        return this.serially(key, () => this.remove(key));
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw etcdError(`deregister ${service.name}`, failed.reason);
  }

  async getService(name: string): Promise<Service[]> {
    this.assertOpen();
    try {
      const response = await this.client
        .getAll()
        .prefix(`${servicePath(this.resolved.prefix, name)}/`)
        .serializable(true)
        .exec();
      const values = response.kvs.map((kv) => decodeValue(kv.value)).filter((s) => s?.name === name);
      return groupServices(values as Service[], (s) => s.version);
    } catch (error) {
      throw etcdError(`get service ${name}`, error);
    }
  }

  async listServices(): Promise<Service[]> {
    this.assertOpen();
    try {
      const response = await this.client.getAll().prefix(this.resolved.prefix).serializable(true).exec();
      const values = response.kvs.map((kv) => decodeValue(kv.value)).filter((s) => s !== undefined);
      const services = groupServices(values, (s) => `${s.name}\u0000${s.version}`);
      return services.toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      throw etcdError('list services', error);
    }
  }

  watch(listener: (event: WatchEvent) => void, options: WatchOptions = {}): Watcher {
    this.assertOpen();
    const path = options.service
      ? `${servicePath(this.resolved.prefix, options.service)}/`
      : this.resolved.prefix;
    const watcher = new EtcdWatcher(this.client, path, listener, options.service);
    return this.watchers.add(watcher);
  }

  /** Stops watches, keepalives and retries and closes the client; leases left expire by TTL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.stopAll();
    for (const r of this.registrations.values()) {
      r.retry?.abort();
      r.lease?.release();
    }
    this.registrations.clear();
    await Promise.allSettled(this.pending.values());
    this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw MicroError.unavailable(ETCD_ERROR_ID, 'etcd registry: closed', false);
  }

  /** Runs `task` after whatever is pending for `key`. */
  private serially(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.pending.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => {});
    this.pending.set(key, settled);
    void settled.then(() => {
      if (this.pending.get(key) === settled) this.pending.delete(key);
    });
    return next;
  }

  /** Writes one node's key (with a lease when there is a TTL) unless it is unchanged and alive. */
  private async write(service: Service, node: Node, ttlMs: number): Promise<void> {
    if (this.closed) return;
    const key = this.keyOf(service.name, node.id);
    const value = encodeNode(service, node);
    const ttl = ttlMs > 0 ? Math.max(1, Math.ceil(ttlMs / 1000)) : 0;
    const hash = `${ttl}:${createHash('sha1').update(value).digest('hex')}`;
    const current = this.registrations.get(key);
    const alive = current?.lease && !current.lease.revoked() ? current.lease : undefined;
    if (current && current.hash === hash && (ttl === 0 || alive)) return;

    // Keep a live lease of the same TTL (the key's value changes, its lease does not).
    const reuse = alive && current?.ttl === ttl ? alive : undefined;
    const lease = ttl > 0 ? (reuse ?? this.client.lease(ttl)) : undefined;
    if (lease && !reuse) lease.on('lost', (error: Error) => this.onLost(key, lease, error));
    try {
      if (lease) await lease.put(key).value(value);
      else await this.client.put(key).value(value);
    } catch (error) {
      if (lease && !reuse) lease.release();
      if (current) current.hash = '';
      throw error;
    }
    const registration: Registration = current ?? { service, node, ttlMs, ttl, hash, lease };
    Object.assign(registration, { service, node, ttlMs, ttl, hash, lease });
    this.registrations.set(key, registration);
    if (alive && alive !== lease) void alive.revoke().catch(() => {});
  }

  private async remove(key: string): Promise<void> {
    const registration = this.registrations.get(key);
    this.registrations.delete(key);
    registration?.retry?.abort();
    try {
      await this.client.delete().key(key);
    } finally {
      // The key is gone (or etcd is down and the lease expires by itself): free the lease.
      if (registration?.lease) void registration.lease.revoke().catch(() => {});
    }
  }

  /** A lease this registry holds is gone: register the node again, with backoff until etcd answers. */
  private onLost(key: string, lease: Lease, error: Error): void {
    const registration = this.registrations.get(key);
    if (this.closed || !registration || registration.lease !== lease) return;
    registration.lease = undefined;
    registration.hash = '';
    this.logger.warn(`lease of ${key} lost (${error.message}); registering it again`);
    registration.retry?.abort();
    const abort = new AbortController();
    registration.retry = abort;
    const { retry, handleAll, ExponentialBackoff } = cockatiel();
    const policy = retry(handleAll, {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 }),
    }).dangerouslyUnref();
    policy
      .execute(async ({ signal }) => {
        if (signal.aborted) return;
        const { service, node, ttlMs } = registration;
        await this.serially(key, async () => {
          // Deregistered or re-registered meanwhile: nothing left to do.
          if (signal.aborted || this.registrations.get(key) !== registration || registration.hash) return;
          await this.write(service, node, ttlMs);
        });
      }, abort.signal)
      .then(
        () => {
          if (!abort.signal.aborted && registration.hash) this.logger.log(`${key} registered again`);
        },
        () => {},
      )
      .finally(() => {
        if (registration.retry === abort) registration.retry = undefined;
      });
  }
}
