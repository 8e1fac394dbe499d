/**
 * A Prometheus scrape endpoint for nest-micro's metrics, for users without an OpenTelemetry
 * collector: an SDK MeterProvider (`@opentelemetry/sdk-metrics`) read by OpenTelemetry's Prometheus
 * exporter (`@opentelemetry/exporter-prometheus`, an optional peer dependency loaded on first use),
 * served by a plain HTTP server of ours on one path. The provider is attached to nest-micro's
 * recorder only, so a MeterProvider the application registered globally is left alone. go-micro's
 * Prometheus wrapper names (`micro_request_total`, `micro_request_duration_seconds`) are on by default.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { onFirstUse } from '../drivers.js';
import { attachMeterProvider } from './recorder.js';

export interface PrometheusOptions {
  /** TCP port (default 9464, the exporter's usual one; 0 picks a free one). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1: only this machine can scrape). */
  host?: string;
  /** Path of the scrape (default `/metrics`). */
  path?: string;
  /** Also expose go-micro's `micro_request_total` and `micro_request_duration_seconds` (default true). */
  goMicroNames?: boolean;
  /** `service.name` of the resource (`target_info`); default the SDK's (`unknown_service:node`). */
  serviceName?: string;
}

export interface PrometheusEndpoint {
  /** `http://host:port/path`. */
  readonly url: string;
  readonly port: number;
  /** Stops serving and recording into this endpoint. */
  close(): Promise<void>;
}

export const DEFAULT_PROMETHEUS_PORT = 9464;

interface Exporter {
  getMetricsRequestHandler(request: unknown, response: unknown): void;
}
interface SdkProvider extends ApiMeterProvider {
  shutdown(): Promise<void>;
}
interface Sdk {
  PrometheusExporter: new (config: { preventServerStart: boolean }) => Exporter;
  MeterProvider: new (config: { readers: Exporter[]; resource?: unknown }) => SdkProvider;
  resourceFromAttributes(attributes: Record<string, string>): unknown;
}

const exporterPackage = onFirstUse<{ PrometheusExporter: Sdk['PrometheusExporter'] }>(
  '@opentelemetry/exporter-prometheus',
  'the Prometheus metrics endpoint',
);

/**
 * The exporter, and the SDK and resources packages it is built on (resolved from the exporter's own
 * dependencies, so its MetricReader and the MeterProvider come from one sdk-metrics).
 */
function sdk(): Sdk {
  const { PrometheusExporter } = exporterPackage();
  const from = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/exporter-prometheus'));
  const { MeterProvider } = from('@opentelemetry/sdk-metrics') as Pick<Sdk, 'MeterProvider'>;
  const { resourceFromAttributes } = from('@opentelemetry/resources') as Pick<Sdk, 'resourceFromAttributes'>;
  return { PrometheusExporter, MeterProvider, resourceFromAttributes };
}

/** Starts serving nest-micro's metrics in the Prometheus text format. Rejects if it cannot listen. */
export async function servePrometheus(options: PrometheusOptions = {}): Promise<PrometheusEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const path = '/' + (options.path ?? '/metrics').replace(/^\/+/, '');
  const { PrometheusExporter, MeterProvider, resourceFromAttributes } = sdk();
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    readers: [exporter],
    ...(options.serviceName
      ? { resource: resourceFromAttributes({ 'service.name': options.serviceName }) }
      : {}),
  });
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    const pathname = url.split('?', 1)[0];
    if (pathname === path && (request.method === 'GET' || request.method === 'HEAD'))
      return exporter.getMetricsRequestHandler(request, response);
    response.statusCode = 404;
    response.end();
  });
  try {
    await listen(server, options.port ?? DEFAULT_PROMETHEUS_PORT, host);
  } catch (error) {
    await provider.shutdown().catch(() => {});
    const code = (error as { code?: string }).code ?? String(error);
    throw new Error(
      `nest-micro: the metrics endpoint cannot listen on ${host}:${options.port ?? DEFAULT_PROMETHEUS_PORT}: ${code}`,
      {
        cause: error,
      },
    );
  }
  const detach = attachMeterProvider(provider, { goMicroNames: options.goMicroNames ?? true });
  const port = (server.address() as { port: number }).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}${path}`,
    port,
    close: () =>
      (closing ??= (async () => {
        detach();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await provider.shutdown().catch(() => {});
      })()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
