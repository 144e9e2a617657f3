import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One process per test file: TF.js backends are process-global state.
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
