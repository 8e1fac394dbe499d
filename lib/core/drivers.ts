/**
 * The third-party drivers, each loaded on its first use instead of when nest-micro is imported: a
 * service on mDNS and the HTTP broker never loads ioredis, consul, protobufjs, undici or cockatiel
 * (the Nest layer loads class-validator the same way: lib/nest/validation/libraries.ts). All are
 * CommonJS packages, so they are required synchronously (several of the APIs that first need one
 * are synchronous: a transport's dial, a registry's constructor, a codec's encode); a driver
 * already loaded costs one property read.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A loader of package `id` that requires it on its first call and hands the same module after. */
export function onFirstUse<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

export const undici = onFirstUse<typeof import('undici')>('undici');
export const ioredis = onFirstUse<typeof import('ioredis')>('ioredis');
export const consul = onFirstUse<typeof import('consul')>('consul');
export const multicastDns = onFirstUse<typeof import('multicast-dns')>('multicast-dns');
export const protobufjs = onFirstUse<typeof import('protobufjs')>('protobufjs');
export const cockatiel = onFirstUse<typeof import('cockatiel')>('cockatiel');
