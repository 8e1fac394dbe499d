/**
 * The third-party drivers, each loaded on its first use instead of when nest-micro is imported: a
 * service on mDNS and the HTTP broker never loads ioredis, consul, etcd3, protobufjs, undici or cockatiel
 * (the Nest layer loads class-validator the same way: lib/nest/validation/libraries.ts). All are
 * CommonJS packages, so they are required synchronously (several of the APIs that first need one
 * are synchronous: a transport's dial, a registry's constructor, a codec's encode); a driver
 * already loaded costs one property read.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A loader of package `id` that requires it on its first call and hands the same module after; a
 * package that is not installed is an error naming it and what needs it.
 */
export function onFirstUse<T>(id: string, neededBy: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load<T>(id, neededBy));
}

function load<T>(id: string, neededBy: string): T {
  try {
    return require(id) as T;
  } catch (error) {
    const missing =
      (error as { code?: string }).code === 'MODULE_NOT_FOUND' && String(error).includes(`'${id}'`);
    if (!missing) throw error;
    throw new Error(`nest-micro: ${neededBy} needs the "${id}" package; install it: npm install ${id}`, {
      cause: error,
    });
  }
}

export const undici = onFirstUse<typeof import('undici')>('undici', 'the HTTP transport and broker');
export const ioredis = onFirstUse<typeof import('ioredis')>('ioredis', 'the Redis broker');
export const consul = onFirstUse<typeof import('consul')>('consul', 'the Consul registry');
export const etcd3 = onFirstUse<typeof import('etcd3')>('etcd3', 'the etcd registry');
export const multicastDns = onFirstUse<typeof import('multicast-dns')>('multicast-dns', 'the mDNS registry');
export const protobufjs = onFirstUse<typeof import('protobufjs')>(
  'protobufjs',
  'protobuf (.proto loading, proto-rpc)',
);
export const cockatiel = onFirstUse<typeof import('cockatiel')>('cockatiel', 'the circuit breaker');
export const natsTransportNode = onFirstUse<typeof import('@nats-io/transport-node')>(
  '@nats-io/transport-node',
  'the NATS registry, transport and broker',
);
export const natsJetStream = onFirstUse<typeof import('@nats-io/jetstream')>(
  '@nats-io/jetstream',
  'the NATS broker (JetStream)',
);
export const ws = onFirstUse<typeof import('ws')>('ws', "the dashboard's stream route (nest-micro web)");
