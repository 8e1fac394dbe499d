/**
 * Starts bench/memory/service.ts as a child process (with --expose-gc) and reads its memory from
 * outside: RSS and its peak from /proc/<pid>/status (VmRSS, VmHWM; the peak is reset through
 * /proc/<pid>/clear_refs), heap and counters from the child's `stats` / `gc` replies on stdin/stdout.
 * Stopped by its own pid (stdin closed, then SIGKILL after 5 s).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const loader = fileURLToPath(new URL('../../scripts/register-ts.mjs', import.meta.url));
const script = fileURLToPath(new URL('./service.ts', import.meta.url));

export interface ServiceStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Server-side connections open. */
  connections: number;
  /** Messages the Memory.Feed generators yielded so far, and generators running. */
  produced: number;
  feeds: number;
  /** Memory.Big replies made so far. */
  bigReplies: number;
}

export interface ServiceOptions {
  transport: 'http' | 'tcp';
  headersTimeout?: number;
  requestTimeout?: number;
  keepAliveTimeout?: number;
  /** The tcp transport's serverIdleTimeout. */
  idleTimeout?: number;
}

export interface MemoryService {
  pid: number;
  address: string;
  stats(): Promise<ServiceStats>;
  /** Two full GCs in the child, then its stats. */
  gc(): Promise<ServiceStats>;
  /** VmRSS, bytes. */
  rss(): number;
  /** VmHWM (the peak RSS since the last resetPeak), bytes. */
  peakRss(): number;
  resetPeak(): void;
  stop(): Promise<void>;
}

function status(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : NaN;
}

export function startMemoryService(options: ServiceOptions): Promise<MemoryService> {
  const flags: string[] = ['--transport', options.transport];
  for (const [flag, value] of [
    ['--headers-timeout', options.headersTimeout],
    ['--request-timeout', options.requestTimeout],
    ['--keep-alive-timeout', options.keepAliveTimeout],
    ['--idle-timeout', options.idleTimeout],
  ] as const) {
    if (value !== undefined) flags.push(flag, String(value));
  }
  const child = spawn(process.execPath, ['--expose-gc', '--import', loader, script, ...flags], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const waiting: ((stats: ServiceStats) => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ask = (command: string): Promise<ServiceStats> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`memory service exited\n${stderr}`));
      }
      waiting.push(resolve);
      child.stdin!.write(`${command}\n`);
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.stdin!.end();
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`memory service not ready within 30 s\n${stderr}`));
    }, 30_000);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`memory service exited before READY\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        return resolve({
          pid,
          address: line.slice('READY '.length).trim(),
          stats: () => ask('stats'),
          gc: () => ask('gc'),
          rss: () => status(pid, 'VmRSS'),
          peakRss: () => status(pid, 'VmHWM'),
          resetPeak: () => writeFileSync(`/proc/${pid}/clear_refs`, '5'),
          stop,
        });
      }
      if (line.startsWith('{')) waiting.shift()?.(JSON.parse(line) as ServiceStats);
    });
  });
}
