/**
 * @module `npm run build`'s server bundle: the compiled CLI (`dist/cli.js`) and the writer
 * threads' entry points bundled by esbuild into `dist/bundle/`, which `bin/haetae.js` runs. One
 * module per part instead of ~330 files to resolve, read and link at start: the CPU a cold start
 * spends before `/readyz` fell by about a seventh in each process (docs/benchmarks.md, "An idle
 * node"). Packages stay outside (imported from node_modules as before); the chat node stays a
 * chunk of its own, loaded only by the process that serves chat. The writer threads and SQLite's
 * search indexer thread sit beside the chunk that starts them, where `threadModuleUrl` looks for them.
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [
    "dist/cli.js",
    "dist/store/sqlite/sqlite-writer-thread.js",
    "dist/store/sqlite/sqlite-search-thread.js",
    "dist/store/postgres/postgres-writer-thread.js",
  ],
  outdir,
  entryNames: "[name]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
