/**
 * Starting and stopping real server processes for tests: spawn, wait until ready, stop by pid.
 * `requireBinary` makes a missing backend fail under CI=true and skip (with a reason) elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Started {
  child: ChildProcess;
  pid: number;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first existing path among the project's .backends folder and PATH, or undefined. */
export function findBinary(name: string, backendsSubdir?: string): string | undefined {
  const candidates: string[] = [];
  if (backendsSubdir) candidates.push(join(process.cwd(), '.backends', backendsSubdir, name));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, name));
  return candidates.find((p) => existsSync(p));
}

/** Under CI a missing backend is a failure; elsewhere the suite is skipped with the reason. */
export function requireBinary(name: string, path: string | undefined): { skip: boolean; reason: string } {
  if (path) return { skip: false, reason: '' };
  const reason = `${name} not found: run "bash scripts/install-backends.sh" (Debian, as root)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return { skip: true, reason };
}
