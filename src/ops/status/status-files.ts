/** @module The status page as static files in `<data>/status/`, replaced atomically, so any web server or CDN can serve them while the node is down. */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from "../../store/data-folder.js";

/**
 * Writes a set of files, each through a temporary file in the same folder and a rename, so a
 * reader sees the old page or the new one, never half of one. Writes do not overlap: while one
 * set is being written, only the newest set waiting after it is kept (older ones are stale).
 */
export class StatusFiles {
  private writing: Promise<void> | undefined;
  private next: Record<string, string> | undefined;

  constructor(readonly folder: string) {}

  /** Write these files (name, relative to the folder → content) soon; resolves when they (or a newer set) are on disk. */
  write(files: Record<string, string>): Promise<void> {
    this.next = files;
    this.writing ??= this.loop().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Resolves when no write is running (before the data folder goes away at shutdown). */
  async idle(): Promise<void> {
    await this.writing;
  }

  private async loop(): Promise<void> {
    while (this.next) {
      const files = this.next;
      this.next = undefined;
      try {
        for (const [name, content] of Object.entries(files)) {
          // A name may hold folders (`api/v2/…`), so a server rooted here answers the node's own paths.
          const path = join(this.folder, name);
          await mkdir(dirname(path), { recursive: true, mode: PRIVATE_FOLDER_MODE });
          await writeAtomically(path, content);
        }
      } catch (error) {
        // The live routes still serve from memory; the static copy is the fallback, not the source.
        console.error(`status page files in ${this.folder} not written:`, (error as Error).message);
      }
    }
  }
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temporary, "w", PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
