/** @module SQLite's search queue and index file: a message is found from its ack on, while queued and once indexed, never twice; edits and deletes hold before and after they are indexed; a lost index file is built again. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { SqlStore } from "../sql/sql-store.js";
import type { MessageSearch } from "../store.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import { searchIndexFile } from "./sqlite-search-file.js";
import { SEARCH_INDEX_INTERVAL_MS } from "./sqlite-search-indexer.js";
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
        { timeout: 5 * SEARCH_INDEX_INTERVAL_MS },
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
