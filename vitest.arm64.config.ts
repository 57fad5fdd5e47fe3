import { defineConfig } from 'vitest/config';

// npm run test:arm64: the Lambda layer under qemu (see scripts/layer/test-arm64.mjs).
export default defineConfig({
  test: {
    include: ['test/arm64/**/*.test.ts'],
    pool: 'forks',
    // One file, run in order: later tests reuse earlier invocations.
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
