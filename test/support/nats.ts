/**
 * A throwaway `nats-server -js` for tests: started on a free loopback port with its JetStream store in
 * a temp folder, ready once a client connects (and JetStream answers), stopped by pid. `restart()`
 * brings it back on the same port and store, so streams and their messages survive it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from './ports.js';
import { findBinary, requireBinary, startProcess, waitFor, type Started } from './processes.js';

export const natsBinary = findBinary('nats-server', 'nats/usr/sbin');
/** `{ skip, reason }` for `describe.skipIf`; throws under CI=true when nats-server is missing. */
export const natsRequirement = requireBinary('nats-server', natsBinary);

export interface NatsServerOptions {
  /** Enable JetStream (store in a temp folder kept across `restart()`). Default true. */
  jetstream?: boolean;
}

export interface NatsServer {
  readonly port: number;
  /** "127.0.0.1:<port>", as MICRO_*_ADDRESS takes it. */
  readonly address: string;
  /** "nats://127.0.0.1:<port>". */
  readonly url: string;
  /** The JetStream store folder (kept across restarts, removed by `dispose`). */
  readonly storeDir: string;
  pid(): number;
  output(): string;
  /** Stops the server by pid (SIGTERM: clean shutdown; SIGKILL: a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store (stopping it first if it still runs). */
  restart(): Promise<void>;
  /** Stops it and removes its store folder. */
  dispose(): Promise<void>;
}

async function ready(port: number, jetstream: boolean): Promise<boolean> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 2_000 });
  try {
    if (jetstream) await nc.request('$JS.API.INFO', undefined, { timeout: 2_000 });
    else await nc.flush();
    return true;
  } finally {
    await nc.close();
  }
}

export async function startNats(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!natsBinary) throw new Error(natsRequirement.reason || 'nats-server not found');
  const binary = natsBinary;
  const jetstream = options.jetstream ?? true;
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'nest-micro-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-n', `nest-micro-test-${port}`];
  if (jetstream) args.push('-js', '-sd', storeDir);
  let proc: Started | undefined;
  let log = '';

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (!proc) return;
    const running = proc;
    proc = undefined;
    await running.stop(signal);
    log += running.output();
  };
  const launch = async (): Promise<void> => {
    await stop();
    const started = startProcess(binary, args);
    proc = started;
    await waitFor(
      async () => {
        if (started.child.exitCode !== null) throw new Error(`nats-server exited: ${started.output()}`);
        return ready(port, jetstream);
      },
      60_000,
      `nats-server on 127.0.0.1:${port}`,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${started.output()}`);
    });
  };

  await launch();
  return {
    port,
    address: `127.0.0.1:${port}`,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    pid: () => proc?.pid ?? -1,
    output: () => log + (proc?.output() ?? ''),
    stop,
    restart: launch,
    dispose: async () => {
      await stop('SIGKILL');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
