/**
 * "host:port" helpers for every layer (transports, registries, brokers, the server's advertised
 * address): IPv6 hosts in brackets, as Go's net.JoinHostPort writes them, and go-micro's choice of
 * the address to announce when a service listens on every interface.
 */
import { networkInterfaces } from 'node:os';

/**
 * "host:port", "[v6]:port", ":port" or a bare host → host and port (port 0 when absent or not a
 * number). Without brackets the last colon followed by digits separates the port, as Go's
 * net.SplitHostPort does; a bare IPv6 address without a port (`::`) is a host.
 */
export function splitHostPort(address: string): { host: string; port: number } {
  const a = address.trim();
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(a);
  if (bracketed) return { host: bracketed[1]!, port: toPort(bracketed[2]) };
  const colon = a.lastIndexOf(':');
  if (colon === -1) return { host: a, port: 0 };
  const port = a.slice(colon + 1);
  if (/^\d+$/.test(port)) return { host: a.slice(0, colon), port: Number(port) };
  return { host: a.indexOf(':') === colon ? a.slice(0, colon) : a, port: 0 };
}

const toPort = (digits: string | undefined): number => (digits ? Number(digits) : 0);

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A socket end as "host:port" (IPv4-mapped IPv6 shown as IPv4); "" when unknown. */
export function socketAddress(host: string | undefined, port: number | undefined): string {
  if (!host) return '';
  return joinHostPort(host.startsWith('::ffff:') ? host.slice(7) : host, port ?? 0);
}

/** go-micro's addr.Extract: this machine's first non-internal IPv4 address, else loopback. */
export function firstPrivateIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}

const UNSPECIFIED: ReadonlySet<string> = new Set(['', '0.0.0.0', '::', '[::]']);

/** The host to announce for a listen host: an unspecified one (every interface) becomes `firstPrivateIPv4()`. */
export function announceHost(host: string): string {
  return UNSPECIFIED.has(host) ? firstPrivateIPv4() : host;
}
