// Module hooks behind register-ts.mjs: resolve `.js` specifiers to sibling `.ts` files and
// transpile `.ts` sources with TypeScript's transpileModule (no type checking: `npm run build`
// and `npm run typecheck` do that). Transpiled output is cached on disk by a hash of the source
// (node_modules/.cache/nest-micro-ts, written atomically), and TypeScript itself is loaded only on
// a miss: every child process of the tests, the sample and the bench starts in a fraction of the
// time a full transpile of the library takes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const compilerOptions = {
  module: 'ESNext',
  target: 'ES2022',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  sourceMap: false,
  inlineSourceMap: true,
  esModuleInterop: true,
};

const cacheDir = fileURLToPath(new URL('../node_modules/.cache/nest-micro-ts/', import.meta.url));
let typescript;

async function transpile(source, path) {
  typescript ??= (await import('typescript')).default;
  const ts = typescript;
  const options = {
    ...compilerOptions,
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
  };
  return ts.transpileModule(source, { compilerOptions: options, fileName: path }).outputText;
}

/** The cached output for this source at this path, or a fresh transpile stored for next time. */
async function compiled(source, path) {
  const key = createHash('sha256').update(path).update('\0').update(source).digest('hex').slice(0, 32);
  const file = `${cacheDir}${key}.js`;
  if (existsSync(file)) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      /* being replaced: transpile */
    }
  }
  const output = await transpile(source, path);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, output);
    renameSync(temp, file);
  } catch {
    /* a read-only tree: no cache */
  }
  return output;
}

export async function resolve(specifier, context, nextResolve) {
  // the package's own entry points ('nest-micro', 'nest-micro/registry'…) resolve to their sources
  if (specifier === 'nest-micro' || specifier.startsWith('nest-micro/')) {
    return nextResolve(specifier, { ...context, conditions: ['nest-micro-source', ...context.conditions] });
  }
  if (
    specifier.endsWith('.js') &&
    (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) &&
    context.parentURL
  ) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (candidate.protocol === 'file:' && existsSync(fileURLToPath(candidate))) {
      return { url: candidate.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  return { format: 'module', source: await compiled(source, path), shortCircuit: true };
}
