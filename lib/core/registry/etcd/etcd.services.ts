/**
 * go-micro's etcd key layout and value encoding (registry/etcd/etcd.go): one key per node,
 * `<prefix><service>/<node id>` with "/" in either part replaced by "-", holding the JSON of a
 * registry.Service with that one node (go-micro's field names and order, Go's null for absent
 * values). Decoding never throws: a value that is not a go-micro service is skipped, as Go skips it.
 */
import { posix } from 'node:path';
import { toEndpoint, toStringMap } from '../encoding.js';
import type { Endpoint, Node, Service, Value } from '../registry.js';

const dashes = (s: string): string => s.replaceAll('/', '-');

/** `<prefix><service>` (go-micro's servicePath, path.Join-cleaned). */
export function servicePath(prefix: string, service: string): string {
  return posix.join(prefix, dashes(service));
}

/** `<prefix><service>/<node>` (go-micro's nodePath). */
export function nodePath(prefix: string, service: string, nodeId: string): string {
  return posix.join(prefix, dashes(service), dashes(nodeId));
}

function valueJson(v: Value | undefined): unknown {
  if (!v) return null;
  return { name: v.name, type: v.type, values: v.values ? v.values.map(valueJson) : null };
}

function endpointJson(e: Endpoint): unknown {
  return {
    request: valueJson(e.request),
    response: valueJson(e.response),
    metadata: e.metadata ?? {},
    name: e.name,
  };
}

/** The value go-micro's encode() writes for one node of `service`. */
export function encodeNode(service: Service, node: Node): string {
  return JSON.stringify({
    name: service.name,
    version: service.version,
    metadata: service.metadata ?? {},
    endpoints: service.endpoints.map(endpointJson),
    nodes: [{ metadata: node.metadata ?? {}, id: node.id, address: node.address }],
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function toNode(v: unknown): Node | undefined {
  if (!isObject(v) || typeof v.id !== 'string' || !v.id || typeof v.address !== 'string') return undefined;
  return { id: v.id, address: v.address, metadata: toStringMap(v.metadata) };
}

/** A stored value as a Service (its nodes as written), or undefined for anything else. */
export function decodeValue(raw: Buffer | string | undefined | null): Service | undefined {
  if (raw === undefined || raw === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || typeof parsed.name !== 'string' || !parsed.name) return undefined;
  const nodes = Array.isArray(parsed.nodes)
    ? parsed.nodes.map(toNode).filter((n): n is Node => n !== undefined)
    : [];
  if (nodes.length === 0) return undefined;
  return {
    name: parsed.name,
    version: typeof parsed.version === 'string' ? parsed.version : '',
    metadata: toStringMap(parsed.metadata),
    endpoints: Array.isArray(parsed.endpoints)
      ? parsed.endpoints.map(toEndpoint).filter((e): e is Endpoint => e !== undefined)
      : [],
    nodes,
  };
}

/**
 * Values → one Service per `keyOf` group (name+version for listings, version for one service):
 * the first value of a group gives its metadata and endpoints, every value adds its nodes.
 */
export function groupServices(services: Iterable<Service>, keyOf: (s: Service) => string): Service[] {
  const groups = new Map<string, Service>();
  for (const s of services) {
    const key = keyOf(s);
    const group = groups.get(key);
    if (group) group.nodes.push(...s.nodes);
    else groups.set(key, { ...s, nodes: [...s.nodes] });
  }
  return [...groups.values()];
}
