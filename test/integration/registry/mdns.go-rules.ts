/**
 * What a go-micro v5 process makes of mDNS packets, without a Go toolchain: go-micro's reading
 * rules (internal/util/mdns/client.go and registry/mdns_registry.go) applied to packets decoded
 * with dns-packet. Faithful in the points that decide what Go sees:
 * - messageToEntry: records are read in order (answers, then additionals); PTR and SRV/TXT/A/AAAA
 *   open or reuse an entry by name, an SRV aliases its target host to the instance, a complete
 *   entry is skipped, and the packet yields only the LAST entry it touched;
 * - query (GetService/ListServices): in-progress entries live for the whole query, a response
 *   counts only when its first question repeats ours, an entry is emitted once when complete;
 * - Listen (Watch): no question check, the in-progress map is reset after each emitted entry;
 * - registry: GetService skips TTL 0 and undecodable TXT, groups by Version, trims
 *   `.<service>.<domain>` off the name for the node id; the watcher skips an empty Service or
 *   Version and reports TTL 0 as delete.
 * Names are compared case-sensitively and without the trailing dot (dns-packet drops it).
 * Loopback only: queries go from an ephemeral 127.0.0.1 port, the watcher joins 224.0.0.251 on
 * 127.0.0.1.
 */
import { createSocket, type Socket } from 'node:dgram';
import { inflateSync } from 'node:zlib';
import dnsPacket, { type Packet } from 'dns-packet';

const GROUP = '224.0.0.251';
const LOOPBACK = '127.0.0.1';

export interface GoEntry {
  name: string;
  type: string;
  host: string;
  addrV4?: string;
  addrV6?: string;
  port: number;
  ttl: number;
  infoFields: string[];
  hasTXT: boolean;
  sent: boolean;
}

const complete = (e: GoEntry): boolean => Boolean(e.addrV4 || e.addrV6) && e.port !== 0 && e.hasTXT;

function ensureName(inprogress: Map<string, GoEntry>, name: string, type: string): GoEntry {
  let entry = inprogress.get(name);
  if (!entry) {
    entry = { name, type, host: '', port: 0, ttl: 0, infoFields: [], hasTXT: false, sent: false };
    inprogress.set(name, entry);
  }
  return entry;
}

/** client.go messageToEntry: updates `inprogress`, returns the last entry the packet touched. */
export function messageToEntry(packet: Packet, inprogress: Map<string, GoEntry>): GoEntry | undefined {
  let inp: GoEntry | undefined;
  for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
    switch (rr.type) {
      case 'PTR':
        inp = ensureName(inprogress, rr.data, rr.type);
        if (complete(inp)) continue;
        break;
      case 'SRV':
        if (rr.data.target !== rr.name)
          inprogress.set(rr.data.target, ensureName(inprogress, rr.name, rr.type));
        inp = ensureName(inprogress, rr.name, rr.type);
        if (complete(inp)) continue;
        inp.host = rr.data.target;
        inp.port = rr.data.port;
        break;
      case 'TXT': {
        inp = ensureName(inprogress, rr.name, rr.type);
        if (complete(inp)) continue;
        const data = rr.data as unknown;
        const strings = Array.isArray(data) ? (data as Array<string | Buffer>) : [data as string | Buffer];
        inp.infoFields = strings.map((s) => s.toString());
        inp.hasTXT = true;
        break;
      }
      case 'A':
        inp = ensureName(inprogress, rr.name, rr.type);
        if (complete(inp)) continue;
        inp.addrV4 = rr.data;
        break;
      case 'AAAA':
        inp = ensureName(inprogress, rr.name, rr.type);
        if (complete(inp)) continue;
        inp.addrV6 = rr.data;
        break;
      default:
        continue;
    }
    inp.ttl = rr.ttl ?? 0;
  }
  return inp;
}

export interface GoTxt {
  Metadata: Record<string, string> | null;
  Service: string;
  Version: string;
  Endpoints: unknown[] | null;
}

/** mdns_registry.go decode: hex(zlib(JSON)) split over the TXT strings. */
export function decodeGoTxt(fields: string[]): GoTxt | undefined {
  try {
    return JSON.parse(inflateSync(Buffer.from(fields.join(''), 'hex')).toString()) as GoTxt;
  } catch {
    return undefined;
  }
}

async function loopbackSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, LOOPBACK, () => r()));
  socket.setMulticastInterface(LOOPBACK);
  return socket;
}

function send(socket: Socket, packet: Packet): void {
  socket.send(dnsPacket.encode(packet), 5353, GROUP);
}

/** client.go query: the entries a Go querier emits for a PTR question on `<service>.<domain>`. */
export async function goQuery(service: string, timeoutMs = 300, domain = 'micro'): Promise<GoEntry[]> {
  const socket = await loopbackSocket();
  const asked = `${service}.${domain}`;
  const inprogress = new Map<string, GoEntry>();
  const entries: GoEntry[] = [];
  socket.on('message', (data: Buffer) => {
    let resp: Packet;
    try {
      resp = dnsPacket.decode(data);
    } catch {
      return;
    }
    const inp = messageToEntry(resp, inprogress);
    if (!inp) return;
    if (resp.questions?.[0]?.name !== asked) return; // "discard anything which we've not asked for"
    if (complete(inp)) {
      if (inp.sent) return;
      inp.sent = true;
      entries.push({ ...inp });
    } else send(socket, { type: 'query', questions: [{ name: inp.name, type: inp.type as 'PTR' }] });
  });
  send(socket, { type: 'query', questions: [{ name: asked, type: 'PTR' }] });
  await new Promise((r) => setTimeout(r, timeoutMs));
  await new Promise<void>((r) => socket.close(() => r()));
  return entries;
}

export interface GoService {
  name: string;
  version: string;
  nodes: Array<{ id: string; address: string; metadata: Record<string, string> }>;
}

/** mdns_registry.go GetService over goQuery's entries. */
export async function goGetService(
  service: string,
  timeoutMs?: number,
  domain = 'micro',
): Promise<GoService[]> {
  const byVersion = new Map<string, GoService>();
  for (const e of await goQuery(service, timeoutMs, domain)) {
    if (e.ttl === 0) continue;
    const txt = decodeGoTxt(e.infoFields);
    if (!txt || txt.Service !== service) continue;
    const address = e.addrV4 ? `${e.addrV4}:${e.port}` : e.addrV6 ? `[${e.addrV6}]:${e.port}` : undefined;
    if (!address) continue;
    const s = byVersion.get(txt.Version) ?? { name: txt.Service, version: txt.Version, nodes: [] };
    const suffix = `.${service}.${domain}`;
    const id = e.name.endsWith(suffix) ? e.name.slice(0, -suffix.length) : e.name;
    s.nodes.push({ id, address, metadata: txt.Metadata ?? {} });
    byVersion.set(txt.Version, s);
  }
  return [...byVersion.values()];
}

/** mdns_registry.go ListServices over goQuery's entries. */
export async function goListServices(timeoutMs?: number, domain = 'micro'): Promise<string[]> {
  const names = new Set<string>();
  for (const e of await goQuery('_services', timeoutMs, domain)) {
    if (e.ttl === 0 || !e.name.endsWith(domain)) continue;
    const suffix = `._services.${domain}`;
    names.add(e.name.endsWith(suffix) ? e.name.slice(0, -suffix.length) : e.name);
  }
  return [...names];
}

export interface GoWatchResult {
  action: 'create' | 'delete';
  service: string;
  version: string;
  node: { id: string; address: string };
}

export interface GoWatcher {
  results: GoWatchResult[];
  stop(): Promise<void>;
}

/** mdns.Listen plus mdnsWatcher.Next: what a Go registry watcher reports from multicast traffic. */
export async function goWatch(domain = 'micro'): Promise<GoWatcher> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => socket.bind(5353, GROUP, () => r()));
  socket.addMembership(GROUP, LOOPBACK);
  const results: GoWatchResult[] = [];
  let ip = new Map<string, GoEntry>();
  socket.on('message', (data: Buffer) => {
    let m: Packet;
    try {
      m = dnsPacket.decode(data);
    } catch {
      return;
    }
    const e = messageToEntry(m, ip);
    if (!e || !complete(e) || e.sent) return; // an incomplete entry makes Go send a PTR query: no entry
    e.sent = true;
    ip = new Map();
    // mdnsWatcher.Next
    const txt = decodeGoTxt(e.infoFields);
    if (!txt || !txt.Service || !txt.Version) return;
    const suffix = `.${txt.Service}.${domain}`;
    if (!e.name.endsWith(suffix)) return;
    const address = e.addrV4 ? `${e.addrV4}:${e.port}` : e.addrV6 ? `[${e.addrV6}]:${e.port}` : '';
    results.push({
      action: e.ttl === 0 ? 'delete' : 'create',
      service: txt.Service,
      version: txt.Version,
      node: { id: e.name.slice(0, -suffix.length), address },
    });
  });
  return { results, stop: () => new Promise<void>((r) => socket.close(() => r())) };
}
