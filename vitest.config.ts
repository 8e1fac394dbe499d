import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // 'nest-micro' and its subpaths (as the sample imports them) resolve to the sources, as in tsconfig
  ssr: { resolve: { conditions: ['nest-micro-source', ...defaultServerConditions] } },
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
