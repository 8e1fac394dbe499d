/**
 * Conversions between registry Services and Consul's shapes with go-micro's encoding: a node becomes
 * an agent service registration (ID = node id, tags t-/e-/v-, Meta, TTL check); health entries
 * become Services grouped by version, dropping every node with a critical check.
 */
import { decodeEndpointTags, decodeMetadataTags, decodeVersionTag, encodeTags } from '../encoding.js';
import type { Node, Service } from '../registry.js';
import { joinHostPort, splitHostPort } from '../../net/address.js';

/** What /v1/agent/service/register takes (consul client's lower-case option names). */
export interface ConsulRegistration {
  id: string;
  name: string;
  tags: string[];
  address: string;
  port: number;
  meta: Record<string, string>;
  check?: { ttl: string; status: string; deregistercriticalserviceafter: string; notes?: string };
}

/** One entry of /v1/health/service/<name> (only the fields we read). */
export interface HealthEntry {
  Node?: { Node?: string; Address?: string };
  Service?: {
    ID?: string;
    Service?: string;
    Tags?: string[] | null;
    Address?: string;
    Port?: number;
    Meta?: Record<string, string> | null;
  };
  Checks?: Array<{ Status?: string }> | null;
}

/** Consul Meta keys must match this and stay within limits; the tags carry all metadata anyway. */
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;
function consulMeta(metadata: Record<string, string>): Record<string, string> {
  const meta: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(metadata)) {
    if (n >= 64 || !META_KEY.test(k) || k.startsWith('consul-') || v.length > 512) continue;
    meta[k] = v;
    n++;
  }
  return meta;
}

/** go-micro's getDeregisterTTL: ttl + 5 s, at least 1 m 5 s. */
export function deregisterAfterSeconds(ttlMs: number): number {
  return Math.max(60, Math.ceil(ttlMs / 1000)) + 5;
}

export function toRegistration(service: Service, node: Node, ttlMs?: number): ConsulRegistration {
  const { host, port } = splitHostPort(node.address);
  const registration: ConsulRegistration = {
    id: node.id,
    name: service.name,
    tags: encodeTags(node.metadata, service.endpoints, service.version),
    address: host,
    port,
    meta: consulMeta(node.metadata),
  };
  if (ttlMs && ttlMs > 0)
    registration.check = {
      ttl: `${Math.max(1, Math.ceil(ttlMs / 1000))}s`,
      status: 'passing',
      deregistercriticalserviceafter: `${deregisterAfterSeconds(ttlMs)}s`,
      notes: 'nest-micro TTL check: passed on every re-register',
    };
  return registration;
}

/** Health entries → one Service per version; nodes with any critical check are left out. */
export function fromHealthEntries(name: string, entries: readonly HealthEntry[]): Service[] {
  const versions = new Map<string, Service>();
  for (const entry of entries) {
    const s = entry.Service;
    if (!s?.ID || (s.Service && s.Service !== name)) continue;
    if ((entry.Checks ?? []).some((c) => c.Status === 'critical')) continue;
    const tags = s.Tags ?? [];
    const version = decodeVersionTag(tags) ?? '';
    let service = versions.get(version);
    if (!service) {
      service = { name, version, metadata: {}, endpoints: decodeEndpointTags(tags), nodes: [] };
      versions.set(version, service);
    }
    const metadata = decodeMetadataTags(tags);
    const host = s.Address || entry.Node?.Address || '';
    service.nodes.push({
      id: s.ID,
      address: joinHostPort(host, s.Port ?? 0),
      metadata: Object.keys(metadata).length ? metadata : { ...s.Meta },
    });
  }
  return [...versions.values()];
}

/** Catalog listing (name → union of tags) → name/version pairs. */
export function fromCatalogList(list: Record<string, string[] | null>): Service[] {
  const out: Service[] = [];
  for (const [name, tags] of Object.entries(list)) {
    if (name === 'consul') continue;
    const versions = new Set<string>();
    for (const tag of tags ?? []) {
      const v = decodeVersionTag([tag]);
      if (v !== undefined) versions.add(v);
    }
    if (versions.size === 0) versions.add('');
    for (const version of versions) out.push({ name, version, metadata: {}, endpoints: [], nodes: [] });
  }
  return out;
}
