/**
 * What every dashboard API request passes first: the per-client-IP rate limit (a token bucket per
 * address, lib/core/token-bucket.ts; 429 past it) and, when a token is configured, the bearer token
 * (`Authorization: Bearer <token>`, or `?token=` for EventSource and WebSocket, which cannot set
 * headers; 401 otherwise, compared in constant time).
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

  constructor(
    token: string | undefined,
    private readonly limit: RateLimit | false,
  ) {
    if (token !== undefined && token !== '') this.token = Buffer.from(token);
  }

  /** Throws the 429 or 401 the request earns; returns when it may go on. */
  check(req: IncomingMessage, query: URLSearchParams): void {
    this.rate(req);
    this.auth(req, query);
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
