/**
 * Starts the module's Prometheus endpoint (option `metrics`) with the app, and releases what a
 * module's services and clients share (pooled transport connections, the broker a client published
 * through, registry watches and sockets, the metrics endpoint) once Nest has closed the servers.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MicroClient } from './client/micro.client.js';
import { MICRO_OPTIONS } from './micro.constants.js';
import type { ResolvedOptions } from './options.js';
import { servePrometheus, type PrometheusEndpoint } from '../core/metrics/prometheus.js';

@Injectable()
export class MicroLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MicroModule');
  private metrics?: PrometheusEndpoint;

  constructor(
    @Inject(MICRO_OPTIONS) private readonly options: ResolvedOptions,
    private readonly client: MicroClient,
  ) {}

  async onModuleInit(): Promise<void> {
    const { metrics, name } = this.options;
    if (!metrics) return;
    this.metrics = await servePrometheus({ ...metrics, serviceName: name });
    this.logger.log(`metrics at ${this.metrics.url}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const { transport, registry, selector, broker } = this.options;
    selector.close();
    const results = await Promise.allSettled([
      transport.close(),
      this.client.unwrap<{ close(): Promise<void> }>().close(),
      broker.disconnect(),
      registry.close?.(),
      this.metrics?.close(),
    ]);
    for (const r of results) if (r.status === 'rejected') this.logger.warn(`shutdown: ${String(r.reason)}`);
  }
}
