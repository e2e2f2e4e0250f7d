/** @module Public status subscribers: their webhook URLs, components and confirmation state, in a SQLite file of their own beside the chat store. */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { HaetaeError } from "../../protocol/index.js";
import { makePrivateFolder } from "../../store/data-folder.js";
import { openPrivateDatabase } from "../../store/private-database.js";

/** One subscriber: notified of incidents and changes on `components` (all when empty) once confirmed. */
export interface Subscriber {
  id: string;
  url: string;
  components: string[];
  /** Proves ownership to unsubscribe, and signs every delivery to this subscriber. */
  secret: string;
  createdAt: string;
  /** When the target proved it wants the notifications; until then nothing but the confirmation request is sent. */
  confirmedAt: string | null;
  /** When an unconfirmed subscription is forgotten. */
  expiresAt: string;
}

/**
 * One subscriber's row as stored, or its removal (`row` null): what a cluster's leader copies to
 * the other nodes (src/ops/link/nats-replication.ts), and what `apply` writes into a replica.
 */
export interface SubscriberRecord {
  kind: "subscriber";
  id: string;
  row: SubscriberRow | null;
}

export interface SubscriberRow {
  id: string;
  url: string;
  components: string;
  secret: string;
  created_at: string;
  confirmed_at: string | null;
  expires_at: string | null;
  confirm_hash: string | null;
}

function fromRow(row: SubscriberRow): Subscriber {
  return {
    id: row.id,
    url: row.url,
    components: JSON.parse(row.components) as string[],
    secret: row.secret,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    expiresAt: row.expires_at ?? row.created_at,
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Subscribers live in `<data>/subscribers.sqlite`, not in the chat store: subscribing and
 * notifying must work while the chat store is down (the moment subscribers most need the
 * news). The whole list is also held in memory — bounded by `limit` confirmed plus
 * `pendingLimit` unconfirmed — so choosing whom to notify never touches the disk.
 *
 * A new subscription is pending: it does not count against `limit` and hears nothing until its
 * target presents the confirmation token (sent only to the target, stored here only as a
 * SHA-256). Pending ones expire; past `pendingLimit` the oldest pending one is forgotten, so
 * sign-ups that nobody confirms can never keep a real subscriber out.
 */
export class SubscriberStore {
  private readonly db: Database.Database;
  private readonly byId = new Map<string, Subscriber>();
  private readonly confirmHashes = new Map<string, Buffer>();
  private confirmed = 0;

  /** `onChange` hears every row written or removed (a cluster's leader replicates them). */
  constructor(
    dataDir: string,
    private readonly limit: number,
    private readonly pendingLimit = 1000,
    private onChange?: (record: SubscriberRecord) => void,
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
    // Version 1 adds confirmation; subscriptions made before it were already live, so they count as confirmed.
    if ((this.db.pragma("user_version", { simple: true }) as number) < 1) {
      this.db.transaction(() => {
        this.db.exec(`ALTER TABLE subscribers ADD COLUMN confirmed_at TEXT;
          ALTER TABLE subscribers ADD COLUMN expires_at TEXT;
          ALTER TABLE subscribers ADD COLUMN confirm_hash TEXT;
          UPDATE subscribers SET confirmed_at = created_at;`);
        this.db.pragma("user_version = 1");
      })();
    }
    for (const row of this.db.prepare("SELECT * FROM subscribers ORDER BY created_at").all() as SubscriberRow[]) {
      this.remember(fromRow(row));
      if (row.confirm_hash) this.confirmHashes.set(row.id, Buffer.from(row.confirm_hash, "hex"));
    }
    this.sweep(new Date());
  }

  /**
   * Store a pending subscriber that lives `ttlMs` unless confirmed, and return it with the
   * confirmation token (only its hash is kept). `subscriber_limit_exceeded` when the confirmed
   * ones already fill `limit`.
   */
  addPending(url: string, components: string[], now: Date, ttlMs: number): { subscriber: Subscriber; token: string } {
    this.sweep(now);
    if (this.confirmed >= this.limit) throw new HaetaeError("subscriber_limit_exceeded");
    if (this.byId.size - this.confirmed >= this.pendingLimit) {
      const oldest = [...this.byId.values()].find((s) => s.confirmedAt === null);
      if (oldest) this.forget(oldest.id);
    }
    const token = randomBytes(32).toString("base64url");
    const subscriber: Subscriber = {
      id: randomUUID(),
      url,
      components: [...new Set(components)].sort(),
      secret: `whsec_${randomBytes(24).toString("base64url")}`,
      createdAt: now.toISOString(),
      confirmedAt: null,
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
    const hash = sha256(token);
    this.db
      .prepare(
        `INSERT INTO subscribers (id, url, components, secret, created_at, confirmed_at, expires_at, confirm_hash)
         VALUES (?, ?, ?, ?, ?, NULL, ?, ?)`,
      )
      .run(
        subscriber.id,
        subscriber.url,
        JSON.stringify(subscriber.components),
        subscriber.secret,
        subscriber.createdAt,
        subscriber.expiresAt,
        hash.toString("hex"),
      );
    this.remember(subscriber);
    this.confirmHashes.set(subscriber.id, hash);
    this.announce(subscriber.id);
    return { subscriber, token };
  }

  /**
   * Confirm with the token the target received. Confirming again is a no-op;
   * `subscriber_not_found` for an unknown or expired one, `forbidden` for a wrong token,
   * `subscriber_limit_exceeded` when the confirmed ones have filled `limit` meanwhile.
   */
  confirm(id: string, token: string, now: Date): Subscriber {
    this.sweep(now);
    const subscriber = this.byId.get(id);
    const hash = this.confirmHashes.get(id);
    if (!subscriber || !hash) throw new HaetaeError("subscriber_not_found");
    const given = sha256(token);
    if (!timingSafeEqual(given, hash))
      throw new HaetaeError("forbidden", "The token does not confirm this subscription.");
    if (subscriber.confirmedAt !== null) return subscriber;
    if (this.confirmed >= this.limit) throw new HaetaeError("subscriber_limit_exceeded");
    subscriber.confirmedAt = now.toISOString();
    this.db.prepare("UPDATE subscribers SET confirmed_at = ? WHERE id = ?").run(subscriber.confirmedAt, id);
    this.confirmed += 1;
    this.announce(id);
    return subscriber;
  }

  /** Remove a subscriber that presents its secret; `subscriber_not_found` or `forbidden` otherwise. */
  remove(id: string, secret: string): void {
    const subscriber = this.byId.get(id);
    if (!subscriber) throw new HaetaeError("subscriber_not_found");
    if (!sameSecret(secret, subscriber.secret)) {
      throw new HaetaeError("forbidden", "The secret does not match this subscription.");
    }
    this.forget(id);
  }

  /** Remove a subscriber through the unsubscribe link of its notifications. */
  removeWithToken(id: string, token: string): void {
    const subscriber = this.byId.get(id);
    if (!subscriber) throw new HaetaeError("subscriber_not_found");
    if (!sameSecret(token, unsubscribeToken(subscriber))) {
      throw new HaetaeError("forbidden", "The token does not match this subscription.");
    }
    this.forget(id);
  }

  /** A subscriber that presents its secret; `subscriber_not_found` (also once expired) or `forbidden` otherwise. */
  get(id: string, secret: string, now = new Date()): Subscriber {
    this.sweep(now);
    const subscriber = this.byId.get(id);
    if (!subscriber) throw new HaetaeError("subscriber_not_found");
    if (!sameSecret(secret, subscriber.secret)) {
      throw new HaetaeError("forbidden", "The secret does not match this subscription.");
    }
    return subscriber;
  }

  /** Confirmed subscribers to notify of a change on these components (those with no filter hear everything). */
  forComponents(componentIds: readonly string[]): Subscriber[] {
    const result: Subscriber[] = [];
    for (const subscriber of this.byId.values()) {
      if (subscriber.confirmedAt === null) continue;
      if (subscriber.components.length === 0 || subscriber.components.some((c) => componentIds.includes(c))) {
        result.push(subscriber);
      }
    }
    return result;
  }

  /** Confirmed subscribers (the ones `limit` counts). */
  get size(): number {
    return this.confirmed;
  }

  /** Unconfirmed subscribers not yet expired. */
  get pendingCount(): number {
    return this.byId.size - this.confirmed;
  }

  close(): void {
    this.db.close();
  }

  /** Forget the pending subscriptions whose time is up. */
  private sweep(now: Date): void {
    const at = now.toISOString();
    for (const subscriber of this.byId.values()) {
      if (subscriber.confirmedAt === null && subscriber.expiresAt <= at) this.forget(subscriber.id);
    }
  }

  private remember(subscriber: Subscriber): void {
    this.byId.set(subscriber.id, subscriber);
    if (subscriber.confirmedAt !== null) this.confirmed += 1;
  }

  private forget(id: string): void {
    const subscriber = this.byId.get(id);
    if (!subscriber) return;
    this.db.prepare("DELETE FROM subscribers WHERE id = ?").run(id);
    this.byId.delete(id);
    this.confirmHashes.delete(id);
    if (subscriber.confirmedAt !== null) this.confirmed -= 1;
    this.onChange?.({ kind: "subscriber", id, row: null });
  }

  /** Tell `onChange` the row of `id` as it is now stored. */
  private announce(id: string): void {
    if (!this.onChange) return;
    const row = this.db.prepare("SELECT * FROM subscribers WHERE id = ?").get(id) as SubscriberRow | undefined;
    this.onChange({ kind: "subscriber", id, row: row ?? null });
  }

  /** Write a row saved elsewhere (a replica of the leader's file), or remove it; `onChange` does not hear it. */
  apply(record: SubscriberRecord): void {
    const onChange = this.onChange;
    this.onChange = undefined;
    try {
      const existing = this.byId.get(record.id);
      if (existing) {
        this.byId.delete(record.id);
        this.confirmHashes.delete(record.id);
        if (existing.confirmedAt !== null) this.confirmed -= 1;
      }
      if (record.row === null) {
        this.db.prepare("DELETE FROM subscribers WHERE id = ?").run(record.id);
        return;
      }
      const row = record.row;
      this.db
        .prepare(
          `INSERT OR REPLACE INTO subscribers (id, url, components, secret, created_at, confirmed_at, expires_at, confirm_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.id,
          row.url,
          row.components,
          row.secret,
          row.created_at,
          row.confirmed_at,
          row.expires_at,
          row.confirm_hash,
        );
      this.remember(fromRow({ ...row, id: record.id }));
      if (row.confirm_hash) this.confirmHashes.set(record.id, Buffer.from(row.confirm_hash, "hex"));
    } finally {
      this.onChange = onChange;
    }
  }
}

/**
 * The token of a subscriber's unsubscribe link: derived from its secret, so nothing more is
 * stored, yet it is not the secret (a forwarded notification does not leak the signing key).
 */
export function unsubscribeToken(subscriber: Pick<Subscriber, "id" | "secret">): string {
  return createHmac("sha256", subscriber.secret).update(`unsubscribe:${subscriber.id}`).digest("base64url");
}
