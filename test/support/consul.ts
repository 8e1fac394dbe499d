/**
 * A throwaway `consul agent -dev` for tests: every port (http, dns, serf lan/wan, server, grpc) is a
 * free loopback port, it binds and serves on 127.0.0.1 only, keeps its data in a temp folder, and is
 * stopped by pid. `stop()` + `start()` (or `restart()`) bring it back on the same ports and data
 * folder; services it restores come back with critical checks until their owner re-registers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { findBinary, requireBinary, startProcess, waitFor, type Started } from './processes.js';

export const consulBinary = findBinary('consul', 'consul/usr/bin');
/** Under CI=true a missing binary throws here; elsewhere `skip` is true with a reason. */
export const consulAvailability = requireBinary('consul', consulBinary);

export interface ConsulAgent {
  host: string;
  httpPort: number;
  /** "127.0.0.1:<http port>", as MICRO_REGISTRY_ADDRESS takes it. */
  address: string;
  pid: () => number;
  output: () => string;
  /** Stops the agent (SIGTERM by pid); `start` brings it back on the same ports. */
  stop: () => Promise<void>;
  start: () => Promise<void>;
  restart: () => Promise<void>;
  /** Stops the agent and removes its data folder. */
  close: () => Promise<void>;
}

export async function startConsul(): Promise<ConsulAgent> {
  if (!consulBinary) throw new Error(consulAvailability.reason);
  const binary = consulBinary;
  const host = '127.0.0.1';
  const [http, dns, serfLan, serfWan, server, grpc] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const dataDir = mkdtempSync(join(tmpdir(), 'nest-micro-consul-'));
  const args = [
    'agent',
    '-dev',
    '-bind',
    host,
    '-client',
    host,
    '-data-dir',
    dataDir,
    '-http-port',
    String(http),
    '-dns-port',
    String(dns),
    '-serf-lan-port',
    String(serfLan),
    '-serf-wan-port',
    String(serfWan),
    '-server-port',
    String(server),
    '-grpc-port',
    String(grpc),
    '-log-level',
    'warn',
  ];
  let proc: Started | undefined;
  let log = '';

  const ready = async (): Promise<boolean> => {
    const res = await fetch(`http://${host}:${http}/v1/status/leader`);
    const leader = (await res.text()).trim();
    return res.ok && leader !== '""' && leader !== '';
  };

  const start = async (): Promise<void> => {
    proc = startProcess(binary, args);
    await waitFor(ready, 30_000, `consul agent on ${host}:${http}`).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${proc?.output() ?? ''}`);
    });
  };
  const stop = async (): Promise<void> => {
    if (!proc) return;
    log += proc.output();
    await proc.stop('SIGTERM');
    proc = undefined;
  };

  await start();
  return {
    host,
    httpPort: http,
    address: `${host}:${http}`,
    pid: () => proc?.pid ?? -1,
    output: () => log + (proc?.output() ?? ''),
    start,
    stop,
    close: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await start();
    },
  };
}
