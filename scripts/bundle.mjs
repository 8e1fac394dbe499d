// Bundles the compiled package (dist/lib, from tsc) into dist/pkg with esbuild: one file per entry
// point of package.json's "exports" (their "import" paths) plus the CLI, and the code they share in
// dist/pkg/chunks/ (code splitting, so every class exists once whichever entry imports it). Third-
// party packages stay external. Why: Node 20 loads ES modules one file at a time (resolve, stat,
// read, compile each), and ~140 small files cost a service tens of milliseconds at every start;
// one bundle does not. Types stay in dist/lib (tsc's .d.ts), so the "types" paths do not change.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

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

await build({
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
  // Class and function names stay as written: Nest, loggers and error messages read `.name`.
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log(`bundle: ${Object.keys(entryPoints).length} entry points in dist/pkg`);
