// Bundles the compiled package (dist/lib, from tsc) into dist/pkg with esbuild: one file per entry
// point of package.json's "exports" (their "import" paths) plus the CLI, and the code they share in
// dist/pkg/chunks/ (code splitting, so every class exists once whichever entry imports it). Third-
// party packages stay external. Why: Node 20 loads ES modules one file at a time (resolve, stat,
// read, compile each), and ~140 small files cost a service tens of milliseconds at every start;
// one bundle does not. Types stay in dist/lib (tsc's .d.ts), so the "types" paths do not change.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entryPoints = {};
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target !== 'object') continue; // "./package.json"
  if (!target.import?.startsWith('./dist/pkg/'))
    throw new Error(
      `bundle: exports["${subpath}"].import must be ./dist/pkg/<name>.js (the bundle), not ${target.import}`,
    );
  const name = target.import.slice('./dist/pkg/'.length, -'.js'.length);
  entryPoints[name] = target.types.replace(/\.d\.ts$/, '.js');
  if (!entryPoints[name].startsWith('./dist/lib/')) throw new Error(`bundle: odd types path for ${subpath}`);
}
entryPoints.cli = './dist/lib/cli/main.js';

const result = await build({
  entryPoints,
  outdir: 'dist/pkg',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // No keepNames: it wraps every named closure in a defineProperty call where it is created, which
  // on the call path is several per call (measured: tcp c=128 53–55k req/s with it, 73–76k without). Names
  // change only where two modules' top-level names collide (esbuild adds a digit); classes, whose
  // `.name` Nest, loggers and errors read, are checked below instead.
  keepNames: false,
  metafile: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Without keepNames esbuild renames some classes (`_A` for a class that names itself, `A2` where
// tsc aliased a decorated class): `.name`, which Nest's logs and error output read, would change.
// Each chunk sets those names back once, at its end (not per call, as keepNames' wrappers would).
const declared = new Set();
for (const file of Object.keys(result.metafile.inputs))
  for (const m of readFileSync(file, 'utf8').matchAll(/\bclass (\w+)/g)) declared.add(m[1]);
const renamed = [];
for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'))) {
  const code = readFileSync(file, 'utf8');
  const topLevel = (name) => new RegExp(`^var ${name}\\b`, 'm').test(code);
  const fixes = new Set();
  for (const m of code.matchAll(/\bclass (?!extends\b)(\w+)/g)) {
    const name = m[1];
    if (declared.has(name)) continue;
    const original = name.replace(/^_/, '').replace(/\d+$/, '');
    const binding = topLevel(name) ? name : topLevel(original) ? original : undefined;
    if (!declared.has(original) || binding === undefined) renamed.push(`${name} in ${file}`);
    else
      fixes.add(`Object.defineProperty(${binding}, "name", { value: "${original}", configurable: true });`);
  }
  if (fixes.size > 0)
    writeFileSync(file, code.replace(/(\n\/\/# sourceMappingURL=.*\n?)?$/, `\n${[...fixes].join('\n')}$1`));
}
if (renamed.length > 0)
  throw new Error(`bundle: classes renamed by the bundler (their .name would change): ${renamed.join(', ')}`);
console.log(`bundle: ${Object.keys(entryPoints).length} entry points in dist/pkg`);
