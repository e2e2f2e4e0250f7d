/** @module Vitest global setup: builds the web client once before the browser tests, unless dist/web is newer than its sources. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Everything the built client is made of. */
const SOURCES = ["web", "src/sdk", "src/protocol"];

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when the last build is newer than every source file (a second run skips the ~3 s build). */
function isFresh(): boolean {
  const stamp = join(root, "dist/web/sw.js");
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return SOURCES.every((source) => newestMtime(join(root, source)) < built);
}

export default async function setup(): Promise<void> {
  if (isFresh()) return;
  // Vitest sets NODE_ENV=test, and Vite would then build a development bundle (no service
  // worker, Preact's debug paths): build what `npm run build:web` builds.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: join(root, "web/vite.config.ts"), mode: "production", logLevel: "warn" });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}
