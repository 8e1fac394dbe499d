/**
 * A throwaway single-member etcd for tests: client, peer and metrics URLs on free loopback ports,
 * data in a temp folder, ready once /health (on the plain-HTTP metrics URL) answers true, stopped
 * by pid. With `tls` the client URL is HTTPS with that certificate. `stop()` + `start()` (or
 * `restart()`) bring it back on the same ports and data folder, so keys and leases survive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { findBinary, requireBinary, startProcess, waitFor, type Started } from './processes.js';

export const etcdBinary = findBinary('etcd', 'etcd/usr/bin');
/** `{ skip, reason }` for `describe.skipIf`; throws under CI=true when etcd is missing. */
export const etcdAvailability = requireBinary('etcd', etcdBinary);

export interface EtcdServer {
  readonly host: string;
  readonly clientPort: number;
  /** "127.0.0.1:<client port>", as MICRO_REGISTRY_ADDRESS takes it. */
  readonly address: string;
  pid(): number;
  output(): string;
  /** Stops the server (SIGTERM by pid); `start` brings it back on the same ports and data. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its data folder. */
  dispose(): Promise<void>;
}

export interface EtcdServerOptions {
  /** Serve clients over HTTPS with these PEM files (test/support/pki.ts writes them). */
  tls?: { certFile: string; keyFile: string };
}

export async function startEtcd(options: EtcdServerOptions = {}): Promise<EtcdServer> {
  if (!etcdBinary) throw new Error(etcdAvailability.reason);
  const binary = etcdBinary;
  const host = '127.0.0.1';
  const clientPort = await freePort();
  const peerPort = await freePort();
  const metricsPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'nest-micro-etcd-'));
  const client = `${options.tls ? 'https' : 'http'}://${host}:${clientPort}`;
  const metrics = `http://${host}:${metricsPort}`;
  const peer = `http://${host}:${peerPort}`;
  const args = [
    '--name',
    'test',
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `test=${peer}`,
    '--listen-metrics-urls',
    metrics,
    ...(options.tls ? ['--cert-file', options.tls.certFile, '--key-file', options.tls.keyFile] : []),
    '--logger',
    'zap',
    '--log-level',
    'warn',
  ];
  let proc: Started | undefined;
  let log = '';

  const healthy = async (): Promise<boolean> => {
    const res = await fetch(`${metrics}/health`);
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  };

  const start = async (): Promise<void> => {
    proc = startProcess(binary, args);
    const started = proc;
    await waitFor(
      async () => {
        if (started.child.exitCode !== null) throw new Error('exited');
        return healthy();
      },
      60_000,
      `etcd on ${host}:${clientPort}`,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${started.output()}`);
    });
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (!proc) return;
    const stopping = proc;
    proc = undefined;
    await stopping.stop(signal);
    log += stopping.output();
  };

  await start();
  return {
    host,
    clientPort,
    address: `${host}:${clientPort}`,
    pid: () => proc?.pid ?? -1,
    output: () => log + (proc?.output() ?? ''),
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    dispose: async () => {
      await stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
