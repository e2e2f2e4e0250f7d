/** @module The web client's build: the chat app (index.html) and the staff console (console.html), Preact JSX through esbuild, output in dist/web. */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { serviceWorker } from "./build/service-worker.js";
import { sizeBudget } from "./build/size-budget.js";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const outDir = here("../dist/web");
const protocolDir = here("../src/protocol/");

export default defineConfig({
  root: here("."),
  base: "/",
  publicDir: here("public"),
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // The manifest tells the size check which files each page loads (web/check-size.ts).
    manifest: true,
    rollupOptions: {
      // Two pages: the console is its own entry so the chat app never downloads staff screens.
      input: { index: here("index.html"), console: here("console.html") },
      // Code both pages use (Preact, text, sign-in) goes in one chunk named for what it is.
      output: { chunkFileNames: "assets/shared-[hash].js" },
      onLog(level, log, handler) {
        // zod's source has /*@__PURE__*/ comments in places Rollup cannot use; it says so for
        // every build although zod is tree-shaken out of the client entirely.
        if (log.code === "INVALID_ANNOTATION" && log.id?.includes("node_modules/zod")) return;
        handler(level, log);
      },
      treeshake: {
        // The protocol barrel also exports the zod schemas the server validates with; the client
        // uses only types and a few constants. Declaring those modules free of side effects lets
        // Rollup drop the schemas (and zod, ~15 KB gzipped) when nothing imports them.
        moduleSideEffects: (id) => !id.startsWith(protocolDir),
      },
    },
  },
  // `npm run dev:web` serves the client with hot reload and passes the API to `npm run dev` on :8080.
  server: { proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } } },
  plugins: [serviceWorker(here("src/sw/service-worker.ts"), here("public")), sizeBudget(outDir)],
});
