/**
 * Consul registry (go-micro's registry/consul) on the `consul` client: each node is an agent
 * service (ID = node id) with go-micro's tags and a TTL check that is passed on every re-register;
 * reads use the health endpoint and leave out nodes with a critical check; watch uses blocking
 * queries. Every failure is a MicroError: 503 (retryable) when the agent is unreachable, the
 * agent's own status (400/403/…) when it refuses.
 */
import { createHash } from 'node:crypto';
import type Consul from 'consul';
import { MicroError } from '../../errors/micro-error.js';
import type { RegisterOptions, Registry, Service, WatchEvent, WatchOptions, Watcher } from '../registry.js';
import {
  CONSUL_ERROR_ID,
  createConsulClient,
  resolveConsulOptions,
  type ConsulRegistryOptions,
  type ResolvedConsulOptions,
} from './consul.options.js';
import { fromCatalogList, fromHealthEntries, toRegistration, type HealthEntry } from './consul.services.js';
import { ConsulWatcher } from './consul.watcher.js';
import { WatcherSet } from '../watcher-set.js';

/** Wraps a consul client failure into a MicroError the caller can act on. */
export function consulError(action: string, error: unknown): MicroError {
  if (error instanceof MicroError) return error;
  const e = error as { message?: string; code?: string; response?: { statusCode?: number } };
  const status = e.response?.statusCode;
  const detail = `consul registry: ${action} failed: ${e.message ?? String(error)}`;
  if (status === 403 || status === 401)
    return new MicroError(CONSUL_ERROR_ID, `${detail} (check the ACL token)`, 403);
  if (status !== undefined && status >= 400 && status < 500)
    return new MicroError(CONSUL_ERROR_ID, detail, 400);
  return MicroError.unavailable(CONSUL_ERROR_ID, detail);
}

export class ConsulRegistry implements Registry {
  readonly name = 'consul';
  readonly client: Consul;
  private readonly resolved: ResolvedConsulOptions;
  /** Per node id: hash of what was last registered (go-micro skips unchanged re-registers). */
  private readonly registered = new Map<string, string>();
  private readonly watchers = new WatcherSet();

  constructor(options: ConsulRegistryOptions = {}) {
    this.resolved = resolveConsulOptions(options);
    this.client = createConsulClient(options, this.resolved);
  }

  /** "host:port" or a URL, as MICRO_REGISTRY_ADDRESS gives it. */
  static fromAddress(address?: string, options: ConsulRegistryOptions = {}): ConsulRegistry {
    return new ConsulRegistry(address ? { ...options, url: address } : options);
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    if (!service.name)
      throw MicroError.badRequest(CONSUL_ERROR_ID, 'consul registry: service name is required');
    if (service.nodes.length === 0)
      throw MicroError.badRequest(
        CONSUL_ERROR_ID,
        `consul registry: ${service.name} has no nodes to register`,
      );
    for (const node of service.nodes) {
      const registration = toRegistration(service, node, options.ttl);
      if (!registration.port)
        throw MicroError.badRequest(
          CONSUL_ERROR_ID,
          `consul registry: node ${node.id} has no port in "${node.address}"`,
        );
      const hash = createHash('sha1').update(JSON.stringify(registration)).digest('hex');
      // Unchanged and TTL-checked: passing the check is enough. If that fails (the agent forgot us,
      // e.g. after a restart) fall through to a full registration.
      if (registration.check && this.registered.get(node.id) === hash) {
        try {
          await this.client.agent.check.pass({ id: `service:${node.id}` });
          continue;
        } catch {
          this.registered.delete(node.id);
        }
      }
      try {
        await this.client.agent.service.register(registration as never);
        // An agent that restored this service from its data dir keeps the restored (critical)
        // check state over the registration's `status`: pass it explicitly, as go-micro does.
        if (registration.check) await this.client.agent.check.pass({ id: `service:${node.id}` });
      } catch (error) {
        this.registered.delete(node.id);
        throw consulError(`register ${service.name}/${node.id}`, error);
      }
      this.registered.set(node.id, hash);
    }
  }

  async deregister(service: Service): Promise<void> {
    const failures: MicroError[] = [];
    for (const node of service.nodes) {
      this.registered.delete(node.id);
      try {
        await this.client.agent.service.deregister({ id: node.id });
      } catch (error) {
        const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
        if (status === 404) continue; // already gone
        failures.push(consulError(`deregister ${service.name}/${node.id}`, error));
      }
    }
    if (failures[0]) throw failures[0];
  }

  async getService(name: string): Promise<Service[]> {
    try {
      const entries = (await this.client.health.service({
        service: name,
        stale: this.resolved.allowStale,
      } as never)) as HealthEntry[];
      return fromHealthEntries(name, Array.isArray(entries) ? entries : []);
    } catch (error) {
      throw consulError(`get service ${name}`, error);
    }
  }

  async listServices(): Promise<Service[]> {
    try {
      const list = (await this.client.catalog.service.list({
        stale: this.resolved.allowStale,
      } as never)) as Record<string, string[]>;
      return fromCatalogList(list ?? {});
    } catch (error) {
      throw consulError('list services', error);
    }
  }

  watch(listener: (event: WatchEvent) => void, options: WatchOptions = {}): Watcher {
    const watcher = new ConsulWatcher(
      this.client,
      listener,
      { wait: this.resolved.watchWait, stale: this.resolved.allowStale, backoffMax: 5_000 },
      options.service,
    );
    return this.watchers.add(watcher);
  }

  async close(): Promise<void> {
    this.watchers.stopAll();
    this.client.destroy();
  }
}
