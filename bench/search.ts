/**
 * @module Benchmark: message search on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm GIN) over a
 * loaded history of mixed Korean and English text, against a plain `LIKE '%…%'` scan of the same
 * spans in the same run; what the index adds to the cost of a send (the same build with the index
 * dropped); and the index's size against the text's.
 *
 * Usage: npm run bench:search -- [--messages 1000000] [--conversations 10000] [--users 2000]
 *        [--stores sqlite,postgres] [--queries 200] [--peer-queries 40] [--sends 3000] [--pairs 4] [--heavy-users 10] [--keep]
 *        [--send-without all|walk] [--schema <a kept PostgreSQL schema>]
 *        [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { openPostgresStore } from "../src/store/postgres/postgres-store.js";
import { SEARCH_CHANGE_EVENTS } from "../src/store/sql/schema-dialect.js";
import { likeContaining } from "../src/store/sql/search-queries.js";
import type { SqlStore } from "../src/store/sql/sql-store.js";
import type { SqliteDriver } from "../src/store/sqlite/sqlite-driver.js";
import { indexRound, openSearchIndex, searchIndexFile } from "../src/store/sqlite/sqlite-search-file.js";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { MessageSearch } from "../src/store/store.js";
import { SEARCH_QUERY_WORDS } from "./search-words.js";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    conversations: { type: "string", default: "10000" },
    users: { type: "string", default: "2000" },
    stores: { type: "string", default: "sqlite,postgres" },
    queries: { type: "string", default: "200" },
    "peer-queries": { type: "string", default: "40" },
    sends: { type: "string", default: "3000" },
    /** Send cost: index on/off pairs, alternated in order (on, off; off, on; …) on the same store. */
    pairs: { type: "string", default: "4" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
    "heavy-users": { type: "string", default: "10" },
    keep: { type: "boolean", default: false },
    /** PostgreSQL: which of the search's indexes the send rows go without: both, or the walk's alone (the GIN index stays). */
    "send-without": { type: "string", default: "all" },
    /** A schema an earlier `--keep` run loaded with the same sizes: searched again, not loaded. */
    schema: { type: "string" },
  },
});
const MESSAGES = Number(values.messages);
const CONVERSATIONS = Number(values.conversations);
const USERS = Number(values.users);
const QUERIES = Number(values.queries);
const SENDS = Number(values.sends);
const PAIRS = Number(values.pairs);
/** The LIKE peer is slow on large histories (seconds on PostgreSQL): it answers fewer of the same requests. */
const PEER_QUERIES = Math.min(Number(values["peer-queries"]), QUERIES);
/** Users who are in a thousand chats each: histories past SHORT_QUERY_SCAN_ROWS, so their searches go through the index. */
const HEAVY_USERS = Math.min(Number(values["heavy-users"]), USERS);

/** A seeded generator, so both stores load the same history and answer the same queries. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const KOREAN = [
  "내일",
  "회의",
  "회의록",
  "보고서",
  "점심",
  "메뉴",
  "일정",
  "확인",
  "부탁",
  "감사합니다",
  "프로젝트",
  "마감",
  "자료",
  "공유",
  "오늘",
  "저녁",
  "출장",
  "계약서",
  "검토",
  "수정",
  "배포",
  "서버",
  "장애",
  "고객",
  "연락",
];
const ENGLISH = [
  "meeting",
  "report",
  "deadline",
  "lunch",
  "review",
  "deploy",
  "server",
  "incident",
  "customer",
  "contract",
  "please",
  "thanks",
  "update",
  "draft",
  "release",
  "budget",
  "schedule",
  "Monday",
  "Friday",
  "team",
];
const PARTICLES = ["는", "을", "를", "이", "가", "에", "도", "", "", ""];
function sentence(r: () => number): string {
  const words: string[] = [];
  const n = 4 + Math.floor(r() * 10);
  for (let i = 0; i < n; i++) {
    if (r() < 0.6) {
      const word = KOREAN[Math.floor(r() * KOREAN.length)] as string;
      words.push(word + (PARTICLES[Math.floor(r() * PARTICLES.length)] as string));
    } else words.push(ENGLISH[Math.floor(r() * ENGLISH.length)] as string);
  }
  return words.join(" ");
}

interface Loaded {
  conversationMembers: string[][];
  userConversations: string[][];
}

/** Conversations with 2–6 members; messages spread Zipf-like, so a few chats are busy and most are quiet. */
function plan(): { loaded: Loaded; perConversation: number[] } {
  const r = rng(7);
  const conversationMembers: string[][] = [];
  const userConversations: string[][] = Array.from({ length: USERS }, () => []);
  for (let c = 0; c < CONVERSATIONS; c++) {
    const size = 2 + Math.floor(r() * 5);
    const members = new Set<number>();
    while (members.size < size) members.add(HEAVY_USERS + Math.floor(r() * (USERS - HEAVY_USERS)));
    // The heavy users: each in one block of a thousand chats (every busyness rank once).
    const blocks = Math.max(1, Math.ceil(CONVERSATIONS / 1000));
    for (let h = 0; h < HEAVY_USERS; h++) if (Math.floor(c / 1000) === h % blocks) members.add(h);
    conversationMembers.push([...members].map((u) => `u${u}`));
    for (const u of members) userConversations[u]?.push(`c${c}`);
  }
  const weights = Array.from({ length: CONVERSATIONS }, (_, c) => 1 / (1 + (c % 1000)) ** 0.8);
  const total = weights.reduce((a, b) => a + b, 0);
  const perConversation = weights.map((w) => Math.max(1, Math.round((w / total) * MESSAGES)));
  return { loaded: { conversationMembers, userConversations }, perConversation };
}

const BASE_TIME = Date.parse("2024-01-01T00:00:00.000Z");

/** Rows of every table the search reads, written straight into the schema (the send path is measured apart). */
function* rowsOf(perConversation: number[], loaded: Loaded) {
  const r = rng(11);
  // Every chat talks across the whole period (a chat's messages spread over it, in seq order), so
  // a user's newest messages come from many chats, as they do in use.
  const period = MESSAGES * 2;
  for (let c = 0; c < perConversation.length; c++) {
    const members = loaded.conversationMembers[c] as string[];
    const n = perConversation[c] as number;
    for (let seq = 1; seq <= n; seq++) {
      const clock = Math.floor(((seq - 1 + r()) / n) * period);
      yield [
        `c${c}`,
        seq,
        `m${c}-${seq}`,
        members[Math.floor(r() * members.length)],
        `k${c}-${seq}`,
        sentence(r),
        new Date(BASE_TIME + clock * 1000).toISOString(),
        r() < 0.05 ? "[]" : null,
      ] as const;
    }
  }
}

/** Each chat's last activity, its newest message's time, as the send path keeps it (the search's walk sizes its windows by it). */
const LAST_ACTIVITY = `UPDATE conversations SET last_activity_at =
  (SELECT max(created_at) FROM messages WHERE conversation_id = conversations.id)`;

interface Target {
  name: string;
  store: SqlStore;
  /** Load the planned history with the search index built along (SQLite) or after (PostgreSQL). */
  load(perConversation: number[], loaded: Loaded): Promise<void>;
  sizes(): Promise<{ indexBytes: number; textBytes: number }>;
  /** The same store's search index taken away (the "index off" build for the send cost), and put back. */
  dropIndex(): Promise<void>;
  restoreIndex(): Promise<void>;
  /** Until the index has caught up with what was sent (SQLite's indexer through the feed; PostgreSQL: at once). */
  settle(): Promise<void>;
  dispose(): Promise<void>;
}

function loadConversationsSqlite(db: Database.Database, perConversation: number[], loaded: Loaded) {
  const at = new Date(BASE_TIME).toISOString();
  const users = db.prepare(
    "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)",
  );
  for (let u = 0; u < USERS; u++) users.run(`u${u}`, `u${u}`, `u${u}`, at);
  const conv = db.prepare(
    "INSERT INTO conversations (id, kind, created_at, created_by, last_seq, last_activity_at) VALUES (?, 'group', ?, ?, ?, ?)",
  );
  const member = db.prepare(
    "INSERT INTO members (conversation_id, user_id, role, joined_at, joined_event_id) VALUES (?, ?, 'member', ?, 1)",
  );
  const span = db.prepare("INSERT INTO membership_spans (conversation_id, user_id, joined_event_id) VALUES (?, ?, 1)");
  for (let c = 0; c < perConversation.length; c++) {
    const members = loaded.conversationMembers[c] as string[];
    conv.run(`c${c}`, at, members[0], perConversation[c], at);
    for (const u of members) {
      member.run(`c${c}`, u, at);
      span.run(`c${c}`, u);
    }
  }
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), "haetae-bench-search-"));
  // Loaded with the indexer's rounds on demand only (the load indexes in one pass), then opened
  // again as a node opens it, the indexer's thread in the background.
  let store = openSqliteStore(dir, { searchIndexOnDemand: true }) as SqlStore;
  const file = join(dir, "haetae.db");
  return {
    name: "sqlite",
    get store() {
      return store;
    },
    async load(perConversation, loaded) {
      await store.ping();
      await store.close();
      if (values.keep) console.log(`[sqlite] database ${file}`);
      const db = new Database(file);
      db.pragma("journal_mode = WAL");
      db.transaction(() => loadConversationsSqlite(db, perConversation, loaded))();
      const insert = db.prepare(
        "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, mentions, mentions_all, files) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0, ?)",
      );
      // Each message with its feed event, as the store writes them (the indexer reads the feed).
      const event = db.prepare(
        "INSERT INTO events (conversation_id, type, payload, created_at, seq) VALUES (?, 'message.new', '{}', ?, ?)",
      );
      let batch: unknown[][] = [];
      const flush = db.transaction((rows: unknown[][]) => {
        for (const row of rows) {
          insert.run(...row);
          event.run(row[0], row[6], row[1]);
        }
      });
      for (const row of rowsOf(perConversation, loaded)) {
        batch.push([...row]);
        if (batch.length === 20_000) {
          flush(batch);
          batch = [];
        }
      }
      flush(batch);
      // Index every message now in one round, as the store's indexer would over time, so the
      // searches start from an index that is up to date, and tell the store so.
      const index = openSearchIndex(file);
      const { through } = indexRound(index, Number.MAX_SAFE_INTEGER);
      index.exec("INSERT INTO message_search (message_search) VALUES ('optimize')");
      index.close();
      db.prepare("UPDATE search_index SET indexed_through = ?").run(through);
      db.exec(LAST_ACTIVITY);
      db.close();
      store = openSqliteStore(dir) as SqlStore;
    },
    async sizes() {
      const size = (path: string, where: string) => {
        const db = new Database(path, { readonly: true });
        try {
          return (db.prepare(`SELECT sum(pgsize) AS n FROM dbstat WHERE ${where}`).get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      const db = new Database(file, { readonly: true });
      try {
        const text = db.prepare("SELECT sum(length(CAST(text AS BLOB))) AS n FROM messages").get() as { n: number };
        const indexBytes =
          size(searchIndexFile(file), "name LIKE 'message_search%'") + size(file, "name = 'search_keys'");
        return { indexBytes, textBytes: text.n };
      } finally {
        db.close();
      }
    },
    async dropIndex() {
      // The same store without its indexer's thread: a send writes nothing for the index either way.
      await store.close();
      store = openSqliteStore(dir, { searchIndexOff: true }) as SqlStore;
    },
    async restoreIndex() {
      await store.close();
      store = openSqliteStore(dir) as SqlStore;
      // What the rounds without the index sent is indexed now, outside any measured round.
      await this.settle();
    },
    async settle() {
      // Rounds are asked for at once, not waited for (the thread's own start waits for 3,000
      // events or 2 s): the round's work counts in the time, its idle wait does not.
      const indexer = (store.driver as SqliteDriver).searchIndexer;
      if (!indexer) return; // the index off: nothing catches up
      const behind = async () =>
        (await store.driver.reader.get(
          `SELECT 1 AS one FROM events WHERE id > (SELECT indexed_through FROM search_index) AND type IN ${SEARCH_CHANGE_EVENTS} LIMIT 1`,
        )) !== undefined;
      // The indexer's thread keeps no process alive (unref): this does, while its round is awaited.
      const alive = setInterval(() => {}, 1_000);
      try {
        while (await behind()) await indexer.indexNow();
      } finally {
        clearInterval(alive);
      }
    },
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(): Target {
  const schema = values.schema ?? `bench_search_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const url = new URL(values.postgres as string);
  url.searchParams.set("schema", schema);
  const admin = new pg.Pool({ connectionString: values.postgres, max: 2 });
  let store: SqlStore;
  const target: Target = {
    name: "postgres",
    get store() {
      return store;
    },
    async load(perConversation, loaded) {
      if (values.schema) {
        store = (await openPostgresStore(url.toString())) as SqlStore;
        return;
      }
      await admin.query(`CREATE SCHEMA ${schema}`);
      if (values.keep) console.log(`[postgres] schema ${schema}`);
      store = (await openPostgresStore(url.toString())) as SqlStore;
      const client = await admin.connect();
      try {
        await client.query(`SET search_path = ${schema}`);
        await client.query("DROP INDEX messages_text_trgm");
        await client.query("DROP INDEX messages_conversation_time");
        const at = new Date(BASE_TIME).toISOString();
        await client.query(
          "INSERT INTO users (id, username, display_name, password_hash, created_at) SELECT 'u' || g, 'u' || g, 'u' || g, 'x', $1 FROM generate_series(0, $2 - 1) g",
          [at, USERS],
        );
        const convRows = perConversation.map((n, c) => [`c${c}`, (loaded.conversationMembers[c] as string[])[0], n]);
        await client.query(
          `INSERT INTO conversations (id, kind, created_at, created_by, last_seq, last_activity_at)
           SELECT id, 'group', $1, by, n, $1 FROM unnest($2::text[], $3::text[], $4::int[]) AS t(id, by, n)`,
          [at, convRows.map((r) => r[0]), convRows.map((r) => r[1]), convRows.map((r) => r[2])],
        );
        const pairs = loaded.conversationMembers.flatMap((ms, c) => ms.map((u) => [`c${c}`, u]));
        for (const table of ["members", "membership_spans"]) {
          const extra = table === "members" ? ", role, joined_at" : "";
          const extraValues = table === "members" ? ", 'member', $3" : "";
          await client.query(
            `INSERT INTO ${table} (conversation_id, user_id, joined_event_id${extra})
             SELECT c, u, 1${extraValues} FROM unnest($1::text[], $2::text[]) AS t(c, u)`,
            [pairs.map((p) => p[0]), pairs.map((p) => p[1]), ...(table === "members" ? [at] : [])],
          );
        }
        let batch: (readonly unknown[])[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          const cols = Array.from({ length: 8 }, (_, i) => batch.map((row) => row[i]));
          await client.query(
            `INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, text, created_at, files, mentions, mentions_all)
             SELECT c, s, i, se, k, t, a, f, '[]', 0 FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
               AS x(c, s, i, se, k, t, a, f)`,
            cols,
          );
          batch = [];
        };
        for (const row of rowsOf(perConversation, loaded)) {
          batch.push(row);
          if (batch.length === 20_000) await flush();
        }
        await flush();
        await client.query("CREATE INDEX messages_text_trgm ON messages USING gin (lower(text) public.gin_trgm_ops)");
        await client.query("CREATE INDEX messages_conversation_time ON messages(conversation_id, created_at)");
        await client.query(LAST_ACTIVITY);
        await client.query("ANALYZE");
      } finally {
        client.release();
      }
    },
    async sizes() {
      const { rows } = await admin.query<{ index: string; text: string }>(
        `SELECT pg_relation_size('${schema}.messages_text_trgm') AS index, (SELECT sum(octet_length(text)) FROM ${schema}.messages) AS text`,
      );
      return { indexBytes: Number(rows[0]?.index), textBytes: Number(rows[0]?.text) };
    },
    // The search's indexes: the GIN trigram index and the walk's (conversation, created_at).
    async dropIndex() {
      if (values["send-without"] !== "walk") await admin.query(`DROP INDEX ${schema}.messages_text_trgm`);
      await admin.query(`DROP INDEX ${schema}.messages_conversation_time`);
    },
    async restoreIndex() {
      if (values["send-without"] !== "walk")
        await admin.query(
          `CREATE INDEX messages_text_trgm ON ${schema}.messages USING gin (lower(text) public.gin_trgm_ops)`,
        );
      await admin.query(`CREATE INDEX messages_conversation_time ON ${schema}.messages(conversation_id, created_at)`);
    },
    async settle() {},
    async dispose() {
      await store?.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
  return target;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const ms = (n: number) => `${n.toFixed(1)} ms`;

/** The peer: the same spans read with `lower(text) LIKE '%…%'` and no index to help. */
function likePeer(store: SqlStore, search: MessageSearch) {
  const scope = search.conversationId !== undefined ? "AND s.conversation_id = ?" : "";
  return store.driver.reader.all(
    `SELECT m.* FROM membership_spans s
       JOIN members mb ON mb.conversation_id = s.conversation_id AND mb.user_id = s.user_id AND mb.active = 1
       JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq > s.from_seq
         AND m.seq <= COALESCE(s.to_seq, 2147483647)
     WHERE s.user_id = ? ${scope} AND m.deleted_at IS NULL AND lower(m.text) LIKE ? ESCAPE '\\'
     ORDER BY m.created_at DESC, m.conversation_id DESC, m.seq DESC LIMIT ?`,
    [
      search.userId,
      ...(search.conversationId !== undefined ? [search.conversationId] : []),
      likeContaining(search.query.toLowerCase()),
      search.limit + 1,
    ],
  );
}

function percentiles(times: number[]): { p50: number; p95: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

/** The rows of the search table: who searches where. */
const KINDS = {
  "whole, heavy": "whole history, users past the direct-read threshold (PostgreSQL: the walk, then the index)",
  "whole, heavy, index": "whole history, the same heavy users, the index alone (forced: the plan before the walk)",
  "whole, heavy, outright": "whole history, the same heavy users, read outright (forced: the other plan)",
  "whole, typical": "whole history, the next 50 largest histories (read outright)",
  "chat, heavy": "within one of a heavy user's chats",
  "chat, busy": "within one of the 100 busiest chats",
} as const;
type Kind = keyof typeof KINDS;

/** Searches over whole histories and within chats: the store's plan and the LIKE peer, same requests. */
async function searches(t: Target, loaded: Loaded, perConversation: number[]) {
  const r = rng(23);
  const historyOf = loaded.userConversations.map((cs) =>
    cs.reduce((n, c) => n + (perConversation[Number(c.slice(1))] ?? 0), 0),
  );
  const byHistory = historyOf.map((n, u) => [n, u] as const).sort((a, b) => b[0] - a[0]);
  const heavy = byHistory.slice(0, Math.max(1, HEAVY_USERS));
  const typical = byHistory.slice(HEAVY_USERS, HEAVY_USERS + 50);
  const busy = perConversation
    .map((n, c) => [n, c] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 100);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
  const requests = Object.fromEntries(Object.keys(KINDS).map((k) => [k, [] as MessageSearch[]])) as Record<
    Kind,
    MessageSearch[]
  >;
  for (let i = 0; i < QUERIES; i++) {
    const query = pick(SEARCH_QUERY_WORDS);
    const [, h] = pick(heavy);
    requests["whole, heavy"].push({ userId: `u${h}`, query, limit: 20 });
    requests["whole, heavy, index"].push({ userId: `u${h}`, query, limit: 20, force: "index" });
    requests["whole, heavy, outright"].push({ userId: `u${h}`, query, limit: 20, force: "scan" });
    requests["whole, typical"].push({ userId: `u${pick(typical)[1]}`, query, limit: 20 });
    const heavyChat = pick(loaded.userConversations[h] as string[]);
    requests["chat, heavy"].push({ userId: `u${h}`, query, limit: 20, conversationId: heavyChat });
    const [, c] = pick(busy);
    const member = pick(loaded.conversationMembers[c] as string[]);
    requests["chat, busy"].push({ userId: member, query, limit: 20, conversationId: `c${c}` });
  }
  // Each request asked of both, in turns (store first, then the peer first), so neither warms the cache for the other.
  const out: Record<string, { p50: number; p95: number }> = {};
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const times = { store: [] as number[], like: [] as number[] };
    for (let i = 0; i < QUERIES; i++) {
      const request = requests[kind][i] as MessageSearch;
      const runs: ["store" | "like", () => Promise<unknown>][] = [["store", () => t.store.searchMessages(request)]];
      if (i < PEER_QUERIES) runs.push(["like", () => likePeer(t.store, request)]);
      if (i % 2 === 1) runs.reverse();
      for (const [who, run] of runs) {
        const started = performance.now();
        await run();
        times[who].push(performance.now() - started);
      }
    }
    out[`${kind} index`] = percentiles(times.store);
    out[`${kind} LIKE`] = percentiles(times.like);
  }
  // Two-character queries over a history past the threshold read each chat's newest messages only, by design.
  const exact = (s: MessageSearch) => [...s.query].length >= 3;
  for (const s of [...requests["whole, heavy"].filter(exact).slice(0, 10), ...requests["chat, busy"].slice(0, 10)]) {
    const viaIndex = (await t.store.searchMessages(s)).messages.map((m) => m.id);
    const viaLike = ((await likePeer(t.store, s)) as { id: string }[]).slice(0, s.limit).map((m) => m.id);
    if (JSON.stringify(viaIndex) !== JSON.stringify(viaLike))
      throw new Error(`${t.name}: index and LIKE differ for ${s.query}`);
  }
  return { out, heaviest: heavy[0]?.[0] ?? 0, typical: typical[0]?.[0] ?? 0, busiest: busy[0]?.[0] ?? 0 };
}

/** One round of sends: its rate, latencies, and the process's CPU time per send with the index's catching up. */
interface SendRound {
  /** Sends per second, until the index has caught up (SQLite: a round asked for at once after the last ack). */
  perSecond: number;
  p50: number;
  p95: number;
  /** µs of CPU of the whole process (every thread) per send, through the index's catching up. */
  cpuPerSend: number;
  /** ms from the last ack until the index held every send (SQLite's queue drained). */
  catchUp: number;
}

/** Sends through the store's real write path (group commit), 32 at a time. */
async function sendCost(t: Target, loaded: Loaded, sends = SENDS): Promise<SendRound> {
  const r = rng(31);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  // The process's CPU time, every thread's (the writer's, the indexer's): a send's cost that the
  // machine's other load does not change the way it changes the time.
  const cpuStarted = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < sends) {
        const n = next++;
        const c = Math.floor(r() * CONVERSATIONS);
        const members = loaded.conversationMembers[c] as string[];
        const at = performance.now();
        await t.store.appendMessage({
          id: `s${t.name}${n}-${Math.random()}`,
          conversationId: `c${c}`,
          senderId: members[0] as string,
          clientMsgId: `send-${n}-${Math.random()}`,
          text: sentence(r),
          createdAt: new Date().toISOString(),
          mentions: [],
          mentionsAll: false,
        });
        latencies.push(performance.now() - at);
      }
    }),
  );
  const sent = performance.now();
  // The index's work counts: until it has caught up with these sends (in CPU time and in the rate).
  await t.settle();
  const cpu = process.cpuUsage(cpuStarted);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: sends / ((performance.now() - started) / 1000),
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    cpuPerSend: (cpu.user + cpu.system) / sends,
    catchUp: performance.now() - sent,
  };
}

/** The median of `xs`, and their range. */
function spread(xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2
      ? (sorted[Math.floor(mid)] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
  return `median ${pct(median)} (range ${pct(sorted[0] as number)} … ${pct(sorted[sorted.length - 1] as number)}; pairs ${xs.map(pct).join(", ")})`;
}

/**
 * What the index adds to a send: `PAIRS` pairs of rounds on the same store, the index on and
 * off, in alternating order (on, off; off, on; …) so a drift over the run (the machine's other
 * load, the caches) favours neither; each pair gives a ratio, printed with their spread.
 */
/** Sends before each measured round, not counted. */
const WARM_UP_SENDS = 500;

async function sendCostPairs(t: Target, loaded: Loaded): Promise<void> {
  await sendCost(t, loaded); // warm-up
  const on: SendRound[] = [];
  const off: SendRound[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const order = pair % 2 === 0 ? ["on", "off"] : ["off", "on"];
    for (const kind of order) {
      if (kind === "off") await t.dropIndex();
      // A few sends first: a store opened again (SQLite's index off and on) starts its threads.
      await sendCost(t, loaded, WARM_UP_SENDS);
      (kind === "on" ? on : off).push(await sendCost(t, loaded));
      if (kind === "off") await t.restoreIndex();
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const each = (rounds: SendRound[], f: (x: SendRound) => number, digits = 0) =>
    rounds.map((x) => f(x).toFixed(digits)).join(", ");
  const n = t.name;
  console.log(
    `[${n}] send with index: ${mean(on.map((x) => x.perSecond)).toFixed(0)}/s (${each(on, (x) => x.perSecond)}) p50 ${ms(mean(on.map((x) => x.p50)))} p95 ${ms(mean(on.map((x) => x.p95)))} | without: ${mean(off.map((x) => x.perSecond)).toFixed(0)}/s (${each(off, (x) => x.perSecond)}) p50 ${ms(mean(off.map((x) => x.p50)))} p95 ${ms(mean(off.map((x) => x.p95)))}`,
  );
  console.log(
    `[${n}] CPU of the process per send: with index ${mean(on.map((x) => x.cpuPerSend)).toFixed(0)} µs (${each(on, (x) => x.cpuPerSend)}), without ${mean(off.map((x) => x.cpuPerSend)).toFixed(0)} µs (${each(off, (x) => x.cpuPerSend)}); the index caught up ${ms(mean(on.map((x) => x.catchUp)))} after the last ack`,
  );
  console.log(
    `[${n}] the index's cost, CPU per send: ${spread(on.map((x, i) => x.cpuPerSend / (off[i] as SendRound).cpuPerSend - 1))}`,
  );
  console.log(
    `[${n}] the index's cost, throughput: ${spread(on.map((x, i) => (off[i] as SendRound).perSecond / x.perSecond - 1))}`,
  );
}

const { loaded, perConversation } = plan();
const loadedCount = perConversation.reduce((a, b) => a + b, 0);
console.log(
  `search benchmark: ${loadedCount} messages in ${CONVERSATIONS} conversations, ${USERS} users; ${QUERIES} queries per row; ${SENDS} sends per send row`,
);
for (const name of (values.stores as string).split(",")) {
  const t = name === "postgres" ? postgresTarget() : sqliteTarget();
  try {
    const loadStarted = performance.now();
    await t.load(perConversation, loaded);
    console.log(`\n[${name}] loaded in ${((performance.now() - loadStarted) / 1000).toFixed(0)} s`);
    const { indexBytes, textBytes } = await t.sizes();
    console.log(
      `[${name}] index ${(indexBytes / 2 ** 20).toFixed(0)} MiB for ${(textBytes / 2 ** 20).toFixed(0)} MiB of text: ${(indexBytes / textBytes).toFixed(2)}× the text`,
    );
    const { out, heaviest, typical, busiest } = await searches(t, loaded, perConversation);
    console.log(
      `[${name}] histories: heavy users up to ${heaviest} messages, typical up to ${typical}; the busiest chat has ${busiest}`,
    );
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const index = out[`${kind} index`] as { p50: number; p95: number };
      const like = out[`${kind} LIKE`] as { p50: number; p95: number };
      console.log(
        `[${name}] ${KINDS[kind]}: store p50 ${ms(index.p50)} p95 ${ms(index.p95)} | LIKE p50 ${ms(like.p50)} p95 ${ms(like.p95)} | LIKE/index at p95 ${(like.p95 / index.p95).toFixed(1)}×`,
      );
    }
    if (SENDS === 0) continue;
    await sendCostPairs(t, loaded);
  } finally {
    if (values.keep || values.schema) console.log(`[${name}] kept for inspection (--keep): dispose by hand`);
    else await t.dispose();
  }
}
