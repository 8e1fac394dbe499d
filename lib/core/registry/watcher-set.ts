/**
 * The watches a registry has open, so that its `close` stops every one: the Consul and etcd
 * registries and the testing module's registry view hold theirs in one.
 */
import type { Watcher } from './registry.js';

export class WatcherSet {
  private readonly open = new Set<Watcher>();

  /** Holds `watcher` until it is stopped; the handle returned stops it and lets it go. */
  add(watcher: Watcher): Watcher {
    this.open.add(watcher);
    return {
      stop: () => {
        watcher.stop();
        this.open.delete(watcher);
      },
    };
  }

  /** Stops every watch still open. */
  stopAll(): void {
    for (const watcher of this.open) watcher.stop();
    this.open.clear();
  }
}
