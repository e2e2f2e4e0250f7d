/** @module SQLite's search queue and index file: a message is found from its ack on, while queued and once indexed, never twice; edits and deletes hold before and after they are indexed; a lost index file is built again. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { SEARCH_KEY_STRIDE, SQLITE_SCHEMA } from "../sql/schema-dialect.js";
import { CREATE_MIGRATIONS_TABLE, migrationsFor } from "../sql/schema-migrations.js";
import type { SqlStore } from "../sql/sql-store.js";
import type { MessageSearch } from "../store.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import { searchIndexFile } from "./sqlite-search-file.js";
import { openSqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("finds a message from its ack on, queued or indexed, once; an edit or delete of a queued message holds", async () => {
  // No background rounds: what is queued stays queued until indexed here.
  const store = openSqliteStore(dir, { searchIndexOnDemand: true }) as SqlStore;
  const driver = store.driver as SqliteDriver;
  const indexNow = () => driver.searchIndexer?.indexNow();
  try {
    const at = () => new Date().toISOString();
    await store.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at() });
    const g = (await store.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at(), createdBy: "u" }))
      .value;
    let n = 0;
    const send = async (text: string) =>
      (
        await store.appendMessage({
          id: `m${++n}`,
          conversationId: g.id,
          senderId: "u",
          clientMsgId: `c${n}`,
          text,
          createdAt: at(),
          mentions: [],
          mentionsAll: false,
        })
      ).value;
    const queued = async () =>
      Number((await driver.reader.get<{ n: number }>("SELECT count(*) AS n FROM search_pending"))?.n);
    const find = async (query: string, more: Partial<MessageSearch> = {}) =>
      (await store.searchMessages({ userId: "u", query, limit: 20, force: "index", ...more })).messages.map(
        (m) => m.text,
      );

    const first = await send("내일회의는 10시");
    await send("weekly report draft");
    expect(await queued()).toBe(2);
    // Right after the ack, through the index's plan: read from the queue.
    expect(await find("회의는")).toEqual(["내일회의는 10시"]);
    expect(await find("REPORT", { conversationId: g.id })).toEqual(["weekly report draft"]);
    expect(await indexNow()).toBe(2);
    expect(await queued()).toBe(0);
    // Indexed now: found through FTS5, once.
    expect(await find("회의는")).toEqual(["내일회의는 10시"]);
    expect(await find("report")).toEqual(["weekly report draft"]);

    // Edited and deleted while queued: the new text only, the deleted never.
    const edited = await send("first wording");
    const gone = await send("secret wording");
    await send("third wording");
    await store.editMessage(g.id, edited.seq, "final wording", [], false, at(), "u");
    await store.deleteMessage(g.id, gone.seq, at(), "u");
    expect(await queued()).toBe(3);
    expect(await find("wording")).toEqual(["third wording", "final wording"]);
    expect(await find("first")).toEqual([]);
    expect(await find("secret")).toEqual([]);
    expect(await indexNow()).toBe(3);
    expect(await queued()).toBe(0);
    expect(await find("wording")).toEqual(["third wording", "final wording"]);
    expect(await find("secret")).toEqual([]);
    // Edited and deleted once indexed: the index still holds the old text until the next
    // round, and the search does not take it from there.
    await store.editMessage(g.id, first.seq, "점심은 12시", [], false, at(), "u");
    await store.deleteMessage(g.id, edited.seq, at(), "u");
    expect(await queued()).toBe(2);
    expect(await find("회의는")).toEqual([]);
    expect(await find("점심은")).toEqual(["점심은 12시"]);
    expect(await find("final")).toEqual([]);
    expect(await indexNow()).toBe(2);
    expect(await find("회의는")).toEqual([]);
    expect(await find("점심은")).toEqual(["점심은 12시"]);
    expect(await find("final")).toEqual([]);
    const entries = async (query: string) =>
      Number(
        (
          await driver.reader.get<{ n: number }>(
            "SELECT count(*) AS n FROM search.message_search WHERE message_search MATCH ?",
            [`"${query}"`],
          )
        )?.n,
      );
    expect(await entries("회의는")).toBe(0);
    expect(await entries("final")).toBe(0);
    expect(await entries("점심은")).toBe(1);
  } finally {
    await store.close();
  }
});

it("drains the queue in the background", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  const store = openSqliteStore(own) as SqlStore;
  try {
    const at = new Date().toISOString();
    await store.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at });
    await store.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at, createdBy: "u" });
    for (let i = 0; i < 5; i++)
      await store.appendMessage({
        id: `m${i}`,
        conversationId: "g",
        senderId: "u",
        clientMsgId: `c${i}`,
        text: `queued ${i}`,
        createdAt: at,
        mentions: [],
        mentionsAll: false,
      });
    await expect
      .poll(
        async () =>
          Number((await store.driver.reader.get<{ n: number }>("SELECT count(*) AS n FROM search_pending"))?.n),
        { timeout: 10_000 },
      )
      .toBe(0);
    const indexed = await store.driver.reader.get<{ n: number }>(
      "SELECT count(*) AS n FROM search.message_search WHERE message_search MATCH ?",
      ['"queued"'],
    );
    expect(Number(indexed?.n)).toBe(5);
  } finally {
    await store.close();
    rmSync(own, { recursive: true, force: true });
  }
});

it("builds the index file again when it is lost, the messages found meanwhile from the queue", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  try {
    const at = new Date().toISOString();
    const first = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    await first.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at });
    await first.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at, createdBy: "u" });
    for (const [i, text] of ["kept one", "kept two", "dropped"].entries())
      await first.appendMessage({
        id: `m${i}`,
        conversationId: "g",
        senderId: "u",
        clientMsgId: `c${i}`,
        text,
        createdAt: at,
        mentions: [],
        mentionsAll: false,
      });
    await first.deleteMessage("g", 3, at, "u");
    expect(await (first.driver as SqliteDriver).searchIndexer?.indexNow()).toBe(3);
    await first.close();
    for (const suffix of ["", "-wal", "-shm"])
      rmSync(`${searchIndexFile(join(own, "haetae.db"))}${suffix}`, { force: true });

    const again = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    const driver = again.driver as SqliteDriver;
    try {
      const queued = async () =>
        Number((await driver.reader.get<{ n: number }>("SELECT count(*) AS n FROM search_pending"))?.n);
      const find = async (query: string) =>
        (await again.searchMessages({ userId: "u", query, limit: 20, force: "index" })).messages.map((m) => m.text);
      expect(await queued()).toBe(2);
      expect(await find("kept")).toEqual(["kept two", "kept one"]);
      expect(await driver.searchIndexer?.indexNow()).toBe(2);
      expect(await queued()).toBe(0);
      expect(await find("kept")).toEqual(["kept two", "kept one"]);
      expect(await find("dropped")).toEqual([]);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

it("moves a version 19 database's index into the index file: every message found again, deleted ones never", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  try {
    const file = join(own, "haetae.db");
    const old = new Database(file);
    old.exec(CREATE_MIGRATIONS_TABLE);
    for (const m of migrationsFor(SQLITE_SCHEMA).filter((m) => m.version <= 19)) {
      old.exec(m.sql);
      old
        .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 'x')")
        .run(m.version, m.name);
    }
    const at = new Date().toISOString();
    old.exec(`INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('u', 'u', 'u', 'x', '${at}');
      INSERT INTO conversations (id, kind, created_at, created_by, last_seq, last_activity_at) VALUES ('g', 'group', '${at}', 'u', 3, '${at}');
      INSERT INTO members (conversation_id, user_id, role, joined_at, joined_event_id) VALUES ('g', 'u', 'member', '${at}', 1);
      INSERT INTO membership_spans (conversation_id, user_id, joined_event_id) VALUES ('g', 'u', 1);`);
    const message = old.prepare(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, mentions, mentions_all) VALUES ('g', ?, ?, 'u', ?, ?, ?, '[]', 0)",
    );
    for (const [i, text] of ["older report", "older draft", "older secret"].entries())
      message.run(i + 1, `m${i}`, `c${i}`, text, at);
    // Version 19's indexer: the queue into the FTS5 table in the store's own file.
    old.exec(`INSERT INTO message_search (rowid, text) SELECT k.search_key * ${SEARCH_KEY_STRIDE} + m.seq, m.text
      FROM search_pending p JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
      JOIN search_keys k ON k.conversation_id = p.conversation_id; DELETE FROM search_pending;`);
    old.prepare("UPDATE messages SET deleted_at = ?, text = '' WHERE seq = 3").run(at);
    old.close();

    const store = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    const driver = store.driver as SqliteDriver;
    try {
      const find = async (query: string) =>
        (await store.searchMessages({ userId: "u", query, limit: 20, force: "index" })).messages.map((m) => m.text);
      const tables = await driver.reader.all<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE name LIKE 'message_search%'",
      );
      expect(tables).toEqual([]);
      expect(await find("older")).toEqual(["older draft", "older report"]);
      expect(await driver.searchIndexer?.indexNow()).toBe(2);
      expect(await find("older")).toEqual(["older draft", "older report"]);
      expect(await find("secret")).toEqual([]);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});
