/** @module A Vite plugin that compiles web/src/sw/service-worker.ts to /sw.js with the list of app-shell files to precache. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { type Plugin, transformWithEsbuild } from "vite";

/**
 * The worker must know the hashed names of this build's files, so it is built after the bundle:
 * its source names `__PRECACHE__` and `__VERSION__`, replaced here. A new build gives a new
 * sw.js, which is how browsers learn that a new version of the app exists.
 */
export function serviceWorker(source: string, publicDir: string): Plugin {
  return {
    name: "haetae-service-worker",
    apply: "build",
    enforce: "post",
    async generateBundle(_options, bundle) {
      const built = Object.keys(bundle).filter((name) => name.startsWith("assets/") && !name.endsWith(".map"));
      const published = readdirSync(publicDir).filter((name) => !name.startsWith("."));
      const precache = ["/", ...built.sort(), ...published.sort()].map((name) => (name === "/" ? name : `/${name}`));
      const version = createHash("sha256").update(precache.join("\n")).digest("hex").slice(0, 12);
      const ts = readFileSync(source, "utf8")
        .replace('"__PRECACHE__"', JSON.stringify(precache))
        .replace('"__VERSION__"', JSON.stringify(version));
      const { code } = await transformWithEsbuild(ts, source, { loader: "ts", target: "es2022", minify: true });
      this.emitFile({ type: "asset", fileName: "sw.js", source: code });
    },
  };
}
