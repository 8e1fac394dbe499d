/**
 * One module's view of a test network's shared memory registry: every call goes to the shared
 * registry, but `close` (which MicroModule calls when its app closes) stops only this module's
 * watches, so closing a test's client app leaves the other apps' watches running.
 */
import type { MemoryRegistry } from '../core/registry/memory.registry.js';
import type {
  RegisterOptions,
  Registry,
  Service,
  WatchEvent,
  Watcher,
  WatchOptions,
} from '../core/registry/registry.js';
import { WatcherSet } from '../core/registry/watcher-set.js';

export class ModuleRegistry implements Registry {
  readonly name = 'memory';
  private readonly watchers = new WatcherSet();

  constructor(private readonly shared: MemoryRegistry) {}

  register(service: Service, options?: RegisterOptions): Promise<void> {
    return this.shared.register(service, options);
  }

  deregister(service: Service): Promise<void> {
    return this.shared.deregister(service);
  }

  getService(name: string): Promise<Service[]> {
    return this.shared.getService(name);
  }

  listServices(): Promise<Service[]> {
    return this.shared.listServices();
  }

  watch(listener: (event: WatchEvent) => void, options?: WatchOptions): Watcher {
    return this.watchers.add(this.shared.watch(listener, options));
  }

  async close(): Promise<void> {
    this.watchers.stopAll();
  }
}
