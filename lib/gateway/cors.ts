/**
 * Cross-origin resource sharing for browser callers: the Access-Control-* headers of an allowed
 * origin on every answer, and the preflight (OPTIONS with Access-Control-Request-Method) answered
 * with 204 before any route or auth runs. An origin that is not allowed gets no CORS headers (the
 * browser then refuses to read the answer) and its preflight a 403.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOptions } from './options.js';

const METHODS = 'GET, POST, OPTIONS';
const EXPOSED = 'Content-Type, Content-Length';

export class Cors {
  private readonly options: CorsOptions;

  constructor(options: boolean | CorsOptions | undefined) {
    this.options = options === true ? {} : options || {};
    this.enabled = options !== undefined && options !== false;
  }

  readonly enabled: boolean;

  private allowed(origin: string): boolean {
    const origins = this.options.origins ?? '*';
    if (origins === '*') return true;
    if (typeof origins === 'function') return origins(origin);
    return origins.includes(origin);
  }

  /**
   * Sets the CORS headers for this request; answers a preflight itself and returns true when it
   * did (the request is then done).
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (!this.enabled || origin === undefined) return false;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!this.allowed(origin)) {
      if (!preflight) return false;
      res.writeHead(403, { 'Content-Length': 0 }).end();
      return true;
    }
    const credentials = this.options.credentials === true;
    res.setHeader(
      'Access-Control-Allow-Origin',
      credentials || this.options.origins !== undefined ? origin : '*',
    );
    res.setHeader('Vary', 'Origin');
    if (credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (!preflight) {
      res.setHeader('Access-Control-Expose-Headers', EXPOSED);
      return false;
    }
    const asked = req.headers['access-control-request-headers'];
    const headers = this.options.headers?.join(', ') ?? asked;
    res.setHeader('Access-Control-Allow-Methods', METHODS);
    if (headers) res.setHeader('Access-Control-Allow-Headers', headers);
    res.setHeader('Access-Control-Max-Age', String(this.options.maxAge ?? 600));
    res.writeHead(204, { 'Content-Length': 0 }).end();
    return true;
  }
}
