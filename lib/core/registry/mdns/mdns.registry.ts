/**
 * mDNS registry (go-micro's default, registry/mdns_registry.go) on `multicast-dns`: answers queries
 * for its own nodes' records, announces them on register and every third of their TTL, says
 * goodbye (TTL 0) on deregister/close; `getService` multicasts a query and gathers answers for a
 * short window; `watch` follows announcements, goodbyes and lapsed TTLs. With the `interface`
 * option multicast is joined, sent and answered only there (127.0.0.1 keeps it on loopback).
 *
 * Every packet sent describes one node, as go-micro's responder-per-node does, since a Go reader
 * keeps only the last entry of a packet: answers (each repeating the query's questions, which a Go
 * querier requires), announcements and goodbyes alike. `_services` entries are only answered,
 * never announced, like go-micro's: nobody reads them from announcements.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { loggerFor } from '../../logger.js';
import type { Answer, Packet, Question } from 'dns-packet';
import type makeMdns from 'multicast-dns';
import { multicastDns } from '../../drivers.js';
import { MicroError } from '../../errors/micro-error.js';
import type { RegisterOptions, Registry, Service, WatchEvent, WatchOptions, Watcher } from '../registry.js';
import {
  isLocalSource,
  MDNS_ERROR_ID,
  mdnsOptionsFromAddress,
  notFoundHint,
  resolveMdnsOptions,
  type MdnsRegistryOptions,
  type ResolvedMdnsOptions,
} from './mdns.options.js';
import {
  answerQuestions,
  checkDnsName,
  localNode,
  nodeRecords,
  parseListing,
  parseResponse,
  type LocalNode,
  type ObservedNode,
} from './mdns.records.js';
import { group, ObservedTable } from './mdns.table.js';
import { firstPrivateIPv4, joinHostPort } from '../../net/address.js';
import { errorText } from '../../errors/error-text.js';

type Mdns = ReturnType<typeof makeMdns>;
type Collector = (observed: ObservedNode[], packet: Packet) => void;

const isLoopback = (address: string): boolean => address.startsWith('127.');

/** A question as echoed in a response; the unicast-response bit (decoded as an unknown class) is dropped. */
const echo = (q: Question): Question => ({
  name: q.name,
  type: q.type,
  class: q.class && !q.class.startsWith('UNKNOWN') ? q.class : 'IN',
});

export class MdnsRegistry implements Registry {
  readonly name = 'mdns';
  readonly options: ResolvedMdnsOptions;
  private readonly logger = loggerFor('MdnsRegistry');
  private readonly local = new Map<string, LocalNode>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly collectors = new Set<Collector>();
  private readonly listeners = new Set<{ listener: (e: WatchEvent) => void; options: WatchOptions }>();
  private readonly table = new ObservedTable(
    (event) => this.emit(event),
    (nodes) => this.refresh(nodes),
  );
  private main?: Mdns;
  private querier?: Mdns;
  private started?: Promise<void>;
  private closed = false;
  private readonly warned = new Set<string>();

  constructor(options: MdnsRegistryOptions = {}) {
    this.options = resolveMdnsOptions(options);
  }

  /** MICRO_REGISTRY_ADDRESS for mdns: the interface's IPv4 address, e.g. "127.0.0.1". */
  static fromAddress(address?: string, options: MdnsRegistryOptions = {}): MdnsRegistry {
    return new MdnsRegistry({ ...options, ...mdnsOptionsFromAddress(address) });
  }

  notFoundHint(service: string): string {
    return notFoundHint(service, this.options);
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    if (!service.name) throw MicroError.badRequest(MDNS_ERROR_ID, 'mdns registry: service name is required');
    if (service.nodes.length === 0)
      throw MicroError.badRequest(MDNS_ERROR_ID, `mdns registry: ${service.name} has no nodes to register`);
    const ttl = Math.max(1, Math.ceil((options.ttl ?? this.options.ttl) / 1000));
    const nodes = service.nodes.map((node) =>
      localNode(service, node, this.options.domain, ttl, this.fallbackHost()),
    );
    for (const n of nodes) {
      const problem =
        n.port > 0 && n.port < 65536 ? checkDnsName(n.instance) : `no port in "${n.node.address}"`;
      if (problem) throw MicroError.badRequest(MDNS_ERROR_ID, `mdns registry: node ${n.node.id}: ${problem}`);
    }
    await this.start();
    for (const n of nodes) {
      const key = n.instance.toLowerCase();
      this.local.set(key, n);
      clearInterval(this.timers.get(key));
      const timer = setInterval(
        () => void this.announce(n).catch((e: unknown) => this.warn(e)),
        (ttl * 1000) / 3,
      );
      timer.unref();
      this.timers.set(key, timer);
      await this.announce(n);
    }
  }

  async deregister(service: Service): Promise<void> {
    const gone: LocalNode[] = [];
    for (const node of service.nodes) {
      const key = `${node.id}.${service.name}.${this.options.domain}`.toLowerCase();
      const n = this.local.get(key);
      if (!n) continue;
      this.local.delete(key);
      clearInterval(this.timers.get(key));
      this.timers.delete(key);
      gone.push(n);
    }
    for (const n of gone) await this.goodbye(n);
  }

  async getService(name: string): Promise<Service[]> {
    const found = new Map<string, ObservedNode>();
    await this.gather({ name: `${name}.${this.options.domain}`, type: 'PTR' }, (observed) => {
      for (const o of observed) {
        if (o.txt.service !== name) continue;
        if (o.ttlSeconds > 0) found.set(o.instance, o);
        else found.delete(o.instance);
      }
    });
    for (const n of this.local.values()) {
      if (n.service.name !== name || found.has(n.instance.toLowerCase())) continue;
      found.set(n.instance.toLowerCase(), {
        instance: n.instance.toLowerCase(),
        txt: {
          service: name,
          version: n.service.version,
          metadata: n.node.metadata,
          endpoints: n.service.endpoints,
        },
        node: { ...n.node, address: joinHostPort(n.host, n.port) },
        ttlSeconds: n.ttlSeconds,
      });
    }
    return group([...found.values()]);
  }

  async listServices(): Promise<Service[]> {
    const names = new Set<string>();
    await this.gather({ name: `_services.${this.options.domain}`, type: 'PTR' }, (_o, packet) => {
      for (const n of parseListing(packet, this.options.domain)) names.add(n);
    });
    for (const n of this.local.values()) names.add(n.service.name);
    return [...names].map((name) => ({ name, version: '', metadata: {}, endpoints: [], nodes: [] }));
  }

  watch(listener: (event: WatchEvent) => void, options: WatchOptions = {}): Watcher {
    const entry = { listener, options };
    this.listeners.add(entry);
    this.start().catch((e: unknown) => this.warn(e));
    return { stop: () => this.listeners.delete(entry) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const nodes = [...this.local.values()];
    this.local.clear();
    for (const n of nodes) await this.goodbye(n).catch(() => undefined);
    this.closed = true;
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.local.clear();
    this.listeners.clear();
    this.table.close();
    await Promise.all(
      [this.main, this.querier].map((m) => new Promise<void>((r) => (m ? m.destroy(() => r()) : r()))),
    );
  }

  // ---- sockets -------------------------------------------------------------------------------

  private start(): Promise<void> {
    if (this.closed)
      return Promise.reject(MicroError.unavailable(MDNS_ERROR_ID, 'mdns registry is closed', false));
    this.started ??= this.open().catch((error: unknown) => {
      this.started = undefined;
      const where = `UDP ${this.options.port} on ${this.options.interface ?? 'all interfaces'}`;
      throw MicroError.unavailable(MDNS_ERROR_ID, `mdns registry: cannot open ${where}: ${errorText(error)}`);
    });
    return this.started;
  }

  private async open(): Promise<void> {
    const { interface: iface, port, group: ip } = this.options;
    // Our own socket, so the outgoing multicast interface is pinned before anything is sent, even
    // if joining the group fails (multicast-dns only pins it after a successful join).
    const mainSocket = createSocket({ type: 'udp4', reuseAddr: true });
    mainSocket.once('listening', () => {
      if (iface) mainSocket.setMulticastInterface(iface);
    });
    const main = multicastDns()({
      socket: mainSocket,
      port,
      ip,
      interface: iface,
      bind: '0.0.0.0',
      loopback: true,
    });
    main.on('warning', (e: Error) => this.warn(e));
    await new Promise<void>((resolve, reject) => {
      main.once('ready', resolve);
      main.once('error', reject);
    });
    main.on('error', (e: Error) => this.warn(e));
    main.on('query', (packet: Packet, rinfo: RemoteInfo) => this.onQuery(packet, rinfo));
    main.on('response', (packet: Packet, rinfo: RemoteInfo) => this.onResponse(packet, rinfo));
    this.main = main;

    // Queries go out from an ephemeral port, so every responder (Go's too) answers us by unicast.
    const socket: Socket = createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, iface ?? '0.0.0.0', () => {
        socket.removeListener('error', reject);
        resolve();
      });
    });
    if (iface) socket.setMulticastInterface(iface);
    socket.setMulticastTTL(255);
    socket.setMulticastLoopback(true);
    const querier = multicastDns()({ socket, port: 0, multicast: false, bind: false });
    querier.on('warning', (e: Error) => this.warn(e));
    querier.on('response', (packet: Packet, rinfo: RemoteInfo) => this.onResponse(packet, rinfo));
    this.querier = querier;
  }

  /**
   * Asks again for watched nodes whose records near their TTL (a go-micro node never re-announces);
   * the answers reach onResponse and refresh the table. Only while someone watches.
   */
  private refresh(nodes: ObservedNode[]): void {
    if (this.listeners.size === 0 || !this.querier || this.closed) return;
    for (const service of new Set(nodes.map((n) => n.txt.service)))
      this.querier.query(
        { questions: [{ name: `${service}.${this.options.domain}`, type: 'PTR' }] },
        { port: this.options.port, address: this.options.group },
        (err) => err && this.warn(err),
      );
  }

  /** Sends a query and hands every response heard during the window to `collect`. */
  private async gather(question: { name: string; type: 'PTR' }, collect: Collector): Promise<void> {
    await this.start();
    this.collectors.add(collect);
    try {
      await new Promise<void>((resolve, reject) =>
        this.querier!.query(
          { questions: [question] },
          { port: this.options.port, address: this.options.group },
          (err) => (err ? reject(err) : resolve()),
        ),
      ).catch((error: unknown) => {
        throw MicroError.unavailable(MDNS_ERROR_ID, `mdns registry: query failed: ${String(error)}`);
      });
      await new Promise((r) => setTimeout(r, this.options.timeout));
    } finally {
      this.collectors.delete(collect);
    }
  }

  private onQuery(packet: Packet, rinfo: RemoteInfo): void {
    if (this.local.size === 0 || this.foreign(rinfo)) return;
    const questions = packet.questions ?? [];
    const responses = answerQuestions(questions, [...this.local.values()], this.options.domain);
    if (responses.length === 0) return;
    const send = (err: Error | null | undefined) => err && this.warn(err);
    // Every response repeats the questions: a go-micro querier drops responses that do not.
    const echoed = questions.map(echo);
    // A legacy unicast query (RFC 6762 §6.7, and every go-micro query: they come from an ephemeral
    // port) is answered to the sender with its id; otherwise on the group.
    const legacy = rinfo.port !== this.options.port;
    for (const answers of responses) {
      const response = { id: legacy ? packet.id : 0, questions: echoed, answers };
      if (legacy) this.main?.respond(response, rinfo, send);
      else this.main?.respond(response, send);
    }
  }

  private onResponse(packet: Packet, rinfo: RemoteInfo): void {
    if (this.foreign(rinfo)) return;
    const observed = parseResponse(packet, rinfo, this.options.domain);
    for (const o of observed) this.table.observe(o);
    for (const c of this.collectors) c(observed, packet);
  }

  /**
   * With a loopback interface, packets from other machines are ignored and never answered; this
   * machine's own (go-micro's from 0.0.0.0 or its default interface's address included) count.
   */
  private foreign(rinfo: RemoteInfo): boolean {
    return (
      this.options.interface !== undefined &&
      isLoopback(this.options.interface) &&
      !isLocalSource(rinfo.address)
    );
  }

  /** One node per packet: a Go watcher reports only the last entry a packet describes. */
  private async announce(n: LocalNode): Promise<void> {
    await this.send(nodeRecords(n, this.options.domain));
  }

  private async goodbye(n: LocalNode): Promise<void> {
    const answers = nodeRecords(n, this.options.domain, 0);
    await this.send(answers);
    await this.send(answers); // once more: a lost goodbye would leave the node until its TTL lapses
  }

  private send(answers: Answer[]): Promise<void> {
    const main = this.main;
    if (!main || this.closed) return Promise.resolve();
    return new Promise((resolve, reject) =>
      main.respond({ answers }, (err) =>
        err
          ? reject(MicroError.unavailable(MDNS_ERROR_ID, `mdns registry: send failed: ${err.message}`))
          : resolve(),
      ),
    );
  }

  private fallbackHost(): string {
    if (this.options.interface) return this.options.interface;
    return firstPrivateIPv4();
  }

  private emit(event: WatchEvent): void {
    for (const { listener, options } of this.listeners) {
      if (options.service && options.service !== event.service.name) continue;
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(`watch listener threw: ${String(error)}`);
      }
    }
  }

  private warn(error: unknown): void {
    const message = errorText(error);
    if (this.warned.has(message)) return; // once per distinct problem, not per packet
    this.warned.add(message);
    this.logger.warn(`mdns: ${message}`);
  }
}
