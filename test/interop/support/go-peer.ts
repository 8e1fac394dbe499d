/**
 * Real go-micro peers for interop tests: the Go program test/interop/go/v5peer (go-micro.dev/v5
 * v5.30.0), built once per source change and run as child processes that print JSON lines.
 *
 *   if (goAvailability.skip) → skip (one line why); under CI=true a missing `go` throws.
 *   beforeAll(() => buildGoPeer(), GO_BUILD_TIMEOUT_MS);    // cold ~70-120 s, then cached
 *   const greeter = startGoPeer(['serve'], consulEnv(consul.address));
 *   const ready = await greeter.ready();                      // {service, nodeId, address, broker, registry}
 *   const [reply] = await runGoPeer(['call', '--service', 'go.greeter', '--endpoint', 'Greeter.Hello',
 *     '--body', '{"name":"John"}'], consulEnv(consul.address));   // {ok: true, body: {msg: 'Hello John'}, ms}
 *   await greeter.stop();                                     // SIGTERM (go-micro deregisters), SIGKILL after 5 s
 *
 * The peer's modes, flags and output lines are documented in test/interop/go/v5peer/main.go and
 * test/interop/README.md. go-micro reads only its MICRO_* variables (pass them in `env`); the peer
 * binds 127.0.0.1 unless MICRO_SERVER_ADDRESS / MICRO_BROKER_ADDRESS say otherwise.
 *
 * mDNS is go-micro's default registry and joins multicast on every interface, so a peer without
 * `{ netns }` must be given a non-mDNS MICRO_REGISTRY (consul, memory): startGoPeer refuses otherwise.
 * With `{ netns }` (see ./netns.ts) the peer runs inside that namespace and netns.close() ends it too.
 *
 * Builds: `go build -o .cache/go-bin/v5peer-<hash> ./v5peer` in test/interop/go, <hash> covering every
 * *.go, *.proto, go.mod and go.sum there. Concurrent vitest workers share one build through a lock
 * directory (a dead owner's lock is taken over); the binary is built under a temporary name and
 * renamed into place, and older v5peer-* binaries are removed after a build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../../support/processes.js';
import type { Netns } from './netns.js';

/** test/interop/go: the Go module of the peers (in the source tree also when this file runs built, from dist/). */
export const GO_DIR = fileURLToPath(new URL('../go', import.meta.url)).replace(
  /([\\/])dist[\\/](?=test[\\/])/,
  '$1',
);
/** Where built peers are cached (git-ignored). */
export const GO_BIN_DIR = join(GO_DIR, '.cache', 'go-bin');
/** Budget of one build (a cold one downloads modules and compiles go-micro: ~70-120 s here). */
export const GO_BUILD_TIMEOUT_MS = 300_000;

export const goBinary =
  findBinary('go') ?? ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find((p) => existsSync(p));

/** Under CI=true a missing `go` throws here; elsewhere `skip` is true with the reason. */
export const goAvailability: { skip: boolean; reason: string } = (() => {
  if (goBinary) return { skip: false, reason: '' };
  const reason = 'go not found (PATH, /usr/local/go/bin): install Go 1.26+ to run the go-micro interop tests';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return { skip: true, reason };
})();

/** A go-micro error as the peer prints it. */
export interface GoError {
  id: string;
  code: number;
  detail: string;
  status: string;
}

/** One JSON line printed by the peer (shapes per mode in test/interop/README.md). */
export interface GoLine {
  event?: string;
  ok?: boolean;
  body?: any;
  error?: GoError;
  [key: string]: any;
}

export interface ReadyLine extends GoLine {
  event: 'ready';
  service: string;
  nodeId: string;
  /** The go-micro server's listen address, host:port. */
  address: string;
  /** The http broker's listen address, host:port. */
  broker: string;
  registry: string;
}

export interface GoPeer {
  pid: number;
  args: string[];
  /** Parsed JSON lines printed so far (stdout lines that are not JSON are left out). */
  lines(): GoLine[];
  /** Everything printed so far: stdout, then stderr (go-micro's logs). */
  output(): string;
  /** The first line (printed so far or later) matching `predicate`; rejects on timeout or exit. */
  waitForLine(predicate: (line: GoLine) => boolean, timeoutMs?: number, what?: string): Promise<GoLine>;
  /** waitForLine for {"event":"ready"}: the server is started, registered and subscribed. */
  ready(timeoutMs?: number): Promise<ReadyLine>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (go-micro deregisters and prints {"event":"stopped"}), SIGKILL after 5 s; by pid. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface GoPeerOptions {
  /** Run inside this network namespace (required for mDNS). */
  netns?: Netns;
  /** A specific binary instead of the one buildGoPeer() built. */
  binary?: string;
}

/** Env for a peer using the Consul agent at `address` (test/support/consul.ts: agent.address). */
export const consulEnv = (address: string): Record<string, string> => ({
  MICRO_REGISTRY: 'consul',
  MICRO_REGISTRY_ADDRESS: address,
});

// ---------------------------------------------------------------------------------------------- build

const SUPPORTED = ['v5'];
let sourceHash: string | undefined;

function hashSources(): string {
  if (sourceHash) return sourceHash;
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(go|proto)$/.test(entry.name) || entry.name === 'go.mod' || entry.name === 'go.sum')
        files.push(path);
    }
  };
  walk(GO_DIR);
  const hash = createHash('sha256');
  for (const file of files.toSorted()) {
    hash.update(relative(GO_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  sourceHash = hash.digest('hex').slice(0, 16);
  return sourceHash;
}

function binaryPath(version: string): string {
  if (!SUPPORTED.includes(version))
    throw new Error(
      `no go-micro ${version} peer: only go-micro.dev/v5 v5.30.0 is available (v6 is not on the Go module proxy)`,
    );
  return join(GO_BIN_DIR, `${version}peer-${hashSources()}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function lockIsStale(lock: string): boolean {
  try {
    const owner = Number(readFileSync(join(lock, 'owner'), 'utf8'));
    if (owner > 0 && !alive(owner)) return true;
  } catch {
    // owner not written yet (or lock just removed): stale only when old
    try {
      return Date.now() - statSync(lock).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  try {
    return Date.now() - statSync(lock).mtimeMs > GO_BUILD_TIMEOUT_MS;
  } catch {
    return false;
  }
}

function goBuild(version: string, output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(goBinary!, ['build', '-buildvcs=false', '-o', output, `./${version}peer`], {
      cwd: GO_DIR,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), GO_BUILD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`go build ./${version}peer failed (${signal ?? code}):\n${log}`));
    });
  });
}

async function buildLocked(version: string, target: string): Promise<void> {
  mkdirSync(GO_BIN_DIR, { recursive: true });
  const lock = `${target}.lock`;
  const deadline = Date.now() + GO_BUILD_TIMEOUT_MS + 30_000;
  for (;;) {
    if (existsSync(target)) return;
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`timed out waiting for another build of ${target}`, { cause: error });
      else await sleep(250);
      continue;
    }
    const tmp = `${target}.tmp-${process.pid}`;
    try {
      writeFileSync(join(lock, 'owner'), String(process.pid));
      if (existsSync(target)) return; // built between our check and the lock
      process.stderr.write(`building the go-micro ${version} peer (${target}); a cold build takes 1-2 min\n`);
      const started = Date.now();
      await goBuild(version, tmp);
      renameSync(tmp, target);
      process.stderr.write(
        `built the go-micro ${version} peer in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      for (const old of readdirSync(GO_BIN_DIR)) {
        const path = join(GO_BIN_DIR, old);
        if (old.startsWith(`${version}peer-`) && /^[\w]+peer-[0-9a-f]+$/.test(old) && path !== target)
          rmSync(path, { force: true });
      }
    } finally {
      rmSync(tmp, { force: true });
      rmSync(lock, { recursive: true, force: true });
    }
    return;
  }
}

const builds = new Map<string, Promise<string>>();

/**
 * Builds the peer when its sources changed since the last build (else returns at once) and resolves
 * to the binary's path. Call it in beforeAll with GO_BUILD_TIMEOUT_MS as the hook's timeout.
 */
export function buildGoPeer(version = 'v5'): Promise<string> {
  if (!goBinary) return Promise.reject(new Error(goAvailability.reason));
  let build = builds.get(version);
  if (!build) {
    const target = binaryPath(version);
    build = buildLocked(version, target).then(() => target);
    build.catch(() => builds.delete(version));
    builds.set(version, build);
  }
  return build;
}

// ---------------------------------------------------------------------------------------------- run

function builtBinary(version = 'v5'): string {
  const target = binaryPath(version);
  if (!existsSync(target))
    throw new Error(`the go-micro peer is not built: await buildGoPeer() in beforeAll first`);
  return target;
}

function refuseMdnsOutsideNetns(env: Record<string, string | undefined>, options: GoPeerOptions): void {
  if (options.netns) return;
  const registry = env.MICRO_REGISTRY ?? process.env.MICRO_REGISTRY;
  if (!registry || registry === 'mdns')
    throw new Error(
      'a go-micro peer on mDNS joins multicast on every interface: pass { netns } (./netns.ts) or a MICRO_REGISTRY such as consul',
    );
}

/** Starts the peer (long-running modes: serve, subscribe, watch; or any mode, read as it goes). */
export function startGoPeer(
  args: string[],
  env: Record<string, string> = {},
  options: GoPeerOptions = {},
): GoPeer {
  refuseMdnsOutsideNetns(env, options);
  const binary = options.binary ?? builtBinary();
  const [command, argv] = options.netns ? options.netns.exec(binary, args) : [binary, args];
  const child: ChildProcess = spawn(command, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  if (options.netns && pid > 0) options.netns.track(pid);

  const parsed: GoLine[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const check of waiters) check(); // a check may delete itself: Set iteration allows it
  };

  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString();
    stdout += text;
    const chunks = (partial + text).split('\n');
    partial = chunks.pop() ?? '';
    for (const line of chunks) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as GoLine);
      } catch {
        /* not one of ours */
      }
    }
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close': the process has exited and its stdout and stderr are drained
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      exit ??= { code, signal };
      resolve(exit);
      notify();
    };
    child.once('close', done);
    child.once('error', (error) => {
      stderr += `${String(error)}\n`;
      done(null, null);
    });
  });

  const output = (): string => `${stdout}${stderr ? `--- stderr\n${stderr}` : ''}`;
  const peer: GoPeer = {
    pid,
    args,
    lines: () => [...parsed],
    output,
    exited,
    waitForLine(predicate, timeoutMs = 10_000, what = 'a matching line') {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = parsed.find(predicate);
          if (found) finish(() => resolve(found));
          else if (exit)
            finish(() =>
              reject(
                new Error(
                  `go peer ${args[0]} exited (${exit!.signal ?? exit!.code}) before ${what}\n${output()}`,
                ),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `timed out after ${timeoutMs} ms waiting for ${what} from go peer ${args.join(' ')}\n${output()}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    ready: (timeoutMs = 20_000) =>
      peer.waitForLine((l) => l.event === 'ready', timeoutMs, 'the ready line') as Promise<ReadyLine>,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exit || pid <= 0) return;
      try {
        process.kill(pid, signal);
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return peer;
}

/**
 * Runs a one-shot mode (call, stream, publish, list, get) to its end and resolves to its JSON lines.
 * Rejects when it exits with another code than 0 (or 3: `stream` gave up after its --timeout, its last
 * line says so), or has not exited after `timeoutMs` (it is killed).
 */
export async function runGoPeer(
  args: string[],
  env: Record<string, string> = {},
  options: GoPeerOptions & { timeoutMs?: number } = {},
): Promise<GoLine[]> {
  const { timeoutMs = 20_000 } = options;
  const peer = startGoPeer(args, env, options);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  );
  const result = await Promise.race([peer.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    await peer.stop('SIGKILL');
    throw new Error(`go peer ${args.join(' ')} did not exit within ${timeoutMs} ms\n${peer.output()}`);
  }
  if (result.code !== 0 && result.code !== 3)
    throw new Error(`go peer ${args.join(' ')} exited (${result.signal ?? result.code})\n${peer.output()}`);
  return peer.lines();
}
