// @ts-nocheck
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker threads and sockets are real: keep files isolated but let two run at once (2 cores).
    pool: 'forks',
    maxWorkers: 2,
  },
});
