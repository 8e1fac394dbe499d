/**
 * Options of the mDNS registry, their validation (an interface must be one of this machine's IPv4
 * addresses) and the hint shown when a lookup finds nothing.
 */
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { MicroError } from '../../errors/micro-error.js';

export const MDNS_ERROR_ID = 'registry.mdns';

export interface MdnsRegistryOptions {
  /**
   * IPv4 address of the interface to use (e.g. "127.0.0.1", "192.168.1.20"): multicast is joined,
   * sent and answered on it only. Default: the system's default multicast interface.
   */
  interface?: string;
  /** DNS domain of the records (default "micro.", go-micro's). */
  domain?: string;
  /** How long `getService`/`listServices` gather answers, in ms (default 150; go-micro: 100). */
  timeout?: number;
  /** Record TTL in ms when `register` gives none (default 120 s, go-micro's DNS TTL). */
  ttl?: number;
  /** UDP port (default 5353). Only for isolated tests: other mDNS speakers use 5353. */
  port?: number;
}

export interface ResolvedMdnsOptions {
  interface?: string;
  /** Without the trailing dot, as dns-packet writes names: "micro". */
  domain: string;
  timeout: number;
  ttl: number;
  port: number;
  group: string;
}

/** The IPv4 addresses of this machine's interfaces. */
function localIPv4(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((i) => i.family === 'IPv4' || (i.family as unknown) === 4)
    .map((i) => i.address);
}

let ownAddresses: { set: Set<string>; at: number } | undefined;

/**
 * Whether a packet's source is this machine: loopback, 0.0.0.0 (what the kernel puts on multicast
 * from a socket bound to 0.0.0.0 when no address fits the route, as go-micro's queries and
 * announcements on a loopback-only host), or one of its own addresses (go-micro sends through the
 * default interface, whatever MICRO_REGISTRY_ADDRESS says, and the packet loops back with that
 * address). Own addresses are re-read at most once a second.
 */
export function isLocalSource(address: string, now = Date.now()): boolean {
  if (address.startsWith('127.') || address === '0.0.0.0' || address === '::1') return true;
  if (!ownAddresses || now - ownAddresses.at > 1_000) ownAddresses = { set: new Set(localIPv4()), at: now };
  return ownAddresses.set.has(address);
}

export function resolveMdnsOptions(options: MdnsRegistryOptions = {}): ResolvedMdnsOptions {
  const iface = options.interface?.trim() || undefined;
  if (iface !== undefined) {
    if (!isIPv4(iface))
      throw MicroError.badRequest(
        MDNS_ERROR_ID,
        `mdns registry: interface must be an IPv4 address of this machine, got "${iface}"`,
      );
    const known = localIPv4();
    if (!known.includes(iface))
      throw MicroError.badRequest(
        MDNS_ERROR_ID,
        `mdns registry: ${iface} is not an address of this machine (have: ${known.join(', ') || 'none'})`,
      );
  }
  const domain = (options.domain ?? 'micro.').replace(/^\.+|\.+$/g, '');
  if (!domain || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(domain))
    throw MicroError.badRequest(MDNS_ERROR_ID, `mdns registry: invalid domain "${String(options.domain)}"`);
  return {
    interface: iface,
    domain,
    timeout: options.timeout ?? 150,
    ttl: options.ttl ?? 120_000,
    port: options.port ?? 5353,
    group: '224.0.0.251',
  };
}

/** "127.0.0.1" (or "127.0.0.1:5353") from MICRO_REGISTRY_ADDRESS → options. */
export function mdnsOptionsFromAddress(address?: string): MdnsRegistryOptions {
  if (!address?.trim()) return {};
  const [host, port] = address.trim().split(':');
  return port ? { interface: host, port: Number(port) } : { interface: host };
}

export function notFoundHint(service: string, o: ResolvedMdnsOptions): string {
  const where = o.interface ? `interface ${o.interface}` : 'the default multicast interface';
  return (
    `mDNS found no node of "${service}" on ${where} (domain ${o.domain}., ${o.timeout} ms). ` +
    'Usual causes: multicast blocked (firewall, Docker bridge network, VPN, cloud network), or the ' +
    'service announcing on another interface. Set MICRO_REGISTRY=mdns MICRO_REGISTRY_ADDRESS=<this ' +
    'interface IPv4> on both sides (127.0.0.1 for one machine), or use Consul: ' +
    'MICRO_REGISTRY=consul MICRO_REGISTRY_ADDRESS=<host:8500>.'
  );
}
