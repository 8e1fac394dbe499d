/**
 * The gateway's bearer-token check against endpoint scopes, as go-micro's gateway does it: an
 * endpoint whose registry metadata declares `scopes` ("billing.read,billing.admin") needs a token
 * granting one of them (or `*`); no token or an unknown one is a 401, a token without the scope a
 * 403. With `required`, every call needs a valid token. The token is passed on to the service in the
 * Authorization metadata, so the service may check it again.
 */
import type { IncomingMessage } from 'node:http';
import { MicroError } from '../core/errors/micro-error.js';
import type { Endpoint } from '../core/registry/registry.js';
import { GATEWAY_ERROR_ID } from './http-io.js';
import type { GatewayAuthOptions } from './options.js';

/** The scopes an endpoint's metadata requires (empty: none). */
export function endpointScopes(endpoint: Endpoint | undefined): string[] {
  const raw = endpoint?.metadata?.scopes;
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

export class GatewayAuth {
  constructor(private readonly options: GatewayAuthOptions | false | undefined) {}

  /** Resolves when the request may call `endpoint` of `service`; rejects with a 401 or 403. */
  async check(req: IncomingMessage, service: string, endpoint: Endpoint | undefined): Promise<void> {
    const options = this.options;
    if (options === false) return;
    const required = endpointScopes(endpoint);
    const name = `${service}.${endpoint?.name ?? ''}`;
    if (required.length === 0 && !options?.required) return;
    const token = bearer(req);
    if (!options || (!options.tokens && !options.verify))
      throw MicroError.unauthorized(
        GATEWAY_ERROR_ID,
        `${name} requires scope ${required.join(' or ')}; the gateway has no token verification configured`,
      );
    if (token === undefined)
      throw MicroError.unauthorized(
        GATEWAY_ERROR_ID,
        `${name}: missing bearer token (Authorization: Bearer …)`,
      );
    const granted =
      options.tokens && Object.hasOwn(options.tokens, token)
        ? options.tokens[token]
        : await options.verify?.(token, req);
    if (!granted) throw MicroError.unauthorized(GATEWAY_ERROR_ID, `${name}: invalid bearer token`);
    if (required.length === 0 || granted.includes('*') || required.some((s) => granted.includes(s))) return;
    throw MicroError.forbidden(
      GATEWAY_ERROR_ID,
      `${name}: insufficient scopes, requires ${required.join(' or ')}`,
    );
  }
}
