import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { SqliteCheckpointer } from "./sqlite-checkpointer.js";

it("copies committed pages from the WAL into the database file while the writer never checkpoints", async () => {
  const dir = mkdtempSync(join(tmpdir(), "haetae-checkpoint-"));
  const file = join(dir, "db.sqlite");
  try {
    const writer = new Database(file);
    writer.pragma("journal_mode = WAL");
    writer.pragma("wal_autocheckpoint = 0"); // only the checkpointer may move pages now
    writer.exec("CREATE TABLE t (x TEXT)");
    const insert = writer.prepare("INSERT INTO t (x) VALUES (?)");
    writer.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run("x".repeat(1000));
    })();
    const before = statSync(file).size;
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(2_000_000);

    const checkpointer = new SqliteCheckpointer(file, 20);
    const deadline = Date.now() + 5000;
    while (statSync(file).size < before + 2_000_000 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(statSync(file).size).toBeGreaterThan(before + 2_000_000);
    await checkpointer.close();
    // Every row is still there, read through the writer's connection.
    expect(writer.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 2000 });
    writer.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
