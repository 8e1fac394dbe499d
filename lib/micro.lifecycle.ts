/**
 * Releases what a module's services and clients share (pooled transport connections, registry
 * watches and sockets) once Nest has closed the servers.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MICRO_OPTIONS } from './micro.constants.js';
import type { ResolvedOptions } from './options.js';

@Injectable()
export class MicroLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('MicroModule');

  constructor(@Inject(MICRO_OPTIONS) private readonly options: ResolvedOptions) {}

  async onApplicationShutdown(): Promise<void> {
    const { transport, registry, selector } = this.options;
    selector.close();
    const results = await Promise.allSettled([transport.close(), registry.close?.()]);
    for (const r of results) if (r.status === 'rejected') this.logger.warn(`shutdown: ${String(r.reason)}`);
  }
}
