import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit tests beside their code; integration and end-to-end tests in their own folders, named so
    // that they never look like a unit file (docs/architecture.md, Tests).
    include: ['src/**/*.test.ts', 'test/integration/**/*.int.test.ts', 'test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and servers; two workers fit a 2-core machine.
    maxWorkers: 2,
  },
});
