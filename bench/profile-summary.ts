/**
 * Summarises a V8 .cpuprofile (from `--cpu-prof`): self time by function and by source file, and
 * the inclusive time of functions matching a pattern, so a profile can be quoted in a report.
 * Run: node dist/bench/profile-summary.js <file.cpuprofile> [top] [pattern] [skip seconds]
 * (or bench/profile-summary.ts under the loader). `skip` leaves out the first seconds of the
 * profile (start-up, warm-up), so what is summarised is the steady state.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const short = (url: string): string =>
  url
    .replace(/^file:\/\/.*?\/(?=(?:dist\/)?(?:lib|bench|sample|test)\/)/, '')
    .replace(/.*node_modules\//, 'nm:') || '(native)';

export function summarise(profile: Profile, top = 25, pattern?: RegExp, skipSeconds = 0): string {
  const self = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= skipSeconds * 1e6) self.set(id, (self.get(id) ?? 0) + delta);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const f = `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    fnSelf.set(f, (fnSelf.get(f) ?? 0) + t);
    const file = short(n.callFrame.url);
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + t);
  }
  const pct = (t: number): string => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>): string =>
    [...m]
      .toSorted((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `${pct(t)}  ${k}`)
      .join('\n');
  let out = `total ${(total / 1e6).toFixed(2)} s sampled\n\nself time by function:\n${list(fnSelf)}\n\nself time by file:\n${list(fileSelf)}`;
  if (pattern) {
    // inclusive: every sample whose stack contains a matching frame
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const incl = new Map<string, number>();
    for (const [id, t] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const n = byId.get(cur)!;
        const key = `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}`;
        if (pattern.test(key) && !seen.has(key)) {
          seen.add(key);
          incl.set(key, (incl.get(key) ?? 0) + t);
        }
      }
    }
    out += `\n\ninclusive time of /${pattern.source}/:\n${list(incl)}`;
  }
  return out;
}

if (process.argv[2]) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Profile;
  const pattern = process.argv[4] ? new RegExp(process.argv[4]) : undefined;
  console.log(summarise(profile, Number(process.argv[3] ?? 25), pattern, Number(process.argv[5] ?? 0)));
}
