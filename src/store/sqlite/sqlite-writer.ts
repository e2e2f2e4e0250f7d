/** @module The main thread's side of the SQLite writer thread (`sqlite-writer-thread.ts`). */
import { threadModuleUrl, WriterThread } from "../sql/writer-thread.js";
import type { WriterData } from "./sqlite-writer-thread.js";

/** The SQLite writer thread on `file`; see `WriterThread` for what a crash of it means. */
export class SqliteWriter extends WriterThread {
  constructor(file: string) {
    super(
      threadModuleUrl(import.meta.url, "sqlite-writer-thread"),
      { file } satisfies WriterData,
      "the SQLite writer thread",
    );
  }
}
