/**
 * A throwaway network namespace for mDNS scenarios. go-micro's mDNS registry joins the multicast group
 * on every interface, so it must never run in the machine's own namespace: inside one of these the only
 * interface is a fresh `lo` (up, multicast on, 224.0.0.0/4 routed to it) and nothing can leave it.
 *
 *   if (netnsAvailability.skip) → skip (one line why); under CI=true a missing prerequisite throws.
 *   const ns = await createNetns();           // holder: `unshare -n sleep <lifetimeSeconds>`
 *   ns.start(cmd, args, env)                  // a Started (test/support/processes.ts) running inside
 *   ns.node('test/x/fixture.ts', args, env)   // TypeScript, as the repo's process tests run it
 *   await ns.run(cmd, args)                   // one-shot: { code, stdout, stderr }
 *   ns.exec(cmd, args)                        // [command, args] that run inside (nsenter -t <pid> -n --)
 *   ns.track(pid)                             // close() also ends a process you spawned yourself
 *   await ns.close()                          // ends every process started inside, then the holder
 *
 * Needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN), util-linux's unshare/nsenter and iproute2's ip.
 * Every nsenter first checks that the holder is still in its own namespace (never the machine's).
 * Processes are ended by pid: SIGTERM, then SIGKILL after 3 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { findBinary, startProcess, waitFor, type Started } from '../../support/processes.js';

export interface Netns {
  /** Pid of the holder process whose network namespace this is. */
  holderPid: number;
  /** The command and arguments that run `command args` inside the namespace. */
  exec(command: string, args: string[]): [string, string[]];
  /** Starts a process inside (stdout and stderr collected together), ended by close(). */
  start(command: string, args: string[], env?: NodeJS.ProcessEnv): Started;
  /** Starts a TypeScript program inside: node --import ./scripts/register-ts.mjs <script> <args>. */
  node(script: string, args?: string[], env?: NodeJS.ProcessEnv): Started;
  /** Runs a command inside to completion (killed after timeoutMs). */
  run(
    command: string,
    args: string[],
    options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** close() will end this pid too (for processes spawned with exec()). */
  track(pid: number): void;
  /** Ends every process started inside, then the holder; the namespace goes with the last of them. */
  close(): Promise<void>;
}

const tools = {
  unshare: findBinary('unshare'),
  nsenter: findBinary('nsenter'),
  ip: findBinary('ip') ?? ['/usr/sbin/ip', '/sbin/ip'].find((p) => existsSync(p)),
};
const ipBinary = tools.ip;

function probe(): string {
  const missing = Object.entries(tools)
    .filter(([, path]) => !path)
    .map(([name]) => name);
  if (missing.length > 0) return `${missing.join(', ')} not found (util-linux, iproute2)`;
  const r = spawnSync(tools.unshare!, ['-n', ipBinary!, 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (r.status !== 0)
    return `cannot create a network namespace (needs root): ${(r.stderr || String(r.error)).trim()}`;
  return '';
}

/** Under CI=true a missing prerequisite throws here; elsewhere `skip` is true with the reason. */
export const netnsAvailability: { skip: boolean; reason: string } = (() => {
  const why = probe();
  if (!why) return { skip: false, reason: '' };
  const reason = `network namespaces unavailable: ${why}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return { skip: true, reason };
})();

const netnsOf = (pid: number | 'self'): string => readlinkSync(`/proc/${pid}/ns/net`);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function end(pid: number, graceMs = 3_000): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  try {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/**
 * Creates the namespace. The holder sleeps at most `lifetimeSeconds` (default 15 min), so a crashed
 * test run leaves no holder behind for longer than that.
 */
export async function createNetns({ lifetimeSeconds = 900 } = {}): Promise<Netns> {
  if (netnsAvailability.skip) throw new Error(netnsAvailability.reason);
  const holder = spawn(tools.unshare!, ['-n', 'sleep', String(lifetimeSeconds)], { stdio: 'ignore' });
  const holderPid = holder.pid ?? -1;
  const own = netnsOf('self');
  let ns = '';
  // unshare(2) then exec(sleep): wait until the holder is `sleep` in a namespace that is not ours.
  await waitFor(
    () => {
      if (readFileSync(`/proc/${holderPid}/comm`, 'utf8').trim() !== 'sleep') return false;
      ns = netnsOf(holderPid);
      return ns !== own;
    },
    5_000,
    `netns holder ${holderPid}`,
  );
  const tracked = new Set<number>([]);
  const started: Started[] = [];

  const exec = (command: string, args: string[]): [string, string[]] => {
    if (!alive(holderPid) || netnsOf(holderPid) !== ns) throw new Error(`netns holder ${holderPid} is gone`);
    return [tools.nsenter!, ['-t', String(holderPid), '-n', '--', command, ...args]];
  };
  const ipIn = (...args: string[]): void => {
    const [cmd, argv] = exec(ipBinary!, args);
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')} in netns: ${r.stderr}`);
  };
  try {
    ipIn('link', 'set', 'lo', 'up');
    ipIn('link', 'set', 'lo', 'multicast', 'on');
    ipIn('route', 'add', '224.0.0.0/4', 'dev', 'lo');
  } catch (error) {
    holder.kill('SIGKILL');
    throw error;
  }

  const start = (command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started => {
    const [cmd, argv] = exec(command, args);
    const proc = startProcess(cmd, argv, env); // nsenter execs the command: the pid is the command's
    started.push(proc);
    tracked.add(proc.pid);
    return proc;
  };

  return {
    holderPid,
    exec,
    start,
    node: (script, args = [], env = {}) =>
      start(process.execPath, ['--import', './scripts/register-ts.mjs', script, ...args], env),
    run: (command, args, { env = {}, timeoutMs = 30_000 } = {}) =>
      new Promise((resolve, reject) => {
        const [cmd, argv] = exec(command, args);
        const child = spawn(cmd, argv, {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        if (child.pid) tracked.add(child.pid);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `${command} ${args.join(' ')} in netns: no exit within ${timeoutMs} ms\n${stdout}${stderr}`,
            ),
          );
        }, timeoutMs);
        child.once('error', reject);
        child.once('exit', (code) => {
          clearTimeout(timer);
          if (child.pid) tracked.delete(child.pid);
          resolve({ code, stdout, stderr });
        });
      }),
    track: (pid) => void tracked.add(pid),
    close: async () => {
      await Promise.all([...tracked].map((pid) => end(pid)));
      for (const proc of started) await proc.stop('SIGKILL'); // reaps the Started handles
      holder.kill('SIGKILL');
    },
  };
}
