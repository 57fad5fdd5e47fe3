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
    // Each file with its time, then the slowest: where the suite's minutes go.
    reporters: ['default', './test/support/fileTimes.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'functions/**/*.ts', 'infra/**/*.ts'],
      // Generated from the schemas; the playground is covered by the browser tests, in the page.
      exclude: ['src/tflite/generated/**', 'src/playground/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      reportOnFailure: true,
    },
  },
});
