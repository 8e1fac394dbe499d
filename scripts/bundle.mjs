// Bundles the compiled package (dist/lib, from tsc) into dist/pkg with esbuild: one file per entry
// point of package.json's "exports" (their "import" paths) plus the CLI. Third-party packages stay
// external. Why: Node 20 loads ES modules one file at a time (resolve, stat, read, compile, link
// each), about a millisecond of CPU per file at a service's start; ~140 small files cost tens of ms.
//
// The code is bundled by folder, not by entry point: one chunk per group of dist/pkg/chunks/ (core,
// nest, gateway, mcp, testing, cli, terminus; see groupOf), so every class exists once whichever
// entry imports it, and an entry file is one line re-exporting its names from its group's chunk.
// A Nest service loads index.js and the nest, core and gateway chunks: 4 files. (esbuild's own
// code splitting made a chunk per set of entry points sharing code, ~28 files for the root entry,
// which cost ~25 ms more CPU to load than one file holding the same code.) A chunk imports what it
// needs from another group's chunk under mangled names (`_<file>$<name>`); the core chunk imports
// no other group, so the Nest-free entries (registry, transport, errors…) never load Nest.
import { build } from 'esbuild';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve as resolvePath } from 'node:path';

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

const root = process.cwd();
const lib = 'dist/lib/';

/** The chunk a compiled file belongs to: its top folder under dist/lib (the root index with nest). */
function groupOf(file) {
  // @nestjs/terminus is loaded at the top of this file: only the terminus entry may load it
  if (file === `${lib}nest/health/terminus.indicator.js`) return 'terminus';
  if (file === `${lib}index.js`) return 'nest';
  // core's streams import rxjs; only the Nest layer (and the root entry) uses them
  if (file.startsWith(`${lib}core/streaming/`) || file === `${lib}core/client/stream-caller.js`)
    return 'nest';
  const top = file.slice(lib.length).split('/')[0];
  // the dashboard's server rides in the gateway's chunk (both HTTP front ends): the root entry
  // exports MicroDashboardModule beside MicroGatewayModule, and one more chunk is one more file a
  // Nest service loads at start
  if (top === 'web') return 'gateway';
  if (!file.startsWith(lib) || !top.length || top.endsWith('.js'))
    throw new Error(`bundle: ${file} belongs to no group`);
  return top;
}

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  metafile: true,
  logLevel: 'warning',
};

// 1. Which compiled file imports which (esbuild's own resolution), and so which files another
// group or an entry point needs: their exports are the chunk's exports.
const graph = await build({
  ...common,
  entryPoints: Object.values(entryPoints),
  outdir: 'dist/pkg-analysis',
  splitting: true,
  write: false,
});
const files = Object.keys(graph.metafile.inputs).filter((f) => f.startsWith(lib));
const needed = new Set(Object.values(entryPoints).map((f) => f.slice(2)));
const entryOf = new Map(Object.entries(entryPoints).map(([name, f]) => [f.slice(2), name]));
for (const file of files)
  for (const i of graph.metafile.inputs[file].imports) {
    if (i.external || !i.path.startsWith(lib) || groupOf(i.path) === groupOf(file)) continue;
    if (i.kind === 'dynamic-import' && !entryOf.has(i.path))
      throw new Error(
        `bundle: ${file} imports ${i.path} dynamically across groups: only entry points can be`,
      );
    if (i.kind === 'import-statement') needed.add(i.path);
  }
for (const file of needed)
  if (groupOf(file) === 'cli' && !entryOf.has(file))
    throw new Error(`bundle: ${file}: nothing may import the CLI`);
// Chunks import each other statically without cycles, and the core chunk imports none: the
// Nest-free entry points (registry, transport, errors…) must never load Nest or rxjs.
const uses = new Map();
for (const file of files)
  for (const i of graph.metafile.inputs[file].imports)
    if (i.kind === 'import-statement' && i.path.startsWith(lib) && groupOf(i.path) !== groupOf(file))
      uses.set(groupOf(file), new Set([...(uses.get(groupOf(file)) ?? []), groupOf(i.path)]));
if (uses.has('core')) throw new Error(`bundle: core imports ${[...uses.get('core')].join(', ')}`);
const reaches = (from, to, seen = new Set()) =>
  [...(uses.get(from) ?? [])].some((g) => g === to || (!seen.has(g) && seen.add(g) && reaches(g, to, seen)));
for (const group of uses.keys())
  if (reaches(group, group))
    throw new Error(`bundle: the ${group} chunk imports itself through other chunks`);

// 2. The names each needed file exports (export * followed): each built as an entry of its own.
const named = await build({
  ...common,
  entryPoints: [...needed].map((f) => `./${f}`),
  outdir: 'dist/pkg-analysis',
  outbase: '.',
  splitting: true,
  write: false,
});
const exportsOf = new Map();
for (const out of Object.values(named.metafile.outputs))
  if (out.entryPoint) exportsOf.set(out.entryPoint.replace(/^\.\//, ''), out.exports);
const fileId = new Map([...needed].sort().map((f, i) => [f, `_${i}`]));
/** `export { a as _3$a, … }`: how a file's names are exported from its group's chunk, and back. */
const mangled = (file, reverse) =>
  exportsOf
    .get(file)
    .map((n) => (reverse ? `${fileId.get(file)}$${n} as ${n}` : `${n} as ${fileId.get(file)}$${n}`))
    .join(', ');

// 3. One chunk per group: a virtual entry importing its files; an import of another group's file
// becomes an import of that group's chunk (a dynamic one, of that entry point's file).
const groups = [...new Set(files.map(groupOf))];
const groupEntry = (group) =>
  files
    .filter((f) => groupOf(f) === group)
    .map((f) =>
      needed.has(f) && exportsOf.get(f).length > 0
        ? `export { ${mangled(f, false)} } from ${JSON.stringify(`${root}/${f}`)};`
        : `import ${JSON.stringify(`${root}/${f}`)};`,
    )
    .join('\n');
const groupsPlugin = {
  name: 'nest-micro-groups',
  setup(b) {
    b.onResolve({ filter: /^group:/ }, (a) => ({ path: a.path.slice('group:'.length), namespace: 'group' }));
    b.onLoad({ filter: /.*/, namespace: 'group' }, (a) => ({
      contents: groupEntry(a.path),
      resolveDir: root,
    }));
    b.onResolve({ filter: /^\./ }, (a) => {
      if (a.namespace === 'other-group') return { path: a.path, external: true };
      if (a.namespace !== 'file') return undefined;
      const target = relative(root, resolvePath(a.resolveDir, a.path));
      const from = relative(root, a.importer);
      if (!target.startsWith(lib) || !from.startsWith(lib) || groupOf(target) === groupOf(from))
        return undefined;
      if (a.kind === 'dynamic-import') return { path: `../${entryOf.get(target)}.js`, external: true };
      return { path: target, namespace: 'other-group' };
    });
    b.onLoad({ filter: /.*/, namespace: 'other-group' }, (a) => ({
      contents:
        exportsOf.get(a.path).length > 0
          ? `export { ${mangled(a.path, true)} } from "./${groupOf(a.path)}.js";`
          : `import "./${groupOf(a.path)}.js";`,
      resolveDir: root,
    }));
  },
};
const result = await build({
  ...common,
  entryPoints: Object.fromEntries(groups.map((g) => [g, `group:${g}`])),
  outdir: 'dist/pkg/chunks',
  entryNames: '[name]',
  splitting: false,
  plugins: [groupsPlugin],
  // No keepNames: it wraps every named closure in a defineProperty call where it is created, which
  // on the call path is several per call (measured: tcp c=128 53–55k req/s with it, 73–76k without). Names
  // change only where two modules' top-level names collide (esbuild adds a digit); classes, whose
  // `.name` Nest, loggers and errors read, are checked below instead.
  keepNames: false,
  sourcemap: 'linked',
});
const coreImports = result.metafile.outputs['dist/pkg/chunks/core.js'].imports.filter(
  (i) => !i.path.startsWith('node:'),
);
if (coreImports.length > 0)
  throw new Error(
    `bundle: the core chunk imports ${coreImports.map((i) => i.path).join(', ')} (only node: builtins)`,
  );
// 4. The entry points: one line each, their names from their group's chunk.
for (const [name, file] of Object.entries(entryPoints)) {
  const f = file.slice(2);
  const names = exportsOf.get(f) ?? [];
  const chunk = `./chunks/${groupOf(f)}.js`;
  writeFileSync(
    `dist/pkg/${name}.js`,
    `// nest-micro${name === 'index' ? '' : `/${name}`}: ${f} (bundled in ${chunk}, see scripts/bundle.mjs)\n` +
      (names.length > 0 ? `export { ${mangled(f, true)} } from "${chunk}";\n` : `import "${chunk}";\n`),
  );
}
// Without keepNames esbuild renames some classes (`_A` for a class that names itself, `A2` where
// tsc aliased a decorated class): `.name`, which Nest's logs and error output read, would change.
// Each chunk sets those names back once, at its end (not per call, as keepNames' wrappers would).
const declared = new Set();
for (const file of Object.keys(result.metafile.inputs).filter((f) => f.startsWith(lib)))
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
// the dashboard's static files (no build step), where lib/web/assets.ts looks for them beside the bundle
rmSync('dist/pkg/web-assets', { recursive: true, force: true });
cpSync('lib/web/assets', 'dist/pkg/web-assets', { recursive: true });
console.log(
  `bundle: ${Object.keys(entryPoints).length} entry points in dist/pkg, dashboard assets in dist/pkg/web-assets`,
);
