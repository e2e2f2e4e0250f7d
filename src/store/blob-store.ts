/** @module The blob-store interface: where the bytes of uploaded files live, content-addressed by SHA-256. Adapters: `disk/` (the embedded default, under the data folder). */
import type { Readable } from "node:stream";

/**
 * Bytes written to a private staging file, fsync'd, with their SHA-256 and size: durable on
 * this machine but not yet a blob. Processing (sniffing, image clean-up) reads `path`.
 * `discard` removes the staging file (idempotent); a staged blob never committed is never seen.
 */
export interface StagedBlob {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  discard(): Promise<void>;
}

/** An inclusive byte range of a blob. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The blob-store contract. A blob is named by the lowercase hex SHA-256 of its bytes, so equal
 * files are stored once. `stage` streams (memory does not grow with the size) and resolves only
 * after the bytes are fsync'd; a source that errors or ends early leaves nothing behind.
 * `commit` makes a staged blob readable under its hash and durable (the rename and the folder
 * are fsync'd) before it resolves, and is idempotent: committing bytes already stored is a
 * no-op that keeps the stored copy. `delete` of an absent blob is a no-op. Nothing here knows
 * who may read a blob: callers go through the store's file rows first.
 */
export interface BlobStore {
  /**
   * Stream `source` into a staging file; refuse it past `maxBytes` (`onTooLarge` is thrown, the
   * partial file removed) without reading further.
   */
  stage(source: Readable, maxBytes: number, onTooLarge: () => Error): Promise<StagedBlob>;
  /** Stage bytes already in memory (a thumbnail, a cleaned image). */
  stageBuffer(bytes: Uint8Array): Promise<StagedBlob>;
  /** Make a staged blob readable under its SHA-256, durably. */
  commit(staged: StagedBlob): Promise<void>;
  /** The size of the stored blob, or null when there is none. */
  size(sha256: string): Promise<number | null>;
  /** A stream of the blob's bytes (the whole of it, or `range`). */
  read(sha256: string, range?: ByteRange): Readable;
  /** Remove staging files a killed upload left behind (at start); resolves to how many. */
  clearStaging(): Promise<number>;
  /** Release connections the adapter holds (the S3 client's sockets); absent when there are none. */
  close?(): void;
  /** Remove a stored blob. */
  delete(sha256: string): Promise<void>;
}
