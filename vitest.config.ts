import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Two test files at a time on two cores: most of a test's time is spent waiting on the
    // servers, browsers and clusters it starts, and one at a time took CI past 15 minutes.
    maxWorkers: 2,
    minWorkers: 1,
    // Builds the web client (dist/web) once for the browser tests in test/web.
    globalSetup: ["test/web/global-setup.ts"],
  },
});
