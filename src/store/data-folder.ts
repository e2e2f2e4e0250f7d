/**
 * @module The data folder and its files are private to the server's user: folder 0700, files 0600.
 * Only `node:fs`: the watcher secures the folder before it forks the node, and loads nothing
 * else first (a SQLite file is opened private by private-database.ts).
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Folders in the data folder: only the server's user may list or enter them. */
export const PRIVATE_FOLDER_MODE = 0o700;
/** Files in the data folder: only the server's user may read or write them. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Create a folder (and its parents) as 0700. The data folder holds password hashes, the webhook
 * signing secrets of subscribers, the canary accounts' password and the incident record; with
 * the usual umask they were created world-readable, 0755 and 0644.
 */
export function makePrivateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: PRIVATE_FOLDER_MODE });
}

/**
 * At start: create the data folder as 0700, or tighten it and what it holds directly (files to
 * 0600, folders to 0700) when an older version or an operator left them open to other users,
 * and say so in the log. Deeper entries are not walked: behind a 0700 folder no other user can
 * reach them, and a folder of uploads may hold many.
 */
export function securePrivateFolder(folder: string, log: (line: string) => void = console.warn): void {
  makePrivateFolder(folder);
  const tightened: string[] = [];
  const tighten = (path: string, mode: number) => {
    const current = statSync(path).mode & 0o777;
    if ((current & ~mode) === 0) return;
    chmodSync(path, current & mode);
    tightened.push(`${path} ${current.toString(8)} → ${(current & mode).toString(8)}`);
  };
  tighten(folder, PRIVATE_FOLDER_MODE);
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) tighten(join(folder, entry.name), PRIVATE_FOLDER_MODE);
    else if (entry.isFile()) tighten(join(folder, entry.name), PRIVATE_FILE_MODE);
  }
  if (tightened.length > 0) {
    log(`haetae: the data folder was readable by other users; tightened:\n  ${tightened.join("\n  ")}`);
  }
}
