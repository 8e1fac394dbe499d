/**
 * Implementations by name, as MICRO_REGISTRY / MICRO_TRANSPORT / MICRO_BROKER name them, and the
 * embedded defaults. New implementations add one line to the table of their abstraction.
 */
import type { Broker } from './broker/broker.js';
import { MemoryBroker } from './broker/memory.broker.js';
import type { Codec } from './codec/codec.js';
import { defaultCodecs } from './codec/index.js';
import { MemoryRegistry } from './registry/memory.registry.js';
import type { Registry } from './registry/registry.js';
import { RegistrySelector } from './selector/registry.selector.js';
import type { Selector, SelectorOptions } from './selector/selector.js';
import { HttpTransport } from './transport/http/http.transport.js';
import type { Transport } from './transport/transport.js';

type Factory<T, A extends unknown[] = []> = (address: string | undefined, ...rest: A) => T;

/** One process-wide memory registry, so services and clients of one process find each other. */
let sharedMemoryRegistry: MemoryRegistry | undefined;
const memoryRegistry = (): MemoryRegistry => (sharedMemoryRegistry ??= new MemoryRegistry());

export const REGISTRIES: Record<string, Factory<Registry>> = {
  memory: () => memoryRegistry(),
};
export const DEFAULT_REGISTRY = 'memory';

export const TRANSPORTS: Record<string, Factory<Transport>> = {
  http: () => new HttpTransport(),
};
export const DEFAULT_TRANSPORT = 'http';

export const BROKERS: Record<string, Factory<Broker, [Registry]>> = {
  memory: () => new MemoryBroker(),
};
export const DEFAULT_BROKER = 'memory';

function pick<T>(kind: string, table: Record<string, T>, name: string): T {
  const factory = table[name.toLowerCase()];
  if (!factory)
    throw new Error(`nest-micro: unknown ${kind} "${name}"; known: ${Object.keys(table).join(', ')}`);
  return factory;
}

export function createRegistry(name: string | undefined, address?: string): Registry {
  return pick('registry', REGISTRIES, name ?? DEFAULT_REGISTRY)(address);
}

export function createSelector(registry: Registry, options: Omit<SelectorOptions, 'registry'> = {}): Selector {
  return new RegistrySelector({ registry, ...options });
}

export function createTransport(name: string | undefined): Transport {
  return pick('transport', TRANSPORTS, name ?? DEFAULT_TRANSPORT)(undefined);
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
