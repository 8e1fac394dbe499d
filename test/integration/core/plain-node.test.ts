// The core is Nest-free at run time, not only by lint: a child Node process loads every module of
// lib/core and makes a call through MemoryRegistry + TCP transport + JSON codec + the core client,
// with a module hook that fails any import of @nestjs/*, reflect-metadata, class-validator/
// -transformer, lib/nest or lib/cli (fixtures/no-nest.mjs).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('lib/core from plain Node', () => {
  it('loads without Nest and makes a call with a registry, a transport and a codec', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        './scripts/register-ts.mjs',
        '--import',
        './test/integration/core/fixtures/no-nest.mjs',
        'test/integration/core/fixtures/plain-call.ts',
      ],
      { timeout: 60_000 },
    );
    const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(seen.modules).toBeGreaterThan(50);
    expect(seen.reply).toEqual({ message: 'Hello plain node' });
    expect(seen.failure).toEqual({ id: 'greeter.fail', code: 409, detail: 'taken', status: 'Conflict' });
    expect(seen.reflectMetadata).toBe('undefined');
  });
});
