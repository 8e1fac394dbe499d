/**
 * Consul watch: blocking queries (index long polls via the consul client's Watch) on
 * /v1/health/service/<name>, one per watched service; without a service filter a blocking query on
 * /v1/catalog/services starts and ends the per-service ones. Snapshots are diffed into
 * create/update/delete events. While the agent is unreachable the client retries with backoff and
 * one warning is logged per outage; the first snapshot after recovery is diffed like any other.
 */
import type Consul from 'consul';
import { loggerFor } from '../../logger.js';
import { diffSnapshots } from '../watch-diff.js';
import type { Service, WatchEvent, Watcher } from '../registry.js';
import { fromHealthEntries, type HealthEntry } from './consul.services.js';

type ConsulWatch = ReturnType<Consul['watch']>;

export interface ConsulWatchSettings {
  wait: number;
  stale: boolean;
  /** Longest pause between retries while the agent is down, in ms. */
  backoffMax: number;
}

export class ConsulWatcher implements Watcher {
  private readonly logger = loggerFor('ConsulRegistry');
  private readonly perService = new Map<string, { watch: ConsulWatch; snapshot: Service[] }>();
  private catalog?: ConsulWatch;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly consul: Consul,
    private readonly listener: (event: WatchEvent) => void,
    private readonly settings: ConsulWatchSettings,
    service?: string,
  ) {
    if (service) this.watchService(service);
    else this.watchCatalog();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.catalog?.end();
    for (const { watch } of this.perService.values()) watch.end();
    this.perService.clear();
  }

  private options(extra: Record<string, unknown>): Record<string, unknown> {
    return {
      ...extra,
      wait: `${Math.max(1, Math.round(this.settings.wait / 1000))}s`,
      stale: this.settings.stale,
    };
  }

  private start(method: unknown, options: Record<string, unknown>): ConsulWatch {
    const watch = this.consul.watch({
      method: method as never,
      options: this.options(options) as never,
      backoffFactor: 100,
      backoffMax: this.settings.backoffMax,
    });
    watch.on('error', (error: Error) => this.onError(error));
    return watch;
  }

  private watchCatalog(): void {
    this.catalog = this.start(this.consul.catalog.service.list, {});
    this.catalog.on('change', (data: Record<string, string[]>) => {
      this.recovered();
      const names = new Set(Object.keys(data ?? {}).filter((n) => n !== 'consul'));
      for (const name of names) if (!this.perService.has(name)) this.watchService(name);
      for (const [name, entry] of this.perService) {
        if (names.has(name)) continue;
        entry.watch.end();
        this.perService.delete(name);
        this.apply(name, entry.snapshot, []);
      }
    });
  }

  private watchService(name: string): void {
    const watch = this.start(this.consul.health.service, { service: name });
    const entry = { watch, snapshot: [] as Service[] };
    this.perService.set(name, entry);
    watch.on('change', (data: HealthEntry[]) => {
      this.recovered();
      const next = fromHealthEntries(name, Array.isArray(data) ? data : []);
      const previous = entry.snapshot;
      entry.snapshot = next;
      this.apply(name, previous, next);
    });
  }

  private apply(_name: string, previous: Service[], next: Service[]): void {
    if (this.stopped) return;
    for (const event of diffSnapshots(previous, next)) {
      try {
        this.listener(event);
      } catch (error) {
        this.logger.warn(`watch listener threw: ${String(error)}`);
      }
    }
  }

  private onError(error: Error): void {
    if (this.stopped || this.failing) return;
    this.failing = true;
    this.logger.warn(`consul watch failing, retrying with backoff: ${error.message}`);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log('consul watch recovered');
  }
}
