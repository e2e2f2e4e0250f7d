/** @module The subscriber file: pending and confirmed subscriptions, expiry, the pending bound, and files written before confirmation existed. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SubscriberStore } from "./subscriber-store.js";

describe("SubscriberStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "haetae-subscribers-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps subscriptions made before confirmation existed as confirmed", () => {
    const old = new Database(join(dir, "subscribers.sqlite"));
    old.exec(`CREATE TABLE subscribers (id TEXT PRIMARY KEY, url TEXT NOT NULL, components TEXT NOT NULL,
      secret TEXT NOT NULL, created_at TEXT NOT NULL)`);
    old
      .prepare("INSERT INTO subscribers VALUES (?, ?, ?, ?, ?)")
      .run("old-1", "https://hooks.example.com/a", "[]", "whsec_old", "2026-01-01T00:00:00.000Z");
    old.close();
    const store = new SubscriberStore(dir, 10);
    try {
      expect(store.size).toBe(1);
      expect(store.forComponents(["login"]).map((s) => s.id)).toEqual(["old-1"]);
    } finally {
      store.close();
    }
  });

  it("counts only confirmed ones against the limit, forgets expired ones, and bounds the pending ones", () => {
    const store = new SubscriberStore(dir, 1, 3);
    try {
      const t0 = new Date("2026-01-01T00:00:00Z");
      const pending = [1, 2, 3, 4].map((i) => store.addPending(`https://h${i}.example.com/`, [], t0, 60_000));
      // The fourth pushed out the oldest pending one.
      expect(store.pendingCount).toBe(3);
      expect(() => store.confirm(pending[0]?.subscriber.id as string, pending[0]?.token as string, t0)).toThrow(
        /no such status subscription/,
      );
      expect(() => store.confirm(pending[1]?.subscriber.id as string, "wrong", t0)).toThrow(/token/);
      store.confirm(pending[1]?.subscriber.id as string, pending[1]?.token as string, t0);
      expect(store.size).toBe(1);
      expect(store.forComponents([]).map((s) => s.id)).toEqual([pending[1]?.subscriber.id]);
      // The cap is full of confirmed ones: a new sign-up and another confirmation are refused.
      expect(() => store.addPending("https://h5.example.com/", [], t0, 60_000)).toThrow(/as many subscribers/);
      expect(() => store.confirm(pending[2]?.subscriber.id as string, pending[2]?.token as string, t0)).toThrow(
        /as many subscribers/,
      );
      // A minute later the unconfirmed ones are gone, on disk too.
      const later = new Date(t0.getTime() + 60_000);
      expect(() => store.confirm(pending[3]?.subscriber.id as string, pending[3]?.token as string, later)).toThrow(
        /no such status subscription/,
      );
      expect(store.pendingCount).toBe(0);
    } finally {
      store.close();
    }
    const reopened = new SubscriberStore(dir, 1, 3);
    try {
      expect(reopened.size).toBe(1);
      expect(reopened.pendingCount).toBe(0);
    } finally {
      reopened.close();
    }
  });
});
