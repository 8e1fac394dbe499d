/**
 * MicroGateway: HTTP requests in, RPC calls out, through the library's own client (discovery,
 * selection, retries, breakers, the caller's deadline) — the Node counterpart of go-micro's API
 * gateway. `handle(req, res)` is a plain Node request listener (the CLI's server, Express and Nest
 * mount it as it is); `listen(address)` runs it on its own server. Per request: CORS → route →
 * registry lookup (an unknown service or endpoint is a 404, and nothing outside the registry is
 * ever called) → bearer-token scopes → body (size-limited) → validation against the endpoint's
 * field tree → the call (or an SSE stream, or a publish) → the reply as JSON, a failure as
 * go-micro's error JSON with its code as the HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { from } from 'rxjs';
import { MicroError } from '../core/errors/micro-error.js';
import { loggerFor } from '../core/logger.js';
import { OwnHttpServer } from '../core/net/own-http-server.js';
import type { Endpoint, Service } from '../core/registry/registry.js';
import { GatewayAuth } from './auth.js';
import { Cors } from './cors.js';
import {
  allowMethods,
  askRegistry,
  GATEWAY_ERROR_ID,
  jsonBody,
  readBody,
  sendError,
  sendJson,
  type Body,
} from './http-io.js';
import { openapiDocument } from './openapi.js';
import { GATEWAY_DEFAULTS, type GatewayOptions } from './options.js';
import { headerMetadata, requestTimeout } from './request-metadata.js';
import { route as routeOf, type Route } from './routes.js';
import { pipeSse } from './sse.js';
import { fromQuery, validateRequest } from './validate.js';

const logger = loggerFor('MicroGateway');

interface Found {
  service: Service;
  endpoint: Endpoint;
}

export class MicroGateway {
  private readonly cors: Cors;
  private readonly auth: GatewayAuth;
  private readonly maxBodySize: number;
  private readonly maxTimeout: number;
  private readonly own = new OwnHttpServer((req, res) => this.handle(req, res));

  constructor(private readonly options: GatewayOptions) {
    this.cors = new Cors(options.cors);
    this.auth = new GatewayAuth(options.auth);
    this.maxBodySize = options.maxBodySize ?? GATEWAY_DEFAULTS.maxBodySize;
    this.maxTimeout = options.maxTimeout ?? GATEWAY_DEFAULTS.maxTimeout;
  }

  /**
   * Serves one request. `path` overrides the request's own (a framework that mounted the gateway
   * under a prefix passes what follows it). Never throws: every failure is an answer.
   */
  readonly handle = (req: IncomingMessage, res: ServerResponse, path?: string): void => {
    const started = Date.now();
    let reported: { route: Route; status?: number } = { route: { kind: 'none', reason: '' } };
    res.once('close', () => {
      const r = reported.route;
      const event = {
        route: r.kind,
        service: r.kind === 'call' ? r.service : undefined,
        endpoint: r.kind === 'call' ? r.endpoint : undefined,
        status: reported.status ?? res.statusCode,
        duration: Date.now() - started,
      };
      try {
        this.options.onResponse?.(event);
      } catch (error) {
        logger.warn(`onResponse hook failed: ${String(error)}`);
      }
    });
    if (this.cors.apply(req, res)) return;
    // the request target split by hand: a URL parser would read `//name/...` as a host
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const query = new URLSearchParams(mark === -1 ? '' : target.slice(mark + 1));
    const route = routeOf(
      path ?? (mark === -1 ? target : target.slice(0, mark)),
      header(req, 'micro-endpoint'),
    );
    reported = { route };
    this.serve(route, req, res, query).then(
      (status) => (reported.status = status),
      (error: unknown) => {
        const extra: Record<string, string> = {};
        if (error instanceof MicroError && error.code === 413) extra.Connection = 'close';
        reported.status = sendError(res, error, extra);
      },
    );
  };

  private async serve(
    route: Route,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<number> {
    const method = req.method ?? 'GET';
    const only = (...allowed: string[]): void => allowMethods(method, allowed, GATEWAY_ERROR_ID);
    switch (route.kind) {
      case 'none':
        throw MicroError.notFound(GATEWAY_ERROR_ID, `no route: ${route.reason}`);
      case 'health':
        only('GET', 'HEAD');
        sendJson(res, 200, { status: 'ok' });
        return 200;
      case 'openapi':
        only('GET', 'HEAD');
        sendJson(
          res,
          200,
          await this.registry(() =>
            openapiDocument(this.options.registry, this.options.openapi, this.options.basePath),
          ),
        );
        return 200;
      case 'services':
        only('GET', 'HEAD');
        sendJson(res, 200, await this.listServices());
        return 200;
      case 'service': {
        only('GET', 'HEAD');
        const [service] = await this.lookup(route.service);
        sendJson(res, 200, {
          name: service!.name,
          version: service!.version,
          endpoints: service!.endpoints.map((e) => ({ name: e.name, metadata: e.metadata })),
          nodes: service!.nodes.length,
        });
        return 200;
      }
      case 'publish':
        only('POST');
        return this.publish(route.topic, req, res);
      case 'call':
        only('GET', 'POST');
        return this.call(route.service, route.endpoint, req, res, query);
    }
  }

  private async listServices(): Promise<Array<{ name: string; endpoints: string[] }>> {
    const listed = await this.registry(() => this.options.registry.listServices());
    const names = [...new Set(listed.map((s) => s.name))].toSorted();
    const found = await Promise.all(
      names.map((n) => this.registry(() => this.options.registry.getService(n))),
    );
    return names.map((name, i) => ({
      name,
      endpoints: [...new Set((found[i] ?? []).flatMap((s) => s.endpoints.map((e) => e.name)))],
    }));
  }

  private registry<T>(ask: () => Promise<T>): Promise<T> {
    return askRegistry(ask, GATEWAY_ERROR_ID);
  }

  /** The versions of a service the registry lists; a 404 when there are none. */
  private async lookup(name: string): Promise<Service[]> {
    const services = await this.registry(() => this.options.registry.getService(name));
    if (services.length === 0) throw MicroError.notFound(GATEWAY_ERROR_ID, `service ${name} not found`);
    return services;
  }

  private async find(name: string, endpoint: string): Promise<Found> {
    const services = await this.lookup(name);
    for (const service of services) {
      const found = service.endpoints.find((e) => e.name === endpoint);
      if (found) return { service, endpoint: found };
    }
    throw MicroError.notFound(GATEWAY_ERROR_ID, `service ${name} has no endpoint ${endpoint}`);
  }

  private async call(
    name: string,
    endpointName: string,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<number> {
    const { endpoint } = await this.find(name, endpointName);
    if (endpoint.metadata?.subscriber === 'true')
      throw MicroError.notFound(GATEWAY_ERROR_ID, `${name}.${endpointName} is a subscriber, not an endpoint`);
    await this.auth.check(req, name, endpoint);
    const timeout = requestTimeout(req.headers.timeout, this.maxTimeout);
    const metadata = headerMetadata(req.headers);
    const stream = endpoint.metadata?.stream === 'true';
    const body: Body = req.method === 'GET' ? { kind: 'none' } : await readBody(req, this.maxBodySize);
    if (stream) {
      const requests = this.streamRequests(req, body, query, endpoint);
      const replies = this.options.client.stream(name, endpointName, from(requests), { metadata, timeout });
      return pipeSse(res, replies);
    }
    const request = req.method === 'GET' ? fromQuery(query, endpoint.request) : (jsonBody(body) ?? {});
    validateRequest(endpointName, endpoint.request, request);
    const reply = await this.options.client.call(name, endpointName, request, {
      metadata,
      timeout: timeout ?? this.options.timeout,
    });
    sendJson(res, 200, reply ?? {});
    return 200;
  }

  /**
   * A stream's requests: the body (one JSON document), each line of an `application/x-ndjson`
   * body, or a GET's query; each validated before the stream opens.
   */
  private streamRequests(
    req: IncomingMessage,
    body: Body,
    query: URLSearchParams,
    endpoint: Endpoint,
  ): unknown[] {
    let requests: unknown[];
    if (req.method === 'GET') requests = [fromQuery(query, endpoint.request)];
    else if (body.kind === 'raw' && /^application\/x-ndjson\b/i.test(header(req, 'content-type') ?? ''))
      requests = body.bytes
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => jsonBody({ kind: 'raw', bytes: Buffer.from(line) }));
    else requests = [jsonBody(body) ?? {}];
    for (const r of requests) validateRequest(endpoint.name, endpoint.request, r);
    return requests;
  }

  private async publish(topic: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (this.options.publish === false)
      throw MicroError.notFound(GATEWAY_ERROR_ID, 'publishing is turned off');
    await this.auth.check(req, 'publish', undefined);
    const body = jsonBody(await readBody(req, this.maxBodySize));
    if (body === undefined)
      throw MicroError.badRequest(GATEWAY_ERROR_ID, `publish to ${topic}: the body is empty`);
    await this.options.client.publish(topic, body, { metadata: headerMetadata(req.headers) });
    sendJson(res, 200, { status: 'ok', topic });
    return 200;
  }

  /** Runs the gateway on its own HTTP server at "host:port"; resolves with the bound address. */
  listen(address: string): Promise<string> {
    return this.own.listen(address);
  }

  /** Stops its own server: no new requests, open streams and idle connections closed. */
  close(): Promise<void> {
    return this.own.close();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
