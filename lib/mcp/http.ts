/**
 * MCP over Streamable HTTP (spec 2025-11-25, "Transports") for remote agents: one Node HTTP listener
 * (127.0.0.1 by default) serving one path (`/mcp`), a session per client (the SDK's
 * StreamableHTTPServerTransport, stateful, `Mcp-Session-Id`), each an MCP session of the one
 * MicroMcpServer. Before the SDK sees a request: the Host and Origin headers are checked against
 * the allowed host names (DNS rebinding; the loopback names by default when bound to loopback), and,
 * when auth is configured, `Authorization: Bearer <token>` must name a known account (else 401 with
 * `WWW-Authenticate: Bearer`); the account rides on the request to the tool-call checks. Sessions
 * are bounded: idle ones close after `idleTimeout`, and past `maxSessions` the least recently used
 * idle one makes room (none idle: a 503). Bodies are bounded by the SDK (`maxBodySize`, 413).
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { loggerFor } from '../core/logger.js';
import type { MicroMcpServer } from './mcp.server.js';

const logger = loggerFor('McpServer');

export interface McpHttpOptions {
  /** Interface to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** Port (default 0: any free port; see the returned `url`). */
  port?: number;
  /** The MCP endpoint's path (default `/mcp`). */
  path?: string;
  /**
   * Host names the Host and Origin headers may carry. Default: `localhost`, `127.0.0.1` and `::1`
   * when bound to a loopback address, else no check (say which names your agents use).
   */
  allowedHosts?: string[];
  /**
   * Sessions at most (default 256). A new one past it takes the place of the least recently used
   * session with no request in progress (an agent gone without ending its session), else gets a 503.
   */
  maxSessions?: number;
  /** A session with no request in progress for this long is closed, ms (default 30 minutes). */
  idleTimeout?: number;
  /** Largest request body, bytes (default 4 MiB); larger ones get a 413. */
  maxBodySize?: number;
}

export interface McpHttpServer {
  /** `http://host:port/path`, the URL agents connect to. */
  url: string;
  address: AddressInfo;
  /** Ends every session and stops listening. */
  close(): Promise<void>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The host name of a Host header value or an Origin URL (brackets of IPv6 removed); undefined if unparsable. */
function hostnameOf(value: string, isUrl: boolean): string | undefined {
  try {
    return new URL(isUrl ? value : `http://${value}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

function rpcError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export async function serveMcpHttp(
  mcp: MicroMcpServer,
  options: McpHttpOptions = {},
): Promise<McpHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const maxSessions = options.maxSessions ?? 256;
  const allowed = options.allowedHosts ?? (isLoopback(host) ? LOOPBACK_NAMES : undefined);
  const allowedSet = allowed && new Set(allowed.map((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1')));

  /** A refusal (status, message, headers) before the SDK sees the request, or undefined. */
  const screen = (
    req: IncomingMessage & { auth?: AuthInfo },
  ): [number, string, Record<string, string>?] | undefined => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== path)
      return [404, `Not Found: MCP is served at ${path}`];
    if (allowedSet) {
      const hostName = hostnameOf(req.headers.host ?? '', false);
      if (!hostName || !allowedSet.has(hostName.toLowerCase())) return [403, 'Forbidden: Host not allowed'];
      const origin = req.headers.origin;
      if (origin !== undefined) {
        const originName = hostnameOf(origin, true);
        if (!originName || !allowedSet.has(originName.toLowerCase()))
          return [403, 'Forbidden: Origin not allowed'];
      }
    }
    if (mcp.authRequired) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const account = mcp.account(match?.[1]);
      if (!match || !account)
        return [401, 'Unauthorized: a valid bearer token is required', { 'WWW-Authenticate': 'Bearer' }];
      req.auth = { token: match[1]!, clientId: account.id, scopes: [...account.scopes] };
    }
    return undefined;
  };

  /** A session's transport, its requests in progress (an open SSE stream is one) and when it was last used. */
  interface Session {
    transport: StreamableHTTPServerTransport;
    inFlight: number;
    lastSeen: number;
  }
  const sessions = new Map<string, Session>();

  /** Counts the request against the session until its response ends (or its client goes). */
  const track = (session: Session, res: ServerResponse): void => {
    session.inFlight++;
    session.lastSeen = Date.now();
    res.once('close', () => {
      session.inFlight--;
      session.lastSeen = Date.now();
    });
  };

  /** Closes sessions with nothing in progress and unused since `before`, oldest first, up to `count`. */
  const closeIdle = async (before: number, count = Infinity): Promise<number> => {
    const idle = [...sessions.values()]
      .filter((s) => s.inFlight === 0 && s.lastSeen <= before)
      .toSorted((a, b) => a.lastSeen - b.lastSeen)
      .slice(0, count);
    await Promise.allSettled(idle.map((s) => s.transport.close()));
    return idle.length;
  };

  const handle = async (req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse): Promise<void> => {
    const refused = screen(req);
    if (refused) return rpcError(res, ...refused);
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return rpcError(res, 404, 'Session not found');
      track(session, res);
      return session.transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return rpcError(res, 400, 'Bad Request: no valid session ID');
    // full: the least recently used idle session (a client gone without DELETE) makes room
    if (sessions.size >= maxSessions && (await closeIdle(Date.now(), 1)) === 0)
      return rpcError(res, 503, `Service Unavailable: ${maxSessions} sessions in use`);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, session),
      maxRequestBodySize: options.maxBodySize,
    });
    const session: Session = { transport, inFlight: 0, lastSeen: Date.now() };
    // oxlint-disable-next-line unicorn/prefer-add-event-listener -- the SDK's transports and servers take handlers as properties
    transport.onclose = () => {
      if (transport.sessionId && sessions.get(transport.sessionId) === session)
        sessions.delete(transport.sessionId);
    };
    await mcp.connect(transport);
    track(session, res);
    await transport.handleRequest(req, res);
    // not an initialize request: the SDK answered 400 and no session began
    if (!transport.sessionId) await transport.close();
  };

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.warn(`MCP HTTP request failed: ${String(error)}`);
      rpcError(res, 500, 'Internal Server Error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const idleTimeout = options.idleTimeout ?? 30 * 60_000;
  const sweeper = setInterval(
    () => void closeIdle(Date.now() - idleTimeout),
    Math.min(idleTimeout, 60_000),
  ).unref();
  const address = http.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}${path}`,
    address,
    close: async () => {
      clearInterval(sweeper);
      await Promise.allSettled([...sessions.values()].map((s) => s.transport.close()));
      sessions.clear();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
