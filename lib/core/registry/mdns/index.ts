/** mDNS registry: go-micro's zero-config default, with its record layout. */
export * from './mdns.registry.js';
export * from './mdns.options.js';
