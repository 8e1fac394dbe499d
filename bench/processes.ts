/**
 * Child processes of the harness: a script run by Node (compiled .js as it is, .ts with the
 * project's loader), or a program
 * (the go-micro peer) run as it is; a server that is ready once it prints READY (or the Go peer's
 * `{"event":"ready"}` line), a client run to completion under a time budget. Every process is
 * stopped by its own pid (SIGTERM, then SIGKILL after 5 s).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const loader = fileURLToPath(new URL('../scripts/register-ts.mjs', import.meta.url));

export interface ServerProcess {
  pid: number;
  stop(): Promise<void>;
}

/** A script run by Node (.js, or .ts under the loader), or a program with its arguments. */
export type Target = string | { command: string; args: string[] };

const describeTarget = (target: Target): string =>
  typeof target === 'string' ? target : `${target.command} ${target.args.join(' ')}`;

function spawnTs(
  target: Target,
  env: Record<string, string>,
  nodeArgs: string[],
  args: string[],
): ChildProcess {
  const options: SpawnOptions = { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] };
  if (typeof target !== 'string') return spawn(target.command, [...target.args, ...args], options);
  const hook = target.endsWith('.ts') ? ['--import', loader] : [];
  return spawn(process.execPath, [...nodeArgs, ...hook, target, ...args], options);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a server script; resolves once it printed READY (rejects on exit or after 30 s). */
export function startServer(
  script: Target,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const child = spawnTs(script, env, nodeArgs, []);
  let out = '';
  const server: ServerProcess = { pid: child.pid ?? -1, stop: () => stopChild(child) };
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stopChild(child);
      reject(new Error(`${describeTarget(script)}: ${why}\n${out.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('not ready within 30 s'), 30_000);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^READY|"event":"ready"/m.test(out)) {
        clearTimeout(timer);
        resolve(server);
      }
    });
    child.once('exit', (code) => fail(`exited with ${code} before READY`));
  });
}

/** Runs a script to completion; resolves with its stdout, rejects on a non-zero exit or after `budgetMs`. */
export function runNode(
  script: Target,
  env: Record<string, string>,
  nodeArgs: string[],
  budgetMs: number,
  args: string[] = [],
): Promise<string> {
  const child = spawnTs(script, env, nodeArgs, args);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`${describeTarget(script)}: no result within ${budgetMs} ms\n${err.slice(-2000)}`));
    }, budgetMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${describeTarget(script)}: exited with ${code ?? signal}\n${(err || out).slice(-2000)}`),
        );
    });
  });
}

/** A free port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
