// The public API report: for each entry point in package.json `exports`, every exported name with
// its declaration as the built .d.ts states it (doc comments, private and @internal members left out), written
// to api/<entry>.api.md, so a change to the public surface shows up as a reviewed diff.
//   node scripts/api-report.mjs --update   rewrites the reports (npm run api:update builds first)
//   node scripts/api-report.mjs --check    fails when a report differs (npm run api:check; needs a build)
// Either way it fails when an exported declaration uses a type of ours that no entry point exports
// (what api-extractor calls a forgotten export): users could not name it. api-extractor itself
// stops with "Unable to follow symbol for Buffer" on this package's .d.ts, hence this script.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const reportDir = path.join(root, 'api');
const mode = process.argv.includes('--update') ? 'update' : 'check';

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
/** Entry points with types: { subpath, name (report file), file (.d.ts) }. */
const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && target.types)
  .map(([subpath, target]) => ({
    subpath: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
    name: subpath === '.' ? 'root' : subpath.slice(2),
    file: path.join(root, target.types),
  }));
const missing = entries.filter((e) => !existsSync(e.file));
if (missing.length > 0) {
  console.error(
    `api-report: ${missing.map((e) => path.relative(root, e.file)).join(', ')} missing: npm run build first`,
  );
  process.exit(1);
}

// tsc rewrites every output on each build: a source newer than the oldest entry means a stale dist
const sources = readdirSync(path.join(root, 'lib'), { recursive: true }).filter((f) => f.endsWith('.ts'));
const newestSource = Math.max(...sources.map((f) => statSync(path.join(root, 'lib', f)).mtimeMs));
if (newestSource > Math.min(...entries.map((e) => statSync(e.file).mtimeMs))) {
  console.error('api-report: dist/lib is older than lib/: npm run build first');
  process.exit(1);
}

const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
const ownDir = path.join(root, 'dist', 'lib') + path.sep;
const isOwn = (decl) => decl.getSourceFile().fileName.startsWith(ownDir);

const resolve = (symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
const exportsOf = (entry) => {
  const source = program.getSourceFile(entry.file);
  return checker
    .getExportsOfModule(checker.getSymbolAtLocation(source))
    .map((symbol) => ({ name: symbol.name, target: resolve(symbol) }))
    .toSorted((a, b) => a.name.localeCompare(b.name));
};
const exported = new Map(entries.map((e) => [e, exportsOf(e)]));
const everyExported = new Set([...exported.values()].flat().map((e) => e.target));

/** Members users do not see: private ones, and those whose doc comment says `@internal`. */
const isPrivate = (member) =>
  (member.name && ts.isPrivateIdentifier(member.name)) ||
  ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Private ||
  ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal');

/** The statement to print for a declaration (a variable's whole `declare const` statement). */
function statementOf(decl) {
  if (ts.isVariableDeclaration(decl)) return decl.parent.parent;
  return decl;
}

/** A class without its private members; other declarations as they are. */
function publicPart(node) {
  if (!ts.isClassDeclaration(node)) return node;
  return ts.factory.updateClassDeclaration(
    node,
    node.modifiers,
    node.name,
    node.typeParameters,
    node.heritageClauses,
    node.members.filter((m) => !isPrivate(m)),
  );
}

/** Our own types a declaration names (skipping private members) that no entry point exports. */
function forgotten(node, found = new Set()) {
  if (ts.isClassElement(node) && isPrivate(node)) return found;
  let name;
  if (ts.isTypeReferenceNode(node)) name = node.typeName;
  else if (ts.isExpressionWithTypeArguments(node)) name = node.expression;
  else if (ts.isTypeQueryNode(node)) name = node.exprName;
  if (name) {
    const id = ts.isQualifiedName(name) ? name.right : ts.isPropertyAccessExpression(name) ? name.name : name;
    const symbol = checker.getSymbolAtLocation(id);
    const target = symbol && resolve(symbol);
    const own = target?.declarations?.some(isOwn);
    if (target && own && !(target.flags & ts.SymbolFlags.TypeParameter) && !everyExported.has(target)) {
      const file = path.relative(root, target.declarations[0].getSourceFile().fileName);
      found.add(`${target.name} (${file})`);
    }
  }
  ts.forEachChild(node, (child) => {
    forgotten(child, found); // a truthy return would stop forEachChild
  });
  return found;
}

const count = (n) => `${n} exported name${n === 1 ? '' : 's'}`;
const problems = [];
const reports = new Map();
for (const entry of entries) {
  const blocks = [];
  for (const { name, target } of exported.get(entry)) {
    const decls = (target.declarations ?? []).map(statementOf);
    const text = decls
      .map((d) => printer.printNode(ts.EmitHint.Unspecified, publicPart(d), d.getSourceFile()))
      .join('\n');
    const declaredAs = target.name !== name && target.name !== 'default' ? `// exported as ${name}\n` : '';
    blocks.push(`### ${name}\n\n\`\`\`ts\n${declaredAs}${text}\n\`\`\`\n`);
    for (const d of decls) {
      for (const missingType of forgotten(d)) {
        problems.push(`${entry.subpath}: ${name} uses ${missingType}, which no entry point exports`);
      }
    }
  }
  const header =
    `# ${entry.subpath}\n\n` +
    `<!-- Generated from ${path.relative(root, entry.file)} by scripts/api-report.mjs: do not edit. ` +
    `npm run api:update rewrites it; npm run api:check fails when it differs. -->\n\n` +
    `${count(exported.get(entry).length)}.\n\n`;
  reports.set(path.join(reportDir, `${entry.name}.api.md`), header + blocks.join('\n'));
}

for (const problem of [...new Set(problems)]) console.error(`api-report: ${problem}`);

if (mode === 'update') {
  mkdirSync(reportDir, { recursive: true });
  for (const file of readdirSync(reportDir)) {
    if (file.endsWith('.api.md') && !reports.has(path.join(reportDir, file)))
      rmSync(path.join(reportDir, file));
  }
  for (const [file, text] of reports) writeFileSync(file, text);
  console.log(`api-report: wrote ${reports.size} reports to api/`);
} else {
  const stale = [...reports].filter(
    ([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text,
  );
  const extra = existsSync(reportDir)
    ? readdirSync(reportDir).filter((f) => f.endsWith('.api.md') && !reports.has(path.join(reportDir, f)))
    : [];
  for (const [file] of stale)
    console.error(`api-report: ${path.relative(root, file)} differs from the built API`);
  for (const file of extra) console.error(`api-report: api/${file} has no entry point any more`);
  if (stale.length + extra.length > 0) {
    console.error('api-report: the public API changed; review it with `npm run api:update && git diff api/`');
    process.exitCode = 1;
  } else console.log(`api-report: ${reports.size} reports match the built API`);
}
if (problems.length > 0) process.exitCode = 1;
