/**
 * TEMPORARY stand-in for lib/web's MicroDashboard (issue 19, written by the web-server helper) so the
 * browser suite can run before it lands: the contract's HTTP API in the fewest lines. Deleted once
 * MicroDashboard is on main.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { Subject } from 'rxjs';
import { WebSocketServer } from 'ws';
import { toMicroError } from '../../../lib/core/errors/from-unknown.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import type { Service } from '../../../lib/core/registry/registry.js';
import { filterNodes } from '../../../lib/core/selector/filters.js';
import { MicroClient } from '../../../lib/nest/client/micro.client.js';
import { resolveOptions, type MicroOptions } from '../../../lib/nest/options.js';

const ASSETS = join(import.meta.dirname, '../../../lib/web/assets');
const NM = join(import.meta.dirname, '../../../node_modules');
const VENDOR: Record<string, string> = {
  'preact.mjs': 'preact/dist/preact.mjs',
  'preact-hooks.mjs': 'preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'htm/dist/htm.mjs',
  'uplot.mjs': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export interface StubOptions {
  module: MicroOptions;
  token?: string;
}

export class StubDashboard {
  private server?: Server;
  private readonly options;
  private readonly client;
  private readonly csp: string;

  constructor(private readonly stub: StubOptions) {
    this.options = resolveOptions(stub.module, {});
    this.client = new MicroClient(this.options);
    const html = readFileSync(join(ASSETS, 'index.html'), 'utf8');
    const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(map).digest('base64');
    this.csp = `default-src 'self'; script-src 'self' 'sha256-${hash}'; style-src 'self' 'unsafe-inline'; connect-src 'self'`;
  }

  async listen(): Promise<string> {
    await this.options.broker.connect();
    this.server = createServer((req, res) => void this.handle(req, res));
    const wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (this.stub.token && url.searchParams.get('token') !== this.stub.token) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const sends = new Subject<unknown>();
        const sub = this.client
          .stream(url.searchParams.get('service')!, url.searchParams.get('endpoint')!, sends)
          .subscribe({
            next: (data) => ws.send(JSON.stringify({ type: 'message', data })),
            error: (e) => {
              ws.send(JSON.stringify({ type: 'error', error: toMicroError(e, 'micro.web').toJSON() }));
              ws.close();
            },
            complete: () => {
              ws.send(JSON.stringify({ type: 'end' }));
              ws.close();
            },
          });
        ws.on('message', (raw) => {
          const frame = JSON.parse(String(raw)) as { type: string; data?: unknown };
          if (frame.type === 'send') sends.next(frame.data);
          else if (frame.type === 'end') sends.complete();
          else if (frame.type === 'cancel') {
            sub.unsubscribe();
            ws.close();
          }
        });
        ws.on('close', () => sub.unsubscribe());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}/`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    await this.options.broker.disconnect().catch(() => undefined);
  }

  private async services(): Promise<Service[]> {
    const list = await this.options.registry.listServices();
    const full = (await Promise.all(list.map((s) => this.options.registry.getService(s.name)))).flat();
    const seen = new Set<string>();
    return full
      .filter((s) => !seen.has(`${s.name}@${s.version}`) && seen.add(`${s.name}@${s.version}`))
      .toSorted((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    try {
      if (path === '/' || path.startsWith('/assets/') || path.startsWith('/vendor/')) {
        const file =
          path === '/'
            ? join(ASSETS, 'index.html')
            : path.startsWith('/vendor/')
              ? join(NM, VENDOR[path.slice(8)] ?? 'missing')
              : join(ASSETS, path.slice(8));
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'text/plain',
          'content-security-policy': this.csp,
        });
        res.end(readFileSync(file));
        return;
      }
      if (!path.startsWith('/api/')) throw MicroError.notFound('micro.web', 'not found');
      const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? url.searchParams.get('token');
      if (this.stub.token && bearer !== this.stub.token)
        throw MicroError.unauthorized('micro.web', 'token needed');
      const service = url.searchParams.get('service') ?? '';
      switch (path.slice(5)) {
        case 'services':
          return json(res, { services: await this.services() });
        case 'events': {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          const send = async () =>
            res.write(`event: services\ndata: ${JSON.stringify({ services: await this.services() })}\n\n`);
          await send();
          const timer = setInterval(() => void send(), 500);
          req.on('close', () => clearInterval(timer));
          return;
        }
        case 'health': {
          const versions = await this.options.registry.getService(service);
          const nodes = await Promise.all(
            versions.flatMap((s) =>
              s.nodes.map(async (n) => {
                const started = performance.now();
                try {
                  const r = await this.one<{ status: string }>(service, 'Debug.Health', n.id);
                  return {
                    id: n.id,
                    address: n.address,
                    version: s.version,
                    status: r.status === 'ok' || r.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING',
                    ms: performance.now() - started,
                  };
                } catch (e) {
                  return {
                    id: n.id,
                    address: n.address,
                    version: s.version,
                    status: 'UNKNOWN',
                    error: toMicroError(e, 'micro.web').toJSON(),
                    ms: 0,
                  };
                }
              }),
            ),
          );
          return json(res, { nodes });
        }
        case 'stats': {
          const versions = await this.options.registry.getService(service);
          const nodes = await Promise.all(
            versions.flatMap((s) =>
              s.nodes.map(async (n) => {
                try {
                  return {
                    id: n.id,
                    address: n.address,
                    version: s.version,
                    stats: await this.one(service, 'Debug.Stats', n.id),
                  };
                } catch (e) {
                  return {
                    id: n.id,
                    address: n.address,
                    version: s.version,
                    error: toMicroError(e, 'micro.web').toJSON(),
                  };
                }
              }),
            ),
          );
          return json(res, { at: Date.now(), nodes, chaos: { ejected: [], breakers: [] } });
        }
        case 'call': {
          const body = JSON.parse(await readBody(req)) as {
            service: string;
            endpoint: string;
            request: unknown;
            metadata?: Record<string, string>;
            timeout?: number;
          };
          const started = performance.now();
          const reply = await this.client.call(body.service, body.endpoint, body.request, {
            metadata: body.metadata,
            timeout: body.timeout,
          });
          return json(res, { reply, ms: performance.now() - started });
        }
        case 'publish': {
          const body = JSON.parse(await readBody(req)) as {
            topic: string;
            message: unknown;
            metadata?: Record<string, string>;
          };
          await this.client.publish(body.topic, body.message, { metadata: body.metadata });
          return json(res, { ok: true });
        }
        case 'subscribe': {
          const topic = url.searchParams.get('topic') ?? '';
          const sub = await this.options.broker.subscribe(topic, (event) => {
            res.write(
              `event: message\ndata: ${JSON.stringify({ topic, metadata: event.message.header, message: JSON.parse(event.message.body.toString()), at: Date.now() })}\n\n`,
            );
          });
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          res.write(': subscribed\n\n');
          req.on('close', () => void sub.unsubscribe());
          return;
        }
        default:
          throw MicroError.notFound('micro.web', `no route ${path}`);
      }
    } catch (error) {
      const e = toMicroError(error, 'micro.web');
      if (!res.headersSent) res.writeHead(e.code || 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(e.toJSON()));
    }
  }

  private one<T>(service: string, endpoint: string, id: string): Promise<T> {
    return this.client.call<T>(
      service,
      endpoint,
      {},
      { retries: 0, timeout: 3_000, filters: [(s) => filterNodes(s, (n) => n.id === id)] },
    );
  }
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
