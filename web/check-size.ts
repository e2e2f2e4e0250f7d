/** @module The web client's JavaScript budgets: the .js files the chat page loads at start (60 KB gzipped) and with every on-demand chunk (80 KB), the console's apart. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** Lightness is a feature: the JavaScript a browser downloads to open the chat, gzipped, stays under this. */
export const JS_BUDGET_BYTES = 60 * 1024;
/**
 * Everything the chat page can ever download, its on-demand chunks included (the resumable
 * upload library, loaded at the first attachment), stays under this.
 */
export const JS_TOTAL_BUDGET_BYTES = 80 * 1024;

/** `start`: what the page loads to open (its entry and static imports); `all`: on-demand chunks too. */
export type Reach = "start" | "all";

/** Where `npm run build:web` writes the client. */
export const WEB_DIST = fileURLToPath(new URL("../dist/web/", import.meta.url));

/** One file's size as built and as sent gzipped. */
export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** A page of the build: the chat app, or the staff console (its own entry, outside the chat budget). */
export type WebPage = "index.html" | "console.html";

/** Vite's build manifest: each entry's file and the chunks it imports, keyed by source name. */
type Manifest = Record<string, { file: string; imports?: string[]; dynamicImports?: string[] }>;

/** Every .js file under `dir`, relative to it. */
function allJs(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".js")) out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out;
}

/**
 * The .js files a browser loads for `page`: its entry chunk and every chunk it imports (with
 * `all`, also those it may import later), from the build manifest; the chat page adds its service worker. Without a manifest (an older
 * build) every .js file counts, which can only overstate.
 */
function pageJs(dir: string, page: WebPage, reach: Reach): string[] {
  const manifestPath = join(dir, ".vite", "manifest.json");
  if (!existsSync(manifestPath)) return allJs(dir);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  const files = new Set<string>(page === "index.html" && existsSync(join(dir, "sw.js")) ? ["sw.js"] : []);
  const visit = (key: string): void => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    const dynamic = reach === "all" ? (chunk.dynamicImports ?? []) : [];
    for (const next of [...(chunk.imports ?? []), ...dynamic]) visit(next);
  };
  visit(page);
  return [...files];
}

/** The .js files of one page (default: the chat app at start, with its service worker), raw and gzipped. */
export function measureJs(
  dir: string = WEB_DIST,
  page: WebPage = "index.html",
  reach: Reach = "start",
): { files: FileSize[]; bytes: number; gzipBytes: number } {
  const files: FileSize[] = pageJs(dir, page, reach).map((file) => {
    const body = readFileSync(join(dir, file));
    // Level 9, as a server that precompresses would; the on-the-fly level 6 differs by a few bytes.
    return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
  });
  files.sort((a, b) => b.gzipBytes - a.gzipBytes);
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
  };
}

/** A short report: each file, the total and the budget (the console's files are listed apart, without one). */
export function formatReport(
  size: ReturnType<typeof measureJs>,
  staff?: ReturnType<typeof measureJs>,
  all?: ReturnType<typeof measureJs>,
): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const lines = size.files.map((f) => `  ${f.file.padEnd(36)} ${kb(f.bytes).padStart(9)}  gzip ${kb(f.gzipBytes)}`);
  const verdict = size.gzipBytes <= JS_BUDGET_BYTES ? "within" : "OVER";
  lines.push(
    `web client JavaScript at start: ${kb(size.bytes)}, ${kb(size.gzipBytes)} gzipped — ${verdict} the ${kb(JS_BUDGET_BYTES)} budget`,
  );
  if (all) {
    const allVerdict = all.gzipBytes <= JS_TOTAL_BUDGET_BYTES ? "within" : "OVER";
    lines.push(
      `with on-demand chunks: ${kb(all.bytes)}, ${kb(all.gzipBytes)} gzipped — ${allVerdict} the ${kb(JS_TOTAL_BUDGET_BYTES)} budget`,
    );
  }
  if (staff && staff.files.length > 0) {
    lines.push(
      `staff console (/console) JavaScript: ${kb(staff.bytes)}, ${kb(staff.gzipBytes)} gzipped, shared chunks included`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const size = measureJs();
  if (size.files.length === 0) {
    console.error("no JavaScript in dist/web: run npm run build:web first");
    process.exit(1);
  }
  const all = measureJs(WEB_DIST, "index.html", "all");
  console.log(formatReport(size, measureJs(WEB_DIST, "console.html"), all));
  process.exit(size.gzipBytes <= JS_BUDGET_BYTES && all.gzipBytes <= JS_TOTAL_BUDGET_BYTES ? 0 : 1);
}
