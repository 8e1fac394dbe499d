/**
 * Importing nest-micro loads none of its drivers: each is required on its first use
 * (lib/core/drivers.ts). The test file imports nothing else, and vitest runs it in a process of
 * its own, so the CommonJS module cache shows what the package root pulled in.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const DRIVERS = [
  'ioredis',
  'consul',
  'etcd3',
  'multicast-dns',
  'protobufjs',
  'undici',
  'cockatiel',
  'class-validator',
  'class-transformer',
  '@nats-io/transport-node',
  '@nats-io/jetstream',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/sdk-metrics',
];

function loadedDrivers(): string[] {
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  return DRIVERS.filter((d) => loaded.some((file) => file.includes(`/node_modules/${d}/`)));
}

describe('lazy drivers', () => {
  it('importing the package root loads no driver; the first use loads it', async () => {
    await import('../../../lib/index.js');
    expect(loadedDrivers()).toEqual([]);
    const { undici } = await import('../../../lib/core/drivers.js');
    expect(typeof undici().Pool).toBe('function');
    expect(loadedDrivers()).toEqual(['undici']);
  });

  it('a driver that is not installed is an error naming the package and what needs it', async () => {
    const { onFirstUse } = await import('../../../lib/core/drivers.js');
    const missing = onFirstUse('nest-micro-absent-driver', 'the test broker');
    expect(missing).toThrow(
      'nest-micro: the test broker needs the "nest-micro-absent-driver" package; install it: npm install nest-micro-absent-driver',
    );
  });
});
