/**
 * Helpers for the command-line tests: run `nest-micro` from source as a child process (bounded,
 * stdout/stderr/exit code collected), start the sample greeter as a child, and a TCP listener that
 * accepts calls and never answers (for timeouts). Everything on 127.0.0.1, stopped by pid.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { startProcess, waitFor, type Started } from '../../support/processes.js';

export const CLI = ['--import', './scripts/register-ts.mjs', 'lib/cli/main.ts'];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command to its end (killed after `limitMs`, which then fails the assertion on `code`). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  limitMs = 25_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running command (watch, subscribe) started in the background. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): Started {
  return startProcess(process.execPath, [...CLI, ...args], env);
}

export interface Sample {
  proc: Started;
  address: string;
}

/** The sample greeter (sample/service.ts) as a child with the given MICRO_* environment. */
export function startSample(env: NodeJS.ProcessEnv): Promise<Sample> {
  return startService('sample/service.ts', /greeter ready at (\S+)/, env);
}

/** test/integration/cli/fixtures/echo-service.ts: Echo.Meta, Echo.Fail and the streaming Echo.Stream. */
export function startEcho(env: NodeJS.ProcessEnv): Promise<Sample> {
  return startService('test/integration/cli/fixtures/echo-service.ts', /echo ready at (\S+)/, env);
}

async function startService(script: string, ready: RegExp, env: NodeJS.ProcessEnv): Promise<Sample> {
  const proc = startProcess(process.execPath, ['--import', './scripts/register-ts.mjs', script], env);
  await waitFor(() => ready.test(proc.output()) || proc.child.exitCode !== null, 30_000, script).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}\n${proc.output()}`);
    },
  );
  if (proc.child.exitCode !== null) throw new Error(`${script} exited: ${proc.output()}`);
  return { proc, address: ready.exec(proc.output())![1]! };
}

/** Accepts connections and reads requests without ever replying. */
export async function silentServer(): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One line, no stack frames: what every CLI error must look like. */
export function isOneLineError(stderr: string): boolean {
  const lines = stderr.trim().split('\n');
  return lines.length === 1 && lines[0]!.startsWith('nest-micro: ') && !/\n\s+at /.test(stderr);
}
