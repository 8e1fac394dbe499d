/**
 * A throwaway redis-server for tests: started on a free loopback port with persistence off (or on,
 * for restart tests), ready once it answers PING, stopped by pid. `restart()` brings it back on the
 * same port with the same data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { findBinary, requireBinary, startProcess, waitFor, type Started } from './processes.js';

export const redisBinary = findBinary('redis-server', 'redis');
/** `{ skip, reason }` for `describe.skipIf`; throws under CI=true when redis-server is missing. */
export const redisRequirement = requireBinary('redis-server', redisBinary);

export interface RedisServerOptions {
  /** Keep data across `restart()` (append-only file, fsync on every write). Default false. */
  persist?: boolean;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  pid(): number;
  /** Stops the server (SIGTERM: with `persist` the data is flushed; SIGKILL loses nothing fsynced). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it and removes its data directory. */
  dispose(): Promise<void>;
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!redisBinary) throw new Error(redisRequirement.reason || 'redis-server not found');
  const binary = redisBinary;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nest-micro-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    options.persist ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--logfile',
    '',
    '--protected-mode',
    'yes',
  ];
  let proc: Started | undefined;
  const launch = async (): Promise<void> => {
    proc = startProcess(binary, args);
    const started = proc;
    await waitFor(
      async () => {
        if (started.child.exitCode !== null) throw new Error(`redis-server exited: ${started.output()}`);
        return ping(port);
      },
      10_000,
      `redis-server on port ${port}`,
    );
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => proc?.pid ?? -1,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => proc?.stop(signal),
    restart: launch,
    dispose: async () => {
      await proc?.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
