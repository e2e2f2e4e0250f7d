/** @module SQLite's search index file, fed from the feed: a message is found from its ack on, before and once indexed, never twice; edits and deletes hold before and after they are indexed; a lost index file is built again; a send writes nothing for the index. */
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { SEARCH_CHANGE_EVENTS, SEARCH_KEY_STRIDE, SQLITE_SCHEMA } from "../sql/schema-dialect.js";
import { CREATE_MIGRATIONS_TABLE, migrationsFor } from "../sql/schema-migrations.js";
import { SQLITE_INDEX_MAX_BEHIND, searchMessages } from "../sql/search-queries.js";
import type { SqlExecutor } from "../sql/sql-driver.js";
import type { SqlStore } from "../sql/sql-store.js";
import type { MessageSearch } from "../store.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import { searchIndexFile } from "./sqlite-search-file.js";
import { openSqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));

/** Messages whose last change the store does not count as indexed yet: a search reads them outright. */
const BEHIND = `SELECT count(*) AS n FROM (SELECT DISTINCT conversation_id, seq FROM events
  WHERE id > (SELECT indexed_through FROM search_index) AND type IN ${SEARCH_CHANGE_EVENTS})`;
const behindOn = async (reader: SqlExecutor) => Number((await reader.get<{ n: number }>(BEHIND))?.n);

/** User `u` alone in group `g`, which holds `texts` as messages m0, m1, … (seq 1, 2, …). */
async function groupWith(store: SqlStore, texts: string[], at: string): Promise<void> {
  await store.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at });
  await store.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at, createdBy: "u" });
  for (const [i, text] of texts.entries())
    await store.appendMessage({
      id: `m${i}`,
      conversationId: "g",
      senderId: "u",
      clientMsgId: `c${i}`,
      text,
      createdAt: at,
      mentions: [],
      mentionsAll: false,
    });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("finds a message from its ack on, before or once indexed, once; an edit or delete before its indexing holds", async () => {
  // No background rounds: what is past the index stays there until indexed here.
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
    const queued = () => behindOn(driver.reader);
    const find = async (query: string, more: Partial<MessageSearch> = {}) =>
      (await store.searchMessages({ userId: "u", query, limit: 20, force: "index", ...more })).messages.map(
        (m) => m.text,
      );

    const first = await send("내일회의는 10시");
    await send("weekly report draft");
    expect(await queued()).toBe(2);
    // Right after the ack, through the index's plan: read outright, from the events past the index.
    expect(await find("회의는")).toEqual(["내일회의는 10시"]);
    expect(await find("REPORT", { conversationId: g.id })).toEqual(["weekly report draft"]);
    expect(await indexNow()).toBe(2);
    expect(await queued()).toBe(0);
    // Indexed now: found through FTS5, once.
    expect(await find("회의는")).toEqual(["내일회의는 10시"]);
    expect(await find("report")).toEqual(["weekly report draft"]);

    // Edited and deleted before they were indexed: the new text only, the deleted never.
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

it("catches up with the feed in the background, and a send writes nothing for the index", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  // A thread for the first event past the index within a second; it ends after 2 s of quiet.
  const store = openSqliteStore(own, { searchIndexStartWaitMs: 0, searchIndexIdleExitMs: 2_000 }) as SqlStore;
  const indexer = (store.driver as SqliteDriver).searchIndexer;
  try {
    // Nothing to index: no thread (an idle node holds no indexer's isolate).
    expect(indexer?.running).toBe(false);
    const at = new Date().toISOString();
    await store.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at });
    await store.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at, createdBy: "u" });
    const triggers = await store.driver.reader.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'",
    );
    expect(triggers).toEqual([]);
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
    await expect.poll(() => behindOn(store.driver.reader), { timeout: 10_000 }).toBe(0);
    // Started for a trickle that waited: it ends once that is indexed, and the next event starts one again.
    await expect.poll(() => indexer?.running, { timeout: 10_000 }).toBe(false);
    await store.appendMessage({
      id: "m-late",
      conversationId: "g",
      senderId: "u",
      clientMsgId: "c-late",
      text: "queued late",
      createdAt: at,
      mentions: [],
      mentionsAll: false,
    });
    await expect.poll(() => behindOn(store.driver.reader), { timeout: 10_000 }).toBe(0);
    const indexed = await store.driver.reader.get<{ n: number }>(
      "SELECT count(*) AS n FROM search.message_search WHERE message_search MATCH ?",
      ['"queued"'],
    );
    expect(Number(indexed?.n)).toBe(6);
  } finally {
    await store.close();
    rmSync(own, { recursive: true, force: true });
  }
});

it("ends a thread after its quiet spell even while a trickle keeps coming, indexing what waits first", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  // No thread on its own; one asked for stays while the feed comes faster than 3,000 events a second.
  const store = openSqliteStore(own, { searchIndexStartWaitMs: 3_600_000, searchIndexIdleExitMs: 1_000 }) as SqlStore;
  const indexer = (store.driver as SqliteDriver).searchIndexer;
  try {
    await groupWith(store, ["first"], new Date().toISOString());
    await indexer?.indexNow();
    expect(indexer?.running).toBe(true);
    // A message every 150 ms: at any moment one waits (a round waits for 3,000 or for 2 s), so a
    // thread that ended only once nothing waited would never end.
    let beat = 0;
    let ended = false;
    const until = Date.now() + 4_000;
    while (!ended && Date.now() < until) {
      await store.appendMessage({
        id: `b${beat}`,
        conversationId: "g",
        senderId: "u",
        clientMsgId: `beat-${beat++}`,
        text: "beat",
        createdAt: new Date().toISOString(),
        mentions: [],
        mentionsAll: false,
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      ended = indexer?.running === false;
    }
    expect(ended).toBe(true);
    // What had waited was indexed before the thread ended: the index holds a beat sent after the last round's wait began.
    const indexed = await store.driver.reader.get<{ n: number }>(
      "SELECT count(*) AS n FROM search.message_search WHERE message_search MATCH ?",
      ['"beat"'],
    );
    expect(Number(indexed?.n)).toBeGreaterThan(0);
  } finally {
    await store.close();
    rmSync(own, { recursive: true, force: true });
  }
});

it("builds the index file again when it is lost, the messages found meanwhile outright", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  try {
    const at = new Date().toISOString();
    const first = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    await groupWith(first, ["kept one", "kept two", "dropped"], at);
    await first.deleteMessage("g", 3, at, "u");
    expect(await (first.driver as SqliteDriver).searchIndexer?.indexNow()).toBe(3);
    await first.close();
    for (const suffix of ["", "-wal", "-shm"])
      rmSync(`${searchIndexFile(join(own, "haetae.db"))}${suffix}`, { force: true });

    const again = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    const driver = again.driver as SqliteDriver;
    try {
      const queued = () => behindOn(driver.reader);
      const find = async (query: string) =>
        (await again.searchMessages({ userId: "u", query, limit: 20, force: "index" })).messages.map((m) => m.text);
      // Past the rebuilt index: every message the feed names, the deleted one too (it is not found).
      expect(await queued()).toBe(3);
      expect(await find("kept")).toEqual(["kept two", "kept one"]);
      expect(await find("dropped")).toEqual([]);
      expect(await driver.searchIndexer?.indexNow()).toBe(3);
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

it("moves a version 19 database's index into the index file, built from the feed: every message found again, deleted ones never", async () => {
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
    // Each with its feed event, as the store wrote them.
    const event = old.prepare(
      "INSERT INTO events (conversation_id, type, payload, created_at, seq) VALUES ('g', ?, '{}', ?, ?)",
    );
    for (const [i, text] of ["older report", "older draft", "older secret"].entries()) {
      message.run(i + 1, `m${i}`, `c${i}`, text, at);
      event.run("message.new", at, i + 1);
    }
    // Version 19's indexer: the queue into the FTS5 table in the store's own file.
    old.exec(`INSERT INTO message_search (rowid, text) SELECT k.search_key * ${SEARCH_KEY_STRIDE} + m.seq, m.text
      FROM search_pending p JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
      JOIN search_keys k ON k.conversation_id = p.conversation_id; DELETE FROM search_pending;`);
    old.prepare("UPDATE messages SET deleted_at = ?, text = '' WHERE seq = 3").run(at);
    event.run("message.deleted", at, 3);
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
      expect(await driver.searchIndexer?.indexNow()).toBe(3);
      expect(await find("older")).toEqual(["older draft", "older report"]);
      expect(await find("secret")).toEqual([]);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

it("catches up after kill -9: what a round indexed and what it had not yet are all found, once, from the index", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  try {
    // A process that sends 40 messages, has the first 20 indexed (and the store told so), and is
    // killed with the other 20 not yet indexed (rounds wait for 3,000 events or 2 s).
    const child = join(own, "child.mts");
    writeFileSync(
      child,
      `import { openSqliteStore } from ${JSON.stringify(fileURLToPath(new URL("./sqlite-store.ts", import.meta.url)))};
      // The store's threads do not keep a process alive (unref): this does, until the kill.
      setInterval(() => {}, 1000);
      const store = openSqliteStore(${JSON.stringify(own)});
      const at = new Date().toISOString();
      await store.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at });
      await store.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at, createdBy: "u" });
      const send = (i) => store.appendMessage({ id: "m" + i, conversationId: "g", senderId: "u", clientMsgId: "c" + i,
        text: "killed " + i, createdAt: at, mentions: [], mentionsAll: false });
      for (let i = 0; i < 20; i++) await send(i);
      await store.driver.searchIndexer.indexNow();
      for (let i = 20; i < 40; i++) await send(i);
      process.stdout.write("sent\\n");`,
    );
    const proc = spawn(process.execPath, ["--import", "tsx", child], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("sent") && resolve());
      proc.once("exit", (code) => reject(new Error(`the child exited (${code}) before sending`)));
    });
    proc.kill("SIGKILL");
    await exited;

    const queued = (db: Database.Database) => Number((db.prepare(BEHIND).get() as { n: number }).n);
    const killed = new Database(join(own, "haetae.db"), { readonly: true });
    try {
      // 20 unless a background round (after 2 s) came before the kill on a slow machine.
      expect(queued(killed)).toBeGreaterThan(0);
    } finally {
      killed.close();
    }
    // A thread for what is past the index within a second, not after the minute a node waits.
    const store = openSqliteStore(own, { searchIndexStartWaitMs: 0 }) as SqlStore;
    try {
      await expect.poll(() => behindOn(store.driver.reader), { timeout: 15_000 }).toBe(0);
      const indexed = await store.driver.reader.get<{ n: number }>(
        "SELECT count(*) AS n FROM search.message_search WHERE message_search MATCH ?",
        ['"killed"'],
      );
      expect(Number(indexed?.n)).toBe(40);
      const found = await store.searchMessages({ userId: "u", query: "killed", limit: 50, force: "index" });
      expect(found.messages.map((m) => m.text).sort()).toEqual(
        Array.from({ length: 40 }, (_, i) => `killed ${i}`).sort(),
      );
    } finally {
      await store.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

it("never misses or repeats a message while rounds commit between a send and its search, nor shows an edit's old text", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  const store = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
  const driver = store.driver as SqliteDriver;
  try {
    const at = () => new Date().toISOString();
    await store.createUser({ id: "u", username: "u", displayName: "u", passwordHash: "x", createdAt: at() });
    await store.createGroup({ id: "g", kind: "group", memberIds: ["u"], createdAt: at(), createdBy: "u" });
    // Rounds one after another on the indexer's thread, committing while the main thread
    // sends, edits and searches: every watermark the store records lands somewhere in between.
    let stop = false;
    let rounds = 0;
    const rounding = (async () => {
      while (!stop) {
        await driver.searchIndexer?.indexNow();
        rounds++;
      }
    })();
    const find = async (query: string) =>
      (await store.searchMessages({ userId: "u", query, limit: 20, force: "index" })).messages.map((m) => m.text);
    for (let i = 0; i < 150; i++) {
      const sent = await store.appendMessage({
        id: `m${i}`,
        conversationId: "g",
        senderId: "u",
        clientMsgId: `c${i}`,
        text: `before${i}x`,
        createdAt: at(),
        mentions: [],
        mentionsAll: false,
      });
      expect(await find(`before${i}x`)).toEqual([`before${i}x`]);
      await store.editMessage("g", sent.value.seq, `after${i}y`, [], false, at(), "u");
      expect(await find(`before${i}x`)).toEqual([]);
      expect(await find(`after${i}y`)).toEqual([`after${i}y`]);
      if (i % 3 === 0) {
        await store.deleteMessage("g", sent.value.seq, at(), "u");
        expect(await find(`after${i}y`)).toEqual([]);
      }
    }
    stop = true;
    await rounding;
    expect(rounds).toBeGreaterThan(10);
    await driver.searchIndexer?.indexNow();
    expect(await behindOn(driver.reader)).toBe(0);
    // Once all indexed: each kept message's new text once, no old text, no deleted message.
    const all = (await store.searchMessages({ userId: "u", query: "after", limit: 200, force: "index" })).messages;
    expect(all.map((m) => m.text).sort()).toEqual(
      Array.from({ length: 150 }, (_, i) => i)
        .filter((i) => i % 3 !== 0)
        .map((i) => `after${i}y`)
        .sort(),
    );
    expect(await find("before")).toEqual([]);
  } finally {
    await store.close();
    rmSync(own, { recursive: true, force: true });
  }
});

it("reads outright, not through the index, while the index is far behind the feed (being built again)", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  try {
    const at = new Date().toISOString();
    const first = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    await groupWith(first, ["회의록 초안", "other words"], at);
    await first.close();
    // A history the planner sends through the index (its size is read from the chat's last
    // seq), and more feed events past the index than SQLITE_INDEX_MAX_BEHIND.
    const raw = new Database(join(own, "haetae.db"));
    raw.prepare("UPDATE conversations SET last_seq = 100000 WHERE id = 'g'").run();
    const event = raw.prepare(
      "INSERT INTO events (conversation_id, type, payload, created_at, seq) VALUES ('g', 'message.reaction', '{}', ?, 1)",
    );
    raw.transaction(() => {
      for (let i = 0; i <= SQLITE_INDEX_MAX_BEHIND; i++) event.run(at);
    })();
    raw.close();

    const store = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    const driver = store.driver as SqliteDriver;
    const statements: string[] = [];
    const seen = (sql: string) => {
      statements.push(sql);
      return sql;
    };
    const recording: SqlExecutor = {
      get: (sql, params) => driver.reader.get(seen(sql), params),
      all: (sql, params) => driver.reader.all(seen(sql), params),
      run: (sql, params) => driver.reader.run(seen(sql), params),
    };
    const find = async () => {
      statements.length = 0;
      const found = await searchMessages(recording, "sqlite", { userId: "u", query: "회의록", limit: 20 });
      return { texts: found.messages.map((m) => m.text), viaIndex: statements.some((s) => s.includes("MATCH")) };
    };
    try {
      expect(await find()).toEqual({ texts: ["회의록 초안"], viaIndex: false });
      // Caught up: through the index again.
      while ((await driver.searchIndexer?.indexNow()) !== 0 || (await behindOn(driver.reader)) > 0);
      expect(await find()).toEqual({ texts: ["회의록 초안"], viaIndex: true });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

it("builds the index again when the store's file is put back from an older copy beside a newer index file", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  const at = new Date().toISOString();
  const open = () => openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
  const send = (store: SqlStore, id: string, text: string) =>
    store.appendMessage({
      id,
      conversationId: "g",
      senderId: "u",
      clientMsgId: id,
      text,
      createdAt: at,
      mentions: [],
      mentionsAll: false,
    });
  try {
    const first = open();
    await groupWith(first, ["keep one"], at);
    await first.close();
    copyFileSync(join(own, "haetae.db"), join(own, "backup.db"));
    const second = open();
    await send(second, "lost", "zebra secret lost");
    await (second.driver as SqliteDriver).searchIndexer?.indexNow();
    await second.close();
    // The store's file alone put back (its WAL was checkpointed at close); the index file stays.
    for (const suffix of ["-wal", "-shm"]) rmSync(join(own, `haetae.db${suffix}`), { force: true });
    copyFileSync(join(own, "backup.db"), join(own, "haetae.db"));
    const third = open();
    try {
      // The same seq and event id again, for another text.
      await send(third, "fresh", "giraffe fresh");
      await (third.driver as SqliteDriver).searchIndexer?.indexNow();
      const find = async (query: string) =>
        (await third.searchMessages({ userId: "u", query, limit: 20, force: "index" })).messages.map((m) => m.text);
      expect({ zebra: await find("zebra"), giraffe: await find("giraffe") }).toEqual({
        zebra: [],
        giraffe: ["giraffe fresh"],
      });
    } finally {
      await third.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

it("folds case beyond ASCII read outright as the index does: before and after indexing, and in the scan", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  const store = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
  try {
    await groupWith(store, ["ÉCOLE ПРИВЕТ", "Straße 회의록 MEETING"], new Date().toISOString());
    const find = async (query: string, force: MessageSearch["force"]) =>
      (await store.searchMessages({ userId: "u", query, limit: 20, force })).messages.map((m) => m.text);
    const all = async () =>
      Object.fromEntries(
        await Promise.all(
          ["école", "привет", "ПРИВЕТ", "straße", "회의록", "meeting"].map(
            async (q) => [q, [await find(q, "index"), await find(q, "scan")]] as const,
          ),
        ),
      );
    const expected = {
      école: [["ÉCOLE ПРИВЕТ"], ["ÉCOLE ПРИВЕТ"]],
      привет: [["ÉCOLE ПРИВЕТ"], ["ÉCOLE ПРИВЕТ"]],
      ПРИВЕТ: [["ÉCOLE ПРИВЕТ"], ["ÉCOLE ПРИВЕТ"]],
      straße: [["Straße 회의록 MEETING"], ["Straße 회의록 MEETING"]],
      회의록: [["Straße 회의록 MEETING"], ["Straße 회의록 MEETING"]],
      meeting: [["Straße 회의록 MEETING"], ["Straße 회의록 MEETING"]],
    };
    expect(await all()).toEqual(expected);
    await (store.driver as SqliteDriver).searchIndexer?.indexNow();
    expect(await all()).toEqual(expected);
  } finally {
    await store.close();
    rmSync(own, { recursive: true, force: true });
  }
});

it("stops indexing, once and loudly, when the index file is removed under the running store; searches hold, the next start rebuilds", async () => {
  const own = mkdtempSync(join(tmpdir(), "haetae-search-queue-"));
  const at = new Date().toISOString();
  const find = async (store: SqlStore) =>
    (await store.searchMessages({ userId: "u", query: "alpha", limit: 20, force: "index" })).messages
      .map((m) => m.text)
      .sort();
  try {
    // A thread at once for what is past the index, ended after half a second of quiet: the
    // next one opens the index file anew. (A running thread keeps the removed file open, and
    // writes on into it, as the store's reader reads it: they agree until the next start.)
    const store = openSqliteStore(own, { searchIndexStartWaitMs: 0, searchIndexIdleExitMs: 500 }) as SqlStore;
    const indexer = (store.driver as SqliteDriver).searchIndexer;
    try {
      await groupWith(store, ["alpha one"], at);
      await expect.poll(() => behindOn(store.driver.reader), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => indexer?.running, { timeout: 10_000 }).toBe(false);
      for (const suffix of ["", "-wal", "-shm"])
        rmSync(`${searchIndexFile(join(own, "haetae.db"))}${suffix}`, { force: true });
      await store.appendMessage({
        id: "m-two",
        conversationId: "g",
        senderId: "u",
        clientMsgId: "c-two",
        text: "alpha two",
        createdAt: at,
        mentions: [],
        mentionsAll: false,
      });
      // The next thread finds the file gone, says so, and no other is started.
      await expect
        .poll(() => indexer?.indexNow().then(String, (e: Error) => e.message), { timeout: 10_000 })
        .toMatch(/removed/);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(indexer?.running).toBe(false);
      await expect(indexer?.indexNow()).rejects.toThrow(/removed/);
      expect(await find(store)).toEqual(["alpha one", "alpha two"]);
    } finally {
      await store.close();
    }
    const again = openSqliteStore(own, { searchIndexOnDemand: true }) as SqlStore;
    try {
      expect(await find(again)).toEqual(["alpha one", "alpha two"]);
      expect(await (again.driver as SqliteDriver).searchIndexer?.indexNow()).toBe(2);
      expect(await find(again)).toEqual(["alpha one", "alpha two"]);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});
