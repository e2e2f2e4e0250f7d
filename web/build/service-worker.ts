/** @module A Vite plugin that compiles web/src/sw/service-worker.ts to /sw.js with the list of app-shell files to precache. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { type Plugin, type Rollup, transformWithEsbuild } from "vite";

/**
 * The files the chat page loads: its entry chunk, the chunks and CSS it imports. The staff
 * console is another entry; precaching its files would make every chat user download them.
 */
function chatFiles(bundle: Rollup.OutputBundle): string[] {
  const files = new Set<string>();
  const visit = (fileName: string): void => {
    const chunk = bundle[fileName];
    if (chunk?.type !== "chunk" || files.has(fileName)) return;
    files.add(fileName);
    for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
    for (const asset of chunk.viteMetadata?.importedAssets ?? []) files.add(asset);
    for (const next of [...chunk.imports, ...chunk.dynamicImports]) visit(next);
  };
  for (const chunk of Object.values(bundle)) {
    if (chunk.type === "chunk" && chunk.isEntry && chunk.name === "index") visit(chunk.fileName);
  }
  return [...files].filter((name) => name.startsWith("assets/") && !name.endsWith(".map"));
}

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
      const built = chatFiles(bundle);
      if (built.length === 0) this.error("no chat entry (index.html) in the bundle: nothing to precache");
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
