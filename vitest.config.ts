import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The arm64 suite runs under qemu and has its own command (npm run test:arm64).
    exclude: ['test/arm64/**', 'node_modules/**'],
    // Native addons and worker threads do not mix well; one process per file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
