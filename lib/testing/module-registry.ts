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

export class ModuleRegistry implements Registry {
  readonly name = 'memory';
  private readonly watchers = new Set<Watcher>();

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
    const watcher = this.shared.watch(listener, options);
    this.watchers.add(watcher);
    return {
      stop: () => {
        this.watchers.delete(watcher);
        watcher.stop();
      },
    };
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.stop();
    this.watchers.clear();
  }
}
