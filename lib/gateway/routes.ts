/**
 * URL → route, as go-micro maps them so the same URLs work in front of a mixed fleet:
 *   /api/{service}/{Svc.Method} and /api/{service}/{Svc}/{Method}   (micro's gateway)
 *   /{service}/{Svc.Method}, or /{service} with a Micro-Endpoint header  (`micro api`)
 *   /publish/{topic} and /micro/broker/{topic}                         (publish)
 *   /micro/registry[/{service}], /health, /openapi.json
 * Names are checked here (a path that is not a plausible name is no route: 404), never trusted as
 * addresses: the gateway only calls what the registry lists.
 */
export type Route =
  | { kind: 'call'; service: string; endpoint: string }
  | { kind: 'publish'; topic: string }
  | { kind: 'services' }
  | { kind: 'service'; service: string }
  | { kind: 'health' }
  | { kind: 'openapi' }
  | { kind: 'none'; reason: string };

const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const ENDPOINT = /^[A-Za-z_][A-Za-z0-9_]{0,99}\.[A-Za-z_][A-Za-z0-9_]{0,99}$/;
const TOPIC = /^[A-Za-z0-9][A-Za-z0-9._:*>-]{0,199}$/;

/** The decoded, non-empty segments of a path; undefined when one is not valid percent-encoding. */
export function segments(path: string): string[] | undefined {
  try {
    return path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function call(service: string, endpoint: string): Route {
  if (!SERVICE.test(service)) return { kind: 'none', reason: `"${service}" is not a service name` };
  if (!ENDPOINT.test(endpoint))
    return { kind: 'none', reason: `"${endpoint}" is not an endpoint name (Service.Method)` };
  return { kind: 'call', service, endpoint };
}

/**
 * The route of `path` (no query string). `endpointHeader` is the request's Micro-Endpoint header,
 * which names the endpoint on `micro api`'s short paths.
 */
export function route(path: string, endpointHeader?: string): Route {
  const parts = segments(path);
  if (!parts) return { kind: 'none', reason: 'the path is not valid percent-encoding' };
  const [first, second, third, fourth] = parts;
  if (first === undefined) return { kind: 'services' };
  if (parts.length === 1 && first === 'health') return { kind: 'health' };
  if (parts.length === 1 && first === 'openapi.json') return { kind: 'openapi' };
  if (first === 'api') {
    if (second === undefined) return { kind: 'services' };
    if (third === undefined) return { kind: 'none', reason: 'expected /api/{service}/{Service.Method}' };
    if (parts.length > 4) return { kind: 'none', reason: 'expected /api/{service}/{Service.Method}' };
    return call(second, fourth === undefined ? third : `${third}.${fourth}`);
  }
  if (first === 'publish' || (first === 'micro' && second === 'broker')) {
    const topic = first === 'publish' ? parts.slice(1).join('/') : parts.slice(2).join('/');
    if (!TOPIC.test(topic)) return { kind: 'none', reason: `"${topic}" is not a topic name` };
    return { kind: 'publish', topic };
  }
  if (first === 'micro' && second === 'registry') {
    if (third === undefined) return { kind: 'services' };
    if (parts.length > 3 || !SERVICE.test(third)) return { kind: 'none', reason: 'no such path' };
    return { kind: 'service', service: third };
  }
  if (first === 'micro') return { kind: 'none', reason: 'no such path' };
  // micro api: /{service}/{endpoint}, the endpoint also from the Micro-Endpoint header
  if (parts.length > 2) return { kind: 'none', reason: 'no such path' };
  const endpoint = endpointHeader || second;
  if (endpoint === undefined) {
    if (!SERVICE.test(first)) return { kind: 'none', reason: `"${first}" is not a service name` };
    return { kind: 'service', service: first };
  }
  return call(first, endpoint);
}
