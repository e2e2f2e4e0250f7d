/**
 * @module `npm start`'s build step: build the server and the web client only when a source is
 * newer than the last successful build, so a second start serves at once instead of rebuilding
 * for about 20 s. The stamp is written only after a build that succeeded.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package to build: this one, or the folder given as the first argument (tests). */
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, "dist", ".build-stamp");
/** What a build reads: the sources, the build settings, and the installed dependencies' lock. */
const inputs = ["src", "web", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"];

/** The newest modification time below `path`, in ms (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = stats.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changedAt = Math.max(...inputs.map((input) => newest(join(root, input))));
if (builtAt > changedAt && existsSync(join(root, "dist", "cli.js")) && existsSync(join(root, "dist", "web"))) {
  console.log("haetae: the build is up to date (dist/); starting");
} else {
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
