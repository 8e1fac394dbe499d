// CI check of the built package as users import it (dist/pkg, the esbuild bundle): every entry point
// of package.json's "exports" loads, and every exported class keeps its own name (`.name`, which
// Nest's logs and error output read; scripts/bundle.mjs sets back the names esbuild renames).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const wrong = [];
let entries = 0;
for (const subpath of Object.keys(pkg.exports)) {
  if (subpath === './package.json') continue;
  const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  const module = await import(specifier);
  entries++;
  for (const [name, value] of Object.entries(module))
    if (typeof value === 'function' && /^[A-Z]/.test(name) && value.name !== name)
      wrong.push(`${specifier}: ${name} is named ${value.name}`);
}
if (wrong.length > 0) {
  console.error(`check-bundle: exported classes renamed in the bundle:\n  ${wrong.join('\n  ')}`);
  process.exit(1);
}

// the dashboard finds its assets from the bundle (dist/pkg/web-assets) and its vendor modules
const { MicroDashboard } = await import(`${pkg.name}/web`);
const { MemoryRegistry } = await import(`${pkg.name}/registry`);
const noCalls = () => Promise.reject(new Error('no calls in check-bundle'));
const dashboard = new MicroDashboard({
  registry: new MemoryRegistry(),
  client: { call: noCalls, publish: noCalls, stream: () => ({ [Symbol.asyncIterator]: noCalls }) },
});
try {
  const base = `http://${await dashboard.listen('127.0.0.1:0')}`;
  for (const path of ['/', '/vendor/preact.mjs']) {
    const res = await fetch(`${base}${path}`);
    if (res.status !== 200) wrong.push(`dashboard from dist/pkg: GET ${path} answered ${res.status}`);
    await res.arrayBuffer();
  }
} finally {
  await dashboard.close();
}
if (wrong.length > 0) {
  console.error(`check-bundle: ${wrong.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `check-bundle: ${entries} entry points load from dist/pkg, exported names intact, dashboard assets found`,
);
