import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    // mDNS never leaves loopback in tests: every default registry (and child process) pins 127.0.0.1.
    env: { MICRO_REGISTRY_ADDRESS: '127.0.0.1' },
  },
});
