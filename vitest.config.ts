import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Builds the web client (dist/web) once for the browser tests in test/web.
    globalSetup: ["test/web/global-setup.ts"],
  },
});
