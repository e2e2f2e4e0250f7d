/**
 * @module `npm run build`'s server bundle: the compiled CLI (`dist/cli.js`) and the writer
 * threads' entry points bundled by esbuild into `dist/bundle/`, which `bin/haetae.js` runs. One
 * module per part instead of ~330 files to resolve, read and link at start: the CPU a cold start
 * spends before `/readyz` fell by about a seventh in each process (docs/benchmarks.md, "An idle
 * node"). Packages stay outside (imported from node_modules as before), except zod (below); the
 * chat node stays a chunk of its own, loaded only by the process that serves chat. The writer
 * threads and SQLite's search indexer thread sit beside the chunk that starts them, where
 * `threadModuleUrl` looks for them.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { asciiOnly } from "./ascii-only.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
rmSync(outdir, { recursive: true, force: true });
/**
 * Packages bundled in: zod, which both processes load at start for the config schema. From
 * node_modules it is about 100 ES modules to resolve, read and link in each process; bundled,
 * the watcher and the node each spent about 150 ms less CPU before `/readyz` (docs/benchmarks.md,
 * "An idle node"). prom-client, CommonJS, does not run bundled.
 */
const BUNDLED = new Set(["zod"]);
/**
 * zod's namespace carries its 63 message locales (`z.locales`), about 500 KB of the 755 KB it
 * adds to the bundle, which each process decodes and compiles at start (some 40 ms of CPU in
 * each, on the cold start's path twice). Haetae's errors are its own (docs/errors.md) and never
 * use zod's wording in another language, so the bundle keeps English, the locale zod sets itself.
 */
const englishOnlyZodLocales = {
  name: "english-only-zod-locales",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join("node_modules", "zod")}`)
        ? { path: "zod-locales", namespace: "zod-locales" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(root, "node_modules/zod/v4/locales/en.js"))};`,
      resolveDir: root,
    }));
  },
};
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const external = Object.keys({
  ...manifest.dependencies,
  ...manifest.devDependencies,
  ...manifest.optionalDependencies,
})
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);
const result = await build({
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
  external,
  sourcemap: true,
  logLevel: "warning",
  plugins: [englishOnlyZodLocales],
  write: false,
});
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.path.endsWith(".js") ? asciiOnly(file.text) : file.contents);
}
