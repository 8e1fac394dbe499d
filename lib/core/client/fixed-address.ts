/**
 * go-micro's client.WithAddress: a call or stream given fixed "host:port" addresses bypasses the
 * selector. As go-micro picks one of the list per call (not always the first), a call starts at a
 * random one of them; its retries go on to the next ones in turn. The call path and the stream path
 * both pick through here.
 */
import type { Node } from '../registry/registry.js';
import type { Next } from '../selector/selector.js';

export function fixedAddresses(address: string | string[]): Next {
  const list = Array.isArray(address) ? address : [address];
  let i = list.length > 1 ? Math.floor(Math.random() * list.length) : 0;
  return () => addressNode(list[i++ % list.length]!);
}

/** A node known only by its address: no metadata, so it is dialled on the module's own transport. */
function addressNode(address: string): Node {
  return { id: address, address, metadata: {} };
}
