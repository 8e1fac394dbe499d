/**
 * Per-process CPU for the speed harness: samples a pid's user+system time from /proc/<pid>/stat
 * every 100 ms, so the cores a server used over a client's measured window (epoch ms, reported in
 * its RESULT line) can be read afterwards. Linux only; elsewhere every figure is NaN.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on every Linux Node runs on). */
const TICKS = 100;

interface Sample {
  at: number;
  seconds: number;
}

export interface CpuSampler {
  /** Cores used between two epoch-ms instants (CPU seconds / wall seconds), NaN without samples. */
  coresBetween(from: number, to: number): number;
  stop(): void;
}

/** User+system CPU seconds a process has used so far (10 ms steps), undefined when unreadable. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) start at the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

export function sampleCpu(pid: number): CpuSampler {
  const samples: Sample[] = [];
  const take = (): void => {
    const seconds = cpuSeconds(pid);
    if (seconds !== undefined) samples.push({ at: Date.now(), seconds });
  };
  take();
  const timer = setInterval(take, 100);
  timer.unref();
  const at = (t: number): number => {
    // linear between the two samples around t
    let before: Sample | undefined;
    for (const s of samples) {
      if (s.at <= t) before = s;
      else if (before)
        return before.seconds + ((s.seconds - before.seconds) * (t - before.at)) / (s.at - before.at);
      else return s.seconds;
    }
    return before?.seconds ?? NaN;
  };
  return {
    coresBetween: (from, to) => (to > from ? (at(to) - at(from)) / ((to - from) / 1000) : NaN),
    stop: () => clearInterval(timer),
  };
}
