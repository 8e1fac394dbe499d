/** The address a node announces: the advertise option, else the bound address with a routable host. */
import { networkInterfaces } from 'node:os';
import { joinAddress, splitAddress } from '../../core/transport/transport.js';

const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]']);

export function advertisedAddress(bound: string, advertise?: string): string {
  if (advertise) {
    const { host, port } = splitAddress(advertise);
    return joinAddress(host || firstPrivateIPv4(), port || splitAddress(bound).port);
  }
  const { host, port } = splitAddress(bound);
  return UNSPECIFIED.has(host) ? joinAddress(firstPrivateIPv4(), port) : bound;
}

/** go-micro's addr.Extract: the first non-internal IPv4 address, else loopback. */
function firstPrivateIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}
