/**
 * The server's memory stays bounded under hostile clients, on both transports, at a small scale
 * (bench/memory.bench.ts measures the large one): the memory service (bench/memory/service.ts, a
 * Nest microservice with MicroModule) runs as a child process and raw sockets from this process
 * - hold 1,000 idle connections (half silent, half after one call): served alongside, and the
 *   heap is back near its baseline once they go;
 * - read nothing of a server stream: every producer stops (its count stays put while the clients
 *   are still there) after at most what the flow-control window (tcp) or the kernel's socket
 *   buffers (http) take, and is released when the client goes;
 * - pipeline requests for large replies and read nothing: not every reply is made;
 * - send a request's header and never the body, and read nothing: closed by the configured timeout.
 * Good calls succeed throughout. Only counts and outcomes are asserted, never times; the heap
 * bound (8 MiB over the baseline after a GC) is as loose as the HTTP fuzz's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemoryService, type MemoryService, type ServiceOptions } from '../../../bench/memory/child.js';
import { goodCaller, stable, type GoodCaller } from '../../../bench/memory/measure.js';
import { INITIAL_WINDOW } from '../../../lib/core/transport/tcp/protocol.js';
import {
  destroyAll,
  headerOnly,
  idle,
  keptAlive,
  openMany,
  slowReader,
  type Hostile,
  type Wire,
} from '../../support/hostile-clients.js';
import { waitFor } from '../../support/processes.js';

const MiB = 1024 * 1024;
const FEED = 16 * 1024;

/** The most the kernel's buffers of one loopback connection can hold (send + receive maximum). */
function kernelBuffers(): number {
  return sysctlMax('tcp_wmem') + sysctlMax('tcp_rmem');
}

function sysctlMax(file: string): number {
  return Number(readFileSync(`/proc/sys/net/ipv4/${file}`, 'utf8').trim().split(/\s+/)[2]);
}

const paused = (client: Hostile): Hostile => {
  client.socket.pause();
  return client;
};

describe.each(['http', 'tcp'] as Wire[])('memory bounds on the %s transport', (wire) => {
  let service: MemoryService;
  let caller: GoodCaller;
  let own = 0;

  async function start(options: Partial<ServiceOptions> = {}): Promise<void> {
    await service?.stop();
    service = await startMemoryService({ transport: wire, ...options });
    await good(); // the good caller's own connections are there from now on
    own = (await service.stats()).connections;
  }

  async function good(): Promise<void> {
    const probe = await caller.probe(service.address, 5);
    expect(probe.ok).toBe(probe.total);
  }

  const connections = async (): Promise<number> => (await service.stats()).connections;

  beforeAll(async () => {
    caller = await goodCaller(wire);
    await start();
  });
  afterAll(async () => {
    await caller?.close();
    await service?.stop();
  });

  it('holds 1,000 idle connections, serves alongside, and gives the memory back', async () => {
    const base = (await service.gc()).heapUsed;
    const clients = [
      ...(await openMany(500, 250, () => idle(service.address))),
      ...(await openMany(500, 250, () => keptAlive(service.address, wire))),
    ];
    await waitFor(async () => (await connections()) >= own + 1_000, 20_000, 'the connections');
    await good();
    await destroyAll(clients);
    await waitFor(async () => (await connections()) <= own, 20_000, 'the connections to close');
    await good();
    expect((await service.gc()).heapUsed).toBeLessThan(base + 8 * MiB);
  });

  it('stops producing a stream its client does not read, and releases it when the client goes', async () => {
    const clients = await openMany(20, 20, async () =>
      paused(await slowReader(service.address, wire, 'feed', FEED)),
    );
    await waitFor(async () => (await service.stats()).feeds === 20, 20_000, 'the streams');
    // every producer stopped: the count stays put while the clients are still connected
    const produced = await stable(async () => (await service.stats()).produced, 20_000, 6);
    await good();
    const perStream = (produced * FEED) / 20;
    if (wire === 'tcp') expect(perStream).toBeLessThanOrEqual(INITIAL_WINDOW + FEED);
    else expect(perStream).toBeLessThanOrEqual(kernelBuffers() + MiB);
    expect((await service.stats()).produced).toBe(produced);
    await destroyAll(clients);
    await waitFor(async () => (await service.stats()).feeds === 0, 20_000, 'the producers to end');
    await good();
  });

  it('does not make every reply a pipelining client that reads nothing asked for', async () => {
    const before = (await service.stats()).bigReplies;
    const clients = await openMany(5, 5, async () =>
      paused(await slowReader(service.address, wire, 'big', MiB, 40)),
    );
    const made = (await stable(async () => (await service.stats()).bigReplies, 20_000, 6)) - before;
    await good();
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(5 * 40);
    await destroyAll(clients);
    await good();
  });

  it('closes clients that send a header and never the body, by the configured timeout', async () => {
    // headersTimeout / requestTimeout (http), serverIdleTimeout (tcp): a fresh service with short ones
    await start({ headersTimeout: 200, requestTimeout: 400, idleTimeout: 300 });
    const base = (await service.gc()).heapUsed;
    const clients = await openMany(200, 200, async () => paused(await headerOnly(service.address, wire)));
    await good();
    await waitFor(async () => (await connections()) <= own, 20_000, 'the server to close them');
    expect(clients.length).toBe(200);
    await good();
    expect((await service.gc()).heapUsed).toBeLessThan(base + 8 * MiB);
    await destroyAll(clients);
  });
});
