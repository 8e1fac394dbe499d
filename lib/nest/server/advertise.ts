/** The address a node announces: the advertise option, else the bound address with a routable host. */
import { announceHost, firstPrivateIPv4, joinHostPort, splitHostPort } from '../../core/net/address.js';

export function advertisedAddress(bound: string, advertise?: string): string {
  if (advertise) {
    const { host, port } = splitHostPort(advertise);
    return joinHostPort(host || firstPrivateIPv4(), port || splitHostPort(bound).port);
  }
  const { host, port } = splitHostPort(bound);
  const announced = announceHost(host);
  return announced === host ? bound : joinHostPort(announced, port);
}
