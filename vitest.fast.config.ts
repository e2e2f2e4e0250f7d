/** @module The fast lane (`npm run test:fast`): the tests beside the code in src/ — units and the contract suites — without the web build, browsers, child processes or clusters. */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
