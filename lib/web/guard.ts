/**
 * What every dashboard API request passes first: the per-client-IP rate limit (a token bucket per
 * address, lib/core/token-bucket.ts; 429 past it) and, when a token is configured, the bearer token
 * (`Authorization: Bearer <token>`, or `?token=` for EventSource and WebSocket, which cannot set
 * headers; 401 otherwise, compared in constant time), and the browser's own word on where it comes
 * from: a request whose `Origin` is not the dashboard's own (another site's page posting to it, or
 * opening a WebSocket, which browsers allow across origins) is a 403, as is a `Host` the dashboard
 * was not told it answers to (DNS rebinding; on loopback only the loopback names by default).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MicroError } from '../core/errors/micro-error.js';
import { TokenBucket, type RateLimit } from '../core/token-bucket.js';
import { WEB_ERROR_ID } from './options.js';

/** Buckets kept before idle ones are dropped (a bound on memory, not a policy). */
const MAX_BUCKETS = 10_000;

export class ApiGuard {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly token?: Buffer;

  /** Host names the Host header may carry; undefined: any. */
  allowedHosts?: ReadonlySet<string>;

  constructor(
    token: string | undefined,
    private readonly limit: RateLimit | false,
    allowedHosts?: readonly string[],
  ) {
    if (token !== undefined && token !== '') this.token = Buffer.from(token);
    if (allowedHosts) this.allowedHosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  }

  /** Throws the 429, 403 or 401 the request earns; returns when it may go on. */
  check(req: IncomingMessage, query: URLSearchParams): void {
    this.rate(req);
    this.origin(req);
    this.auth(req, query);
  }

  /** Same origin only: the Origin header (when the browser sends one) names this Host. */
  private origin(req: IncomingMessage): void {
    const host = (req.headers.host ?? '').toLowerCase();
    if (this.allowedHosts && !this.allowedHosts.has(hostnameOf(host) ?? ''))
      throw MicroError.forbidden(
        WEB_ERROR_ID,
        `Host ${host || '(none)'} is not one the dashboard answers to`,
      );
    const origin = req.headers.origin;
    if (origin === undefined) return; // not a browser, or a same-origin GET
    let from: string;
    try {
      from = new URL(origin).host.toLowerCase();
    } catch {
      from = '';
    }
    if (from === '' || from !== host)
      throw MicroError.forbidden(WEB_ERROR_ID, `requests from ${origin} are not allowed (same origin only)`);
  }

  private rate(req: IncomingMessage): void {
    if (this.limit === false) return;
    const ip = req.socket.remoteAddress ?? 'unknown';
    let bucket = this.buckets.get(ip);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      this.buckets.set(ip, (bucket = new TokenBucket(this.limit.rate, this.limit.burst)));
    }
    if (!bucket.take())
      throw new MicroError(
        WEB_ERROR_ID,
        `rate limit: more than ${this.limit.rate} requests a second from ${ip}`,
        429,
      );
  }

  private auth(req: IncomingMessage, query: URLSearchParams): void {
    if (!this.token) return;
    const header = req.headers.authorization;
    const bearer = header && /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const given = bearer || query.get('token');
    if (!given)
      throw MicroError.unauthorized(WEB_ERROR_ID, 'a token is required (Authorization: Bearer <token>)');
    const bytes = Buffer.from(given);
    if (bytes.length !== this.token.length || !timingSafeEqual(bytes, this.token))
      throw MicroError.unauthorized(WEB_ERROR_ID, 'the token is not valid');
  }
}

/** The loopback names a dashboard bound to loopback answers to by default. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** The host name of a Host header value (port and IPv6 brackets removed). */
function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
