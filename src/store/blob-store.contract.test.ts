/**
 * @module The blob-store contract suite: every adapter must pass it, the local disk and S3 (against
 * a real S3-compatible server the suite starts). Streams in and out, durability before commit resolves,
 * content addressing, ranges, a refused or broken source leaving nothing.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3 } from "../../test/s3-server.js";
import type { BlobStore } from "./blob-store.js";
import { DiskBlobStore } from "./disk/disk-blob-store.js";
import { S3BlobStore } from "./s3/s3-blob-store.js";

interface Adapter {
  name: string;
  open(): Promise<{ store: BlobStore; staging(): string[]; dispose(): Promise<void> | void }>;
}

const ADAPTERS: Adapter[] = [
  {
    name: "disk",
    async open() {
      const root = mkdtempSync(join(tmpdir(), "haetae-blobs-"));
      return {
        store: new DiskBlobStore(root),
        staging: () => readdirSync(join(root, "staging")),
        dispose: () => rmSync(root, { recursive: true, force: true }),
      };
    },
  },
  {
    // A real S3-compatible server the suite starts (docs/decisions.md).
    name: "s3",
    async open() {
      const s3 = await startS3();
      const staging = mkdtempSync(join(tmpdir(), "haetae-s3-staging-"));
      const store = new S3BlobStore(s3.settings, staging);
      return {
        store,
        staging: () => readdirSync(join(staging, "staging")),
        dispose: async () => {
          store.close();
          await s3.stop();
          rmSync(staging, { recursive: true, force: true });
        },
      };
    },
  },
];

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe.each(ADAPTERS)("blob store contract: $name", (adapter) => {
  let place: Awaited<ReturnType<Adapter["open"]>>;
  let store: BlobStore;
  beforeAll(async () => {
    place = await adapter.open();
    store = place.store;
  });
  afterAll(() => place?.dispose());

  it("stages a stream with its hash and size, and serves it whole and by range once committed", async () => {
    const bytes = Buffer.from("0123456789".repeat(100_000));
    const staged = await store.stage(
      Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]),
      bytes.length,
      () => new Error("big"),
    );
    expect([staged.sha256, staged.size]).toEqual([sha(bytes), bytes.length]);
    expect(await store.size(staged.sha256)).toBeNull();
    await store.commit(staged);
    await staged.discard();
    expect(await store.size(staged.sha256)).toBe(bytes.length);
    expect((await buffer(store.read(staged.sha256))).equals(bytes)).toBe(true);
    expect((await buffer(store.read(staged.sha256, { start: 5, end: 14 }))).toString()).toBe("5678901234");
    expect(place.staging()).toEqual([]);
  });

  it("keeps one copy of equal bytes, committed twice or at once", async () => {
    const bytes = Buffer.from(`equal ${Math.random()}`);
    const [a, b] = await Promise.all([store.stageBuffer(bytes), store.stageBuffer(bytes)]);
    await Promise.all([store.commit(a), store.commit(b)]);
    await store.commit(a);
    expect(await store.size(a.sha256)).toBe(bytes.length);
    await Promise.all([a.discard(), b.discard()]);
    expect((await buffer(store.read(a.sha256))).equals(bytes)).toBe(true);
    await store.delete(a.sha256);
    await store.delete(a.sha256);
    expect(await store.size(a.sha256)).toBeNull();
  });

  it("leaves nothing of a source past its limit or one that fails mid-stream", async () => {
    const tooBig = store.stage(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), 1000, () => new Error("too big"));
    await expect(tooBig).rejects.toThrow("too big");
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(100));
        this.destroy(new Error("connection reset"));
      },
    });
    await expect(store.stage(broken, 1000, () => new Error("too big"))).rejects.toThrow("connection reset");
    expect(place.staging()).toEqual([]);
  });

  it("refuses a name that is not a SHA-256 (no path from outside reaches the disk)", async () => {
    expect(() => store.read("../../etc/passwd")).toThrow();
    await expect(store.size("../x")).rejects.toThrow();
    expect(existsSync("/etc/passwd")).toBe(true);
  });
});
