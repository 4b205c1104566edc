import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Children a file left running (a failed or timed-out test's workers) are SIGKILLed after it:
    // after the file's own afterAll hooks, by the default `sequence.hooks: 'stack'` (a server a file
    // stops in its afterAll is still up while that hook runs).
    setupFiles: ['test/support/kill-leftover-children.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
