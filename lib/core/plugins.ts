/**
 * Implementations by name, as MICRO_REGISTRY / MICRO_TRANSPORT / MICRO_BROKER name them, and the
 * embedded defaults. New implementations add one line to the table of their abstraction.
 */
import type { Broker } from './broker/broker.js';
import { HttpBroker } from './broker/http.broker.js';
import { MemoryBroker } from './broker/memory.broker.js';
import { NatsBroker } from './broker/nats.broker.js';
import { RedisBroker } from './broker/redis.broker.js';
import type { Codec } from './codec/codec.js';
import { defaultCodecs } from './codec/index.js';
import { CacheRegistry } from './registry/cache.registry.js';
import { ConsulRegistry } from './registry/consul/consul.registry.js';
import { EtcdRegistry } from './registry/etcd/etcd.registry.js';
import { MdnsRegistry } from './registry/mdns/mdns.registry.js';
import { MemoryRegistry } from './registry/memory.registry.js';
import { NatsRegistry } from './registry/nats/nats.registry.js';
import type { Registry } from './registry/registry.js';
import { RegistrySelector } from './selector/registry.selector.js';
import type { Selector, SelectorOptions } from './selector/selector.js';
import { HttpTransport } from './transport/http/http.transport.js';
import { NatsTransport } from './transport/nats/nats.transport.js';
import { TcpTransport } from './transport/tcp/tcp.transport.js';
import type { Transport } from './transport/transport.js';

type Factory<T, A extends unknown[] = []> = (address: string | undefined, ...rest: A) => T;

/** One process-wide memory registry, so services and clients of one process find each other. */
let sharedMemoryRegistry: MemoryRegistry | undefined;
const memoryRegistry = (): MemoryRegistry => (sharedMemoryRegistry ??= new MemoryRegistry());

/** Network registries sit behind a watch-fed cache, so the selector's hot path makes no round trip. */
export const REGISTRIES: Record<string, Factory<Registry>> = {
  mdns: (address) => new CacheRegistry(MdnsRegistry.fromAddress(address)),
  consul: (address) => new CacheRegistry(ConsulRegistry.fromAddress(address)),
  nats: (address) => new CacheRegistry(NatsRegistry.fromAddress(address)),
  etcd: (address) => new CacheRegistry(EtcdRegistry.fromAddress(address)),
  memory: () => memoryRegistry(),
};
export const DEFAULT_REGISTRY = 'mdns';

/**
 * `tcp` is nest-micro's framed, multiplexed transport; its port also answers go-micro's HTTP, so it
 * is the default. `http` is go-micro's own transport alone. `nats` is go-micro's NATS transport
 * (the address names the NATS servers, MICRO_TRANSPORT_ADDRESS).
 */
export const TRANSPORTS: Record<string, Factory<Transport>> = {
  tcp: () => new TcpTransport(),
  http: () => new HttpTransport(),
  nats: (address) => NatsTransport.fromAddress(address),
};
export const DEFAULT_TRANSPORT = 'tcp';

export const BROKERS: Record<string, Factory<Broker, [Registry]>> = {
  http: (address, registry) => new HttpBroker({ registry, address: address || '127.0.0.1:0' }),
  redis: (address) => new RedisBroker({ url: redisUrl(address) }),
  /** MICRO_BROKER_ADDRESS: `host:port[,host:port]`, `nats://` optional, as go-micro reads it. */
  nats: (address) => new NatsBroker({ servers: address }),
  memory: () => new MemoryBroker(),
};
export const DEFAULT_BROKER = 'http';

function redisUrl(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return address.includes('://') ? address : `redis://${address}`;
}

function pick<T>(kind: string, table: Record<string, T>, name: string): T {
  const factory = table[name.toLowerCase()];
  if (!factory)
    throw new Error(`nest-micro: unknown ${kind} "${name}"; known: ${Object.keys(table).join(', ')}`);
  return factory;
}

/**
 * A registry by name ("mdns", "consul", "etcd", "nats", "memory") and address (the mDNS interface's
 * IPv4 address, the Consul agent's host:port / URL, etcd's or NATS's host:port[,host:port]), as
 * MICRO_REGISTRY and MICRO_REGISTRY_ADDRESS name them.
 */
export function createRegistry(name: string | undefined, address?: string): Registry {
  return pick('registry', REGISTRIES, name ?? DEFAULT_REGISTRY)(address);
}

export function createSelector(
  registry: Registry,
  options: Omit<SelectorOptions, 'registry'> = {},
): Selector {
  return new RegistrySelector({ registry, ...options });
}

/** A transport by name ("tcp", "http", "nats") and address (the NATS servers), as MICRO_TRANSPORT[_ADDRESS] name them. */
export function createTransport(name: string | undefined, address?: string): Transport {
  return pick('transport', TRANSPORTS, name ?? DEFAULT_TRANSPORT)(address || undefined);
}

export function createBroker(
  name: string | undefined,
  address: string | undefined,
  registry: Registry,
): Broker {
  return pick('broker', BROKERS, name ?? DEFAULT_BROKER)(address, registry);
}

export function createCodecs(): Codec[] {
  return defaultCodecs();
}
