/**
 * MicroDashboard: the fleet in a browser — `nest-micro web` runs it, `MicroDashboardModule` mounts
 * it in a Nest app. A plain Node request listener (`handle`), like the API gateway, plus `handleUpgrade`
 * for the stream route's WebSocket. Static page and vendor modules (assets.ts) without a token;
 * everything under `api/` after the rate limit and the token (guard.ts): the registry's services and
 * their changes (SSE), each node's Debug.Health and Debug.Stats, a call or a stream to an endpoint
 * the registry lists (nothing else is ever called), publish and subscribe. Failures are go-micro's
 * error JSON with the code as HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { defaultCodecs } from '../core/codec/index.js';
import { Codecs } from '../core/codec/codecs.js';
import { ws } from '../core/drivers.js';
import { MicroError } from '../core/errors/micro-error.js';
import { splitHostPort } from '../core/net/address.js';
import { OwnHttpServer } from '../core/net/own-http-server.js';
import type { Endpoint } from '../core/registry/registry.js';
import { allowMethods, httpStatus, jsonBody, readBody, sendJson } from '../gateway/http-io.js';
import { StaticAssets } from './assets.js';
import { errorJson, fleetHealth, fleetServices, fleetStats, lookupService } from './fleet.js';
import { RegistryFeed, subscribeFeed } from './feeds.js';
import { ApiGuard, isLoopbackHost, LOOPBACK_HOSTS } from './guard.js';
import { DASHBOARD_DEFAULTS, WEB_ERROR_ID, type DashboardOptions } from './options.js';
import { runStreamSocket } from './stream-socket.js';

interface CallBody {
  service?: unknown;
  endpoint?: unknown;
  request?: unknown;
  metadata?: unknown;
  timeout?: unknown;
}

export class MicroDashboard {
  private readonly assets: StaticAssets;
  private readonly guard: ApiGuard;
  private readonly feed: RegistryFeed;
  private readonly codecs = new Codecs(defaultCodecs());
  private readonly maxBodySize: number;
  private readonly maxTimeout: number;
  private readonly nodeTimeout: number;
  private wss?: WebSocketServer;
  private readonly own = new OwnHttpServer(
    (req, res) => this.handle(req, res),
    (req, socket, head) => {
      if (!this.handleUpgrade(req, socket, head))
        refuseUpgrade(socket, MicroError.notFound(WEB_ERROR_ID, 'no WebSocket here'));
    },
  );
  /** Open api/subscribe pages, ended by close() (an open response would hold a server's close). */
  private readonly pages = new Set<ServerResponse>();

  constructor(private readonly options: DashboardOptions) {
    this.assets = new StaticAssets(options.assetsDir);
    this.guard = new ApiGuard(
      options.token,
      options.rateLimit ?? DASHBOARD_DEFAULTS.rateLimit,
      options.allowedHosts,
    );
    this.feed = new RegistryFeed(options.registry);
    this.maxBodySize = options.maxBodySize ?? DASHBOARD_DEFAULTS.maxBodySize;
    this.maxTimeout = options.maxTimeout ?? DASHBOARD_DEFAULTS.maxTimeout;
    this.nodeTimeout = options.nodeTimeout ?? DASHBOARD_DEFAULTS.nodeTimeout;
  }

  /** The Content-Security-Policy every answer carries. */
  get contentSecurityPolicy(): string {
    return this.assets.csp;
  }

  /**
   * Serves one request. `path` is what follows the prefix when a framework mounted the dashboard
   * under one ('' for the prefix itself); by default the request's own path. Never throws.
   */
  readonly handle = (req: IncomingMessage, res: ServerResponse, path?: string): void => {
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const urlPath = mark === -1 ? target : target.slice(0, mark);
    const query = new URLSearchParams(mark === -1 ? '' : target.slice(mark + 1));
    const rest = path ?? urlPath;
    if (rest === '' && !urlPath.endsWith('/')) {
      // the page's URLs are relative: `/dashboard` must become `/dashboard/`
      res.writeHead(308, { Location: `${urlPath}/${mark === -1 ? '' : target.slice(mark)}` }).end();
      return;
    }
    this.serve(req, res, rest.replace(/^\/+/, ''), query).catch((error: unknown) => this.fail(res, error));
  };

  private fail(res: ServerResponse, error: unknown): void {
    const json = errorJson(error);
    if (res.headersSent) {
      res.end();
      return;
    }
    const extra: Record<string, string> = { ...this.assets.securityHeaders(), 'Cache-Control': 'no-store' };
    if (json.code === 413) extra.Connection = 'close';
    sendJson(res, httpStatus(json.code), json, extra);
  }

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    if (!path.startsWith('api/') && path !== 'api') {
      if (this.assets.serve(req, res, path)) return;
      throw MicroError.notFound(WEB_ERROR_ID, `no such page: /${path}`);
    }
    this.guard.check(req, query);
    const route = path.slice('api/'.length).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const only = (...allowed: string[]): void => allowMethods(method, allowed, WEB_ERROR_ID);
    const headers = { ...this.assets.securityHeaders(), 'Cache-Control': 'no-store' };
    const { client, registry } = this.options;
    switch (route) {
      case 'services':
        only('GET', 'HEAD');
        return sendJson(res, 200, { services: await fleetServices(registry) }, headers);
      case 'events':
        only('GET');
        return this.feed.add(res, headers);
      case 'health':
        only('GET', 'HEAD');
        return sendJson(
          res,
          200,
          { nodes: await fleetHealth(client, registry, query.get('service') ?? '', this.nodeTimeout) },
          headers,
        );
      case 'stats':
        only('GET', 'HEAD');
        return sendJson(
          res,
          200,
          await fleetStats(client, registry, query.get('service') ?? '', this.nodeTimeout),
          headers,
        );
      case 'call':
        only('POST');
        return this.call(req, res, headers);
      case 'publish':
        only('POST');
        return this.publish(req, res, headers);
      case 'subscribe': {
        only('GET');
        const topic = query.get('topic');
        if (!topic) throw MicroError.badRequest(WEB_ERROR_ID, 'subscribe: a topic is required (?topic=)');
        if (!this.options.broker) throw MicroError.notFound(WEB_ERROR_ID, 'subscribing needs a broker');
        this.pages.add(res);
        res.once('close', () => this.pages.delete(res));
        return subscribeFeed(res, headers, this.options.broker, this.codecs, topic);
      }
      case 'stream':
        throw MicroError.badRequest(WEB_ERROR_ID, 'api/stream is a WebSocket: send an Upgrade request');
      default:
        throw MicroError.notFound(WEB_ERROR_ID, `no such API: /${path}`);
    }
  }

  /** The endpoint `service`/`endpoint` as the registry lists it; a 404 otherwise. */
  private async endpointOf(service: unknown, endpoint: unknown): Promise<Endpoint> {
    if (typeof service !== 'string' || service === '' || typeof endpoint !== 'string' || endpoint === '')
      throw MicroError.badRequest(WEB_ERROR_ID, 'service and endpoint are required');
    const versions = await lookupService(this.options.registry, service);
    const found = versions.flatMap((v) => v.endpoints).find((e) => e.name === endpoint);
    if (!found || found.metadata?.subscriber === 'true')
      throw MicroError.notFound(
        WEB_ERROR_ID,
        `service ${service} has no endpoint ${endpoint} in the registry`,
      );
    return found;
  }

  private timeoutOf(value: unknown): number | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    const ms = Number(value);
    if (!Number.isFinite(ms) || ms <= 0)
      throw MicroError.badRequest(
        WEB_ERROR_ID,
        `timeout must be a positive number of ms, got ${String(value)}`,
      );
    return Math.min(Math.round(ms), this.maxTimeout);
  }

  private async jsonRequest(req: IncomingMessage): Promise<Record<string, unknown>> {
    // JSON only: a form or text/plain post (which a page of another site may send without asking) is refused
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      throw MicroError.unsupportedMediaType(WEB_ERROR_ID, 'the body must be application/json');
    const body = jsonBody(await readBody(req, this.maxBodySize));
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw MicroError.badRequest(WEB_ERROR_ID, 'the body must be a JSON object');
    return body as Record<string, unknown>;
  }

  private async call(
    req: IncomingMessage,
    res: ServerResponse,
    headers: Record<string, string>,
  ): Promise<void> {
    const body: CallBody = await this.jsonRequest(req);
    const endpoint = await this.endpointOf(body.service, body.endpoint);
    if (endpoint.metadata?.stream === 'true')
      throw MicroError.badRequest(
        WEB_ERROR_ID,
        `${endpoint.name} is a stream endpoint: open api/stream instead`,
      );
    const timeout = this.timeoutOf(body.timeout) ?? this.options.timeout;
    const started = performance.now();
    const reply = await this.options.client.call(body.service as string, endpoint.name, body.request ?? {}, {
      metadata: metadataOf(body.metadata),
      timeout,
    });
    sendJson(res, 200, { reply: reply ?? null, ms: performance.now() - started }, headers);
  }

  private async publish(
    req: IncomingMessage,
    res: ServerResponse,
    headers: Record<string, string>,
  ): Promise<void> {
    const body = await this.jsonRequest(req);
    if (typeof body.topic !== 'string' || body.topic === '')
      throw MicroError.badRequest(WEB_ERROR_ID, 'publish: a topic is required');
    await this.options.broker?.connect();
    await this.options.client.publish(body.topic, body.message ?? null, {
      metadata: metadataOf(body.metadata),
    });
    sendJson(res, 200, { ok: true }, headers);
  }

  /**
   * Takes a WebSocket upgrade for the stream route (`path` as for `handle`); false, with the socket
   * untouched, when the request is not for it (another upgrade handler may want it). A request
   * the route refuses (token, rate, not in the registry) gets its HTTP error before any upgrade.
   */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, path?: string): boolean => {
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const rest = (path ?? (mark === -1 ? target : target.slice(0, mark)))
      .replace(/^\/+/, '')
      .replace(/\/+$/, '');
    if (rest !== 'api/stream') return false;
    const query = new URLSearchParams(mark === -1 ? '' : target.slice(mark + 1));
    this.upgrade(req, socket, head, query).catch((error: unknown) => refuseUpgrade(socket, error));
    return true;
  };

  private async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    query: URLSearchParams,
  ): Promise<void> {
    this.guard.check(req, query);
    const service = query.get('service') ?? '';
    const endpoint = await this.endpointOf(service, query.get('endpoint') ?? '');
    if (endpoint.metadata?.stream !== 'true')
      throw MicroError.badRequest(WEB_ERROR_ID, `${endpoint.name} is not a stream endpoint: use api/call`);
    let metadata: Record<string, string> = {};
    const rawMetadata = query.get('metadata');
    if (rawMetadata) {
      try {
        metadata = metadataOf(JSON.parse(rawMetadata));
      } catch (error) {
        if (error instanceof MicroError) throw error;
        throw MicroError.badRequest(WEB_ERROR_ID, 'metadata must be a JSON object');
      }
    }
    const timeout = this.timeoutOf(query.get('timeout'));
    const { WebSocketServer } = ws();
    const wss = (this.wss ??= new WebSocketServer({ noServer: true, maxPayload: this.maxBodySize }));
    wss.handleUpgrade(req, socket, head, (open) =>
      runStreamSocket(open, this.options.client, { service, endpoint: endpoint.name, metadata, timeout }),
    );
  }

  /** Runs the dashboard on its own HTTP server at "host:port"; resolves with the bound address. */
  async listen(address: string): Promise<string> {
    const { host } = splitHostPort(address);
    if (!this.options.allowedHosts && host !== '' && isLoopbackHost(host))
      this.guard.allowedHosts = new Set(LOOPBACK_HOSTS);
    return this.own.listen(address);
  }

  /** Ends the live feeds and open streams, and stops its own server if it runs one. */
  async close(): Promise<void> {
    this.feed.stop();
    for (const page of this.pages) page.end();
    this.pages.clear();
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    this.wss = undefined;
    await this.own.close();
  }
}

/** Call metadata from a JSON object: string values only (others as JSON text). */
function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw MicroError.badRequest(WEB_ERROR_ID, 'metadata must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** An HTTP error on a socket that asked for an upgrade, then the socket closed. */
function refuseUpgrade(socket: Duplex, error: unknown): void {
  const json = errorJson(error);
  const body = JSON.stringify(json);
  const status = httpStatus(json.code);
  if (socket.writable)
    socket.end(
      `HTTP/1.1 ${status} ${json.status || 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  else socket.destroy();
}
