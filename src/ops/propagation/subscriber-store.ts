/** @module Public status subscribers: their webhook URLs and components, in a SQLite file of their own beside the chat store. */
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { HaetaeError } from "../../protocol/index.js";
import { makePrivateFolder, openPrivateDatabase } from "../../store/data-folder.js";

/** One subscriber: notified of incidents and changes on `components` (all when empty). */
export interface Subscriber {
  id: string;
  url: string;
  components: string[];
  /** Proves ownership to unsubscribe, and signs every delivery to this subscriber. */
  secret: string;
  createdAt: string;
}

interface Row {
  id: string;
  url: string;
  components: string;
  secret: string;
  created_at: string;
}

/**
 * Subscribers live in `<data>/subscribers.sqlite`, not in the chat store: subscribing and
 * notifying must work while the chat store is down (the moment subscribers most need the
 * news). The whole list is also held in memory — it is small and bounded by `limit` — so
 * choosing whom to notify never touches the disk.
 */
export class SubscriberStore {
  private readonly db: Database.Database;
  private readonly byId = new Map<string, Subscriber>();

  constructor(
    dataDir: string,
    private readonly limit: number,
  ) {
    makePrivateFolder(dataDir);
    this.db = openPrivateDatabase(join(dataDir, "subscribers.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS subscribers (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      components TEXT NOT NULL,
      secret TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
    for (const row of this.db.prepare("SELECT * FROM subscribers").all() as Row[]) {
      this.byId.set(row.id, {
        id: row.id,
        url: row.url,
        components: JSON.parse(row.components) as string[],
        secret: row.secret,
        createdAt: row.created_at,
      });
    }
  }

  /** Store a new subscriber; `subscriber_limit_exceeded` past the limit. */
  add(url: string, components: string[], now: Date): Subscriber {
    if (this.byId.size >= this.limit) throw new HaetaeError("subscriber_limit_exceeded");
    const subscriber: Subscriber = {
      id: randomUUID(),
      url,
      components: [...new Set(components)].sort(),
      secret: `whsec_${randomBytes(24).toString("base64url")}`,
      createdAt: now.toISOString(),
    };
    this.db
      .prepare("INSERT INTO subscribers (id, url, components, secret, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(
        subscriber.id,
        subscriber.url,
        JSON.stringify(subscriber.components),
        subscriber.secret,
        subscriber.createdAt,
      );
    this.byId.set(subscriber.id, subscriber);
    return subscriber;
  }

  /** Remove a subscriber that presents its secret; `subscriber_not_found` or `forbidden` otherwise. */
  remove(id: string, secret: string): void {
    const subscriber = this.byId.get(id);
    if (!subscriber) throw new HaetaeError("subscriber_not_found");
    const given = Buffer.from(secret);
    const expected = Buffer.from(subscriber.secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HaetaeError("forbidden", "The secret does not match this subscription.");
    }
    this.db.prepare("DELETE FROM subscribers WHERE id = ?").run(id);
    this.byId.delete(id);
  }

  /** Subscribers to notify of a change on these components (those with no filter hear everything). */
  forComponents(componentIds: readonly string[]): Subscriber[] {
    const result: Subscriber[] = [];
    for (const subscriber of this.byId.values()) {
      if (subscriber.components.length === 0 || subscriber.components.some((c) => componentIds.includes(c))) {
        result.push(subscriber);
      }
    }
    return result;
  }

  get size(): number {
    return this.byId.size;
  }

  close(): void {
    this.db.close();
  }
}
