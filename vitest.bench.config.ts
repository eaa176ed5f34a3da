import { defineConfig } from "vitest/config";

/** `npm run bench`: timings printed as ratios to a baseline measured in the same run. */
export default defineConfig({
  test: {
    include: ["bench/**/*.bench.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
