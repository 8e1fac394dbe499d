/**
 * The README's sample command (`npm run sample`): starts the greeter service and the client as two
 * processes that find each other by mDNS on loopback, prints the client's greeting, then stops the
 * service with SIGTERM (it deregisters).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const loader = fileURLToPath(new URL('../scripts/register-ts.mjs', import.meta.url));
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const env = {
  ...process.env,
  MICRO_SERVER_ADDRESS: process.env.MICRO_SERVER_ADDRESS ?? '127.0.0.1:0',
  MICRO_REGISTRY_ADDRESS: process.env.MICRO_REGISTRY_ADDRESS ?? '127.0.0.1',
};

const service = spawn(process.execPath, ['--import', loader, here('./service.ts')], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const address = await new Promise<string>((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), 20_000);
  service.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /greeter ready at (\S+)/.exec(out);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]!);
    }
  });
  service.once('exit', (code) => reject(new Error(`service exited with ${code}:\n${out}`)));
});
service.stdout.pipe(process.stdout);
console.log(`service up at ${address}`);

const client = spawn(process.execPath, ['--import', loader, here('./client.ts')], { env, stdio: 'inherit' });
const code = await new Promise<number>((resolve) => client.once('exit', (c) => resolve(c ?? 1)));
service.kill('SIGTERM');
await new Promise((resolve) => service.once('exit', resolve));
process.exit(code);
