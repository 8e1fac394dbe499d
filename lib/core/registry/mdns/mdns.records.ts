/**
 * go-micro's mDNS record layout (registry/mdns_registry.go + internal/util/mdns/zone.go), built and
 * parsed with dns-packet shapes. Per node, instance `<nodeId>.<service>.<domain>`:
 * PTR `<service>.<domain>` → instance, SRV (port, target host), A/AAAA of the target, TXT (the
 * hex(zlib(JSON)) record). Per service a listing entry: PTR `_services.<domain>` →
 * `<service>._services.<domain>` (SRV port 9999, A 0.0.0.0). TTL 0 means goodbye.
 *
 * Every packet carries one node (or one listing entry), as go-micro's one-responder-per-node does:
 * go-micro's reader (internal/util/mdns/client.go messageToEntry) keeps only the last entry a
 * packet touched, its querier only takes responses that repeat its question, and its watcher
 * takes whatever one announcement packet describes last.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import type { RemoteInfo } from 'node:dgram';
import type { Answer, Packet, Question } from 'dns-packet';
import { decodeTxt, encodeTxt, type MdnsTxt } from '../encoding.js';
import type { Node, Service } from '../registry.js';
import { joinHostPort, splitHostPort } from '../../net/address.js';

/** One local node as announced: everything needed to build its records. */
export interface LocalNode {
  service: Service;
  node: Node;
  instance: string;
  target: string;
  host: string;
  port: number;
  txt: string[];
  ttlSeconds: number;
}

/** A node seen on the network (from an announcement, an answer or a goodbye). */
export interface ObservedNode {
  instance: string;
  txt: MdnsTxt;
  node: Node;
  /** 0: goodbye. */
  ttlSeconds: number;
}

const lower = (s: string): string => s.toLowerCase();

/** Validates DNS label limits so a node never produces an unencodable packet. */
export function checkDnsName(name: string): string | undefined {
  if (name.length > 253) return `"${name}" is longer than 253 characters`;
  const bad = name.split('.').find((l) => l.length === 0 || l.length > 63);
  return bad === undefined ? undefined : `"${name}" has an empty label or one longer than 63 characters`;
}

/**
 * Builds a local node's records. An unspecified host ("", 0.0.0.0, ::) cannot be announced in an
 * A record, so `fallbackHost` (the chosen interface's address) stands in for it.
 */
export function localNode(
  service: Service,
  node: Node,
  domain: string,
  ttlSeconds: number,
  fallbackHost: string,
): LocalNode {
  const split = splitHostPort(node.address);
  const host =
    split.host === '' || split.host === '0.0.0.0' || split.host === '::' ? fallbackHost : split.host;
  const port = split.port;
  const instance = `${node.id}.${service.name}.${domain}`;
  return {
    service,
    node,
    instance,
    // A per-node target host keeps A records of nodes on one machine apart (go-micro uses the hostname).
    target: `${node.id}.${hostname().split('.')[0] || 'host'}.${domain}`,
    host,
    port,
    txt: encodeTxt({
      metadata: node.metadata,
      service: service.name,
      version: service.version,
      endpoints: service.endpoints,
    }),
    ttlSeconds,
  };
}

/** A/AAAA of an instance's target host. */
function addressRecords(n: LocalNode, ttl: number, type: 'A' | 'AAAA' | 'ANY' = 'ANY'): Answer[] {
  if (isIPv4(n.host) && type !== 'AAAA') return [{ name: n.target, type: 'A', ttl, data: n.host }];
  if (isIPv6(n.host) && type !== 'A') return [{ name: n.target, type: 'AAAA', ttl, data: n.host }];
  return [];
}

/**
 * SRV, A/AAAA and TXT of an instance, in go-micro's order (zone.go instanceRecords for ANY). The
 * order matters to a Go reader: the SRV aliases its target to the instance, so the A record after
 * it fills in the instance's address.
 */
export function instanceRecords(n: LocalNode, ttl = n.ttlSeconds): Answer[] {
  return [
    { name: n.instance, type: 'SRV', ttl, data: { priority: 10, weight: 1, port: n.port, target: n.target } },
    ...addressRecords(n, ttl),
    { name: n.instance, type: 'TXT', ttl, data: n.txt },
  ];
}

/**
 * One node's packet: PTR `<service>.<domain>` → instance, then its instance records — what a
 * go-micro responder answers to a PTR query for the service, and what we announce and (TTL 0)
 * send as a goodbye.
 */
export function nodeRecords(n: LocalNode, domain: string, ttl = n.ttlSeconds): Answer[] {
  return [
    { name: `${n.service.name}.${domain}`, type: 'PTR', ttl, data: n.instance },
    ...instanceRecords(n, ttl),
  ];
}

/** The `_services` listing entry of a service (go-micro's per-service wildcard responder). */
export function listingRecords(service: string, domain: string, ttl: number): Answer[] {
  const instance = `${service}._services.${domain}`;
  const target = `${service}._services.${hostname().split('.')[0] || 'host'}.${domain}`;
  return [
    { name: `_services.${domain}`, type: 'PTR', ttl, data: instance },
    { name: instance, type: 'SRV', ttl, data: { priority: 10, weight: 1, port: 9999, target } },
    { name: target, type: 'A', ttl, data: '0.0.0.0' },
    { name: instance, type: 'TXT', ttl, data: [] },
  ];
}

/** An instance's records answering one question type (zone.go instanceRecords). */
function instanceAnswer(n: LocalNode, qtype: string): Answer[] {
  if (qtype === 'ANY') return instanceRecords(n);
  if (qtype === 'SRV') return instanceRecords(n).filter((r) => r.type !== 'TXT');
  if (qtype === 'TXT') return instanceRecords(n).filter((r) => r.type === 'TXT');
  if (qtype === 'A' || qtype === 'AAAA') return addressRecords(n, n.ttlSeconds, qtype);
  return [];
}

/**
 * The responses to `questions` from our local nodes (go-micro's zone.Records), one packet's
 * records per node, per `_services` entry and per enumerated service. go-micro runs a responder
 * per node, so each node is its own response, and a Go querier keeps only the last entry a packet
 * touched: several nodes in one packet would hide all but one of them from Go.
 */
export function answerQuestions(
  questions: readonly Question[],
  nodes: readonly LocalNode[],
  domain: string,
): Answer[][] {
  const packets = new Map<string, Answer[]>();
  const add = (key: string, records: Answer[]): void => {
    if (records.length === 0) return;
    const packet = packets.get(key);
    if (packet) packet.push(...records);
    else packets.set(key, [...records]);
  };
  const services = new Map<string, LocalNode>(); // first node of each service
  for (const n of nodes) if (!services.has(n.service.name)) services.set(n.service.name, n);
  for (const q of questions) {
    const name = lower(q.name.replace(/\.$/, ''));
    const qtype: string = q.type; // dns-packet's typings lack ANY
    const ptrOrAny = qtype === 'PTR' || qtype === 'ANY';
    if (ptrOrAny && name === lower(`_services.${domain}`)) {
      for (const [s, n] of services) add(`list ${s}`, listingRecords(s, domain, n.ttlSeconds));
      continue;
    }
    if (ptrOrAny && name === lower(`_services._dns-sd._udp.${domain}`)) {
      for (const [s, n] of services)
        add(`enum ${s}`, [{ name: q.name, type: 'PTR', ttl: n.ttlSeconds, data: `${s}.${domain}` }]);
      continue;
    }
    for (const n of nodes) {
      const key = `node ${lower(n.instance)}`;
      if (ptrOrAny && name === lower(`${n.service.name}.${domain}`)) add(key, nodeRecords(n, domain));
      else if (name === lower(n.instance)) add(key, instanceAnswer(n, qtype));
      else if (name === lower(n.target) && (qtype === 'A' || qtype === 'AAAA'))
        add(key, addressRecords(n, n.ttlSeconds, qtype));
    }
  }
  return [...packets.values()];
}

function txtStrings(data: unknown): Array<string | Uint8Array> {
  if (Array.isArray(data)) return data as Array<string | Uint8Array>;
  if (typeof data === 'string' || data instanceof Uint8Array) return [data];
  return [];
}

/** The go-micro nodes a response packet describes (answers, authorities and additionals). */
export function parseResponse(packet: Packet, rinfo: RemoteInfo, domain: string): ObservedNode[] {
  const records = [...(packet.answers ?? []), ...(packet.authorities ?? []), ...(packet.additionals ?? [])];
  const srv = new Map<string, { port: number; target: string; ttl: number }>();
  const txt = new Map<string, { data: Array<string | Uint8Array>; ttl: number }>();
  const addr = new Map<string, { v4?: string; v6?: string }>();
  for (const r of records) {
    const name = lower(r.name.replace(/\.$/, ''));
    if (r.type === 'SRV') srv.set(name, { port: r.data.port, target: lower(r.data.target), ttl: r.ttl ?? 0 });
    else if (r.type === 'TXT') txt.set(name, { data: txtStrings(r.data), ttl: r.ttl ?? 0 });
    else if (r.type === 'A' || r.type === 'AAAA') {
      const entry = addr.get(name) ?? {};
      if (r.type === 'A') entry.v4 ??= r.data;
      else entry.v6 ??= r.data;
      addr.set(name, entry);
    }
  }
  const out: ObservedNode[] = [];
  for (const [name, t] of txt) {
    const decoded = decodeTxt(t.data);
    if (!decoded) continue;
    const suffix = lower(`.${decoded.service}.${domain}`);
    if (!name.endsWith(suffix) || name.length === suffix.length) continue;
    const s = srv.get(name);
    const ttl = Math.min(t.ttl, s?.ttl ?? t.ttl);
    if (!s && ttl > 0) continue; // no port: wait for a complete answer
    const original = records.find((r) => r.type === 'TXT' && lower(r.name.replace(/\.$/, '')) === name);
    const id = (original?.name ?? name).replace(/\.$/, '').slice(0, -suffix.length);
    const ip = s ? addr.get(s.target) : undefined;
    const host = ip?.v4 ?? ip?.v6 ?? rinfo.address;
    out.push({
      instance: name,
      txt: decoded,
      node: { id, address: joinHostPort(host, s?.port ?? 0), metadata: decoded.metadata },
      ttlSeconds: ttl,
    });
  }
  return out;
}

/** Service names from `_services` listing answers. */
export function parseListing(packet: Packet, domain: string): string[] {
  const suffix = lower(`._services.${domain}`);
  const names: string[] = [];
  for (const r of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
    if (r.type !== 'PTR' || (r.ttl ?? 0) === 0) continue;
    if (lower(r.name.replace(/\.$/, '')) !== lower(`_services.${domain}`)) continue;
    const data = r.data.replace(/\.$/, '');
    if (lower(data).endsWith(suffix)) names.push(data.slice(0, -suffix.length));
  }
  return names;
}
