/**
 * etcd watch (go-micro's registry/etcd/watcher.go): one etcd watch on the key prefix (all services,
 * or `<service>/`) with previous values; a put is a `create` when the key is new (its create and
 * mod revisions are equal) and an `update` otherwise, a delete (deregister or lease expiry) is a
 * `delete` of the node the previous value held. Values that are not go-micro services are skipped.
 * The etcd3 client reconnects and resumes from the last revision seen; one warning is logged per
 * outage. A watch etcd cancels (its revision was compacted away) is started again from now.
 */
import type { Etcd3, IKeyValue, Watcher as Etcd3Watcher } from 'etcd3';
import { loggerFor } from '../../logger.js';
import type { Service, WatchEvent, Watcher } from '../registry.js';
import { decodeValue } from './etcd.services.js';

const RESTART_DELAY_MS = 1_000;

export class EtcdWatcher implements Watcher {
  private readonly logger = loggerFor('EtcdRegistry');
  private watch?: Etcd3Watcher;
  private stopped = false;
  private failing = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: Etcd3,
    private readonly path: string,
    private readonly listener: (event: WatchEvent) => void,
    private readonly service?: string,
  ) {
    this.start();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const watch = this.watch;
    this.watch = undefined;
    watch?.removeAllListeners();
    watch?.on('error', () => {});
    watch?.cancel().catch(() => {});
  }

  private start(): void {
    if (this.stopped) return;
    const watch = this.client.watch().prefix(this.path).withPreviousKV().watcher();
    this.watch = watch;
    watch.on('put', (kv: IKeyValue) => {
      const action = String(kv.create_revision) === String(kv.mod_revision) ? 'create' : 'update';
      this.emit(action, decodeValue(kv.value));
    });
    watch.on('delete', (_kv: IKeyValue, previous?: IKeyValue) =>
      this.emit('delete', decodeValue(previous?.value)),
    );
    watch.on('connected', () => this.recovered());
    watch.on('disconnected', (error: Error) => this.failed(error));
    watch.on('error', (error: Error) => {
      // etcd cancelled the watch (e.g. compacted revision): start a new one from now.
      this.logger.warn(`etcd watch on ${this.path} cancelled, starting again: ${error.message}`);
      watch.removeAllListeners();
      watch.on('error', () => {});
      watch.cancel().catch(() => {});
      if (this.watch === watch) this.watch = undefined;
      this.restartTimer = setTimeout(() => this.start(), RESTART_DELAY_MS);
      this.restartTimer.unref();
    });
  }

  private emit(action: WatchEvent['action'], service: Service | undefined): void {
    if (this.stopped || !service) return;
    if (this.service !== undefined && service.name !== this.service) return;
    try {
      this.listener({ action, service });
    } catch (error) {
      this.logger.warn(`watch listener threw: ${String(error)}`);
    }
  }

  private failed(error: Error): void {
    if (this.stopped || this.failing) return;
    this.failing = true;
    this.logger.warn(`etcd watch disconnected, reconnecting: ${error.message}`);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log('etcd watch reconnected');
  }
}
