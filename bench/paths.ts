/**
 * Where the bench runs from. `npm run bench` runs it built (dist/bench/*.js, every peer process on
 * compiled JavaScript, as users run the package); under the TypeScript loader it runs from bench/*.ts.
 * Data files (sample/proto, results) are not compiled, so they are found from the repository root.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A path in the source tree for a URL next to a compiled file: <root>/dist/bench/x → <root>/bench/x. */
export const sourcePath = (url: URL): string =>
  fileURLToPath(url).replace(/([\\/])dist[\\/](?=(?:bench|lib|sample|test)[\\/])/, '$1');

/** The repository root (the folder holding bench/, lib/, sample/), without a trailing separator. */
export const repoRoot = dirname(sourcePath(new URL('.', import.meta.url)));

/** The extension of the bench's own scripts in this run: .js built, .ts under the loader. */
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** A script of the bench by its name without extension ('peers/raw-net.server'), as this run has it. */
export const benchScript = (name: string): string => fileURLToPath(new URL(`${name}${ext}`, import.meta.url));
