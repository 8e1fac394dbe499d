/**
 * Releases what a module's services and clients share (pooled transport connections, the broker a
 * client published through, registry watches and sockets) once Nest has closed the servers.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MicroClient } from './client/micro.client.js';
import { MICRO_OPTIONS } from './micro.constants.js';
import type { ResolvedOptions } from './options.js';

@Injectable()
export class MicroLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('MicroModule');

  constructor(
    @Inject(MICRO_OPTIONS) private readonly options: ResolvedOptions,
    private readonly client: MicroClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const { transport, registry, selector, broker } = this.options;
    selector.close();
    const results = await Promise.allSettled([
      transport.close(),
      this.client.unwrap<{ close(): Promise<void> }>().close(),
      broker.disconnect(),
      registry.close?.(),
    ]);
    for (const r of results) if (r.status === 'rejected') this.logger.warn(`shutdown: ${String(r.reason)}`);
  }
}
