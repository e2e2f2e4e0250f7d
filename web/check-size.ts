/** @module The web client's JavaScript budget: measures every .js file of dist/web gzipped; fails above 60 KB. */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** Lightness is a feature: all the JavaScript a browser downloads, gzipped, stays under this. */
export const JS_BUDGET_BYTES = 60 * 1024;

/** Where `npm run build:web` writes the client. */
export const WEB_DIST = fileURLToPath(new URL("../dist/web/", import.meta.url));

/** One file's size as built and as sent gzipped. */
export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Every .js file under `dir` (the app, its chunks and the service worker), raw and gzipped. */
export function measureJs(dir: string = WEB_DIST): { files: FileSize[]; bytes: number; gzipBytes: number } {
  const files: FileSize[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".js")) {
        const body = readFileSync(full);
        // Level 9, as a server that precompresses would; the on-the-fly level 6 differs by a few bytes.
        files.push({ file: relative(dir, full), bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length });
      }
    }
  };
  walk(dir);
  files.sort((a, b) => b.gzipBytes - a.gzipBytes);
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
  };
}

/** A short report: each file, the total and the budget. */
export function formatReport(size: ReturnType<typeof measureJs>): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const lines = size.files.map((f) => `  ${f.file.padEnd(36)} ${kb(f.bytes).padStart(9)}  gzip ${kb(f.gzipBytes)}`);
  const verdict = size.gzipBytes <= JS_BUDGET_BYTES ? "within" : "OVER";
  lines.push(
    `web client JavaScript: ${kb(size.bytes)}, ${kb(size.gzipBytes)} gzipped — ${verdict} the ${kb(JS_BUDGET_BYTES)} budget`,
  );
  return lines.join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const size = measureJs();
  if (size.files.length === 0) {
    console.error("no JavaScript in dist/web: run npm run build:web first");
    process.exit(1);
  }
  console.log(formatReport(size));
  process.exit(size.gzipBytes <= JS_BUDGET_BYTES ? 0 : 1);
}
