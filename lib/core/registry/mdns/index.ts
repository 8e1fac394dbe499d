/** mDNS registry: go-micro's zero-config default, with its record layout. */
export { MdnsRegistry } from './mdns.registry.js';
export { MDNS_ERROR_ID, type MdnsRegistryOptions, type ResolvedMdnsOptions } from './mdns.options.js';
