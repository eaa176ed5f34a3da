import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/cleanup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each integration file starts its own PostgreSQL clusters; two at a time fits 2 cores.
    maxWorkers: 2,
  },
});
