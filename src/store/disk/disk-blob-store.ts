/** @module The local-disk blob store: blobs under `<data>/files/blobs/ab/cd/<sha256>`, staged in `<data>/files/staging`. */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import { link, open, readdir, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobStore, ByteRange, StagedBlob } from "../blob-store.js";
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from "../data-folder.js";

const SHA256 = /^[0-9a-f]{64}$/;

/** fsync a folder, so that a rename or link into it survives a power cut. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs on the local disk. A staged file is linked (not renamed) to its blob path: two uploads of
 * the same bytes at once both succeed, and the staging file stays for a caller that must put the
 * bytes back (see chat/actions/files.ts: a sweep may delete a blob between its commit and the
 * file row that keeps it).
 */
export class DiskBlobStore implements BlobStore {
  private readonly staging: string;
  private readonly blobs: string;

  constructor(root: string) {
    this.staging = join(root, "staging");
    this.blobs = join(root, "blobs");
    mkdirSync(this.staging, { recursive: true, mode: PRIVATE_FOLDER_MODE });
    mkdirSync(this.blobs, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  }

  /** Remove staging files left by a process that died mid-upload (only at start: none is in use then). */
  async clearStaging(): Promise<number> {
    const names = await readdir(this.staging);
    await Promise.all(names.map((name) => rm(join(this.staging, name), { force: true })));
    return names.length;
  }

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.blobs, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async stage(source: Readable, maxBytes: number, onTooLarge: () => Error): Promise<StagedBlob> {
    const path = join(this.staging, randomUUID());
    const hash = createHash("sha256");
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(onTooLarge());
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const out = createWriteStream(path, { mode: PRIVATE_FILE_MODE, flags: "wx" });
    try {
      await pipeline(source, counter, out);
      const handle = await open(path, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return this.staged(path, hash.digest("hex"), size);
  }

  async stageBuffer(bytes: Uint8Array): Promise<StagedBlob> {
    const path = join(this.staging, randomUUID());
    const handle = await open(path, "wx", PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(path, { force: true });
      throw error;
    }
    await handle.close();
    return this.staged(path, createHash("sha256").update(bytes).digest("hex"), bytes.length);
  }

  private staged(path: string, sha256: string, size: number): StagedBlob {
    return { path, sha256, size, discard: () => rm(path, { force: true }) };
  }

  async commit(staged: StagedBlob): Promise<void> {
    const target = this.pathOf(staged.sha256);
    const folder = join(target, "..");
    mkdirSync(folder, { recursive: true, mode: PRIVATE_FOLDER_MODE });
    try {
      await link(staged.path, target);
    } catch (error) {
      // The same bytes are stored already (content-addressed): keep that copy.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    await syncFolder(folder);
  }

  async size(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  read(sha256: string, range?: ByteRange): Readable {
    return createReadStream(this.pathOf(sha256), range ? { start: range.start, end: range.end } : {});
  }

  async delete(sha256: string): Promise<void> {
    try {
      await unlink(this.pathOf(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}
