import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Children a file left running (a failed or timed-out test's workers) are SIGKILLed after it.
    setupFiles: ['test/support/kill-leftover-children.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
