// Runs the project's TypeScript directly in Node (sample, test child processes, bench):
// `node --import ./scripts/register-ts.mjs file.ts`. Registers module hooks that compile .ts with
// the installed `typescript` (decorator metadata included) and map `./x.js` imports to `./x.ts`.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
