/** @module The TowerLink over a real NATS: calls by request/reply (unavailable when nobody leads), the feed from a KV key for a node that joins late or hears a new leader, SLI reports on a subject. */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { makeConfig } from "../../src/config/config.js";
import {
  connectTowerNats,
  NatsTowerLink,
  pack,
  serveTowerHost,
  towerNames,
  unpack,
} from "../../src/ops/link/nats-tower-link.js";
import { type FeedMessage, remoteTowerApi } from "../../src/ops/link/tower-api.js";
import { startTowerService, type TowerService } from "../../src/ops/link/tower-service.js";
import { SliRecorder } from "../../src/ops/sli-recorder.js";
import { HaetaeError } from "../../src/protocol/errors.js";
import { NATS_URL } from "../services.js";
import { eventually } from "./ops-helpers.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ACTOR = { username: "chief", role: "admin" as const };

async function setup() {
  const prefix = `lt_${randomUUID().slice(0, 8)}`;
  const names = towerNames(`${NATS_URL}?prefix=${prefix}`);
  const nc = await connectTowerNats(NATS_URL, "link-test");
  cleanups.push(async () => {
    const kvm = new Kvm(nc);
    for (const bucket of [names.feedBucket]) await (await kvm.open(bucket)).destroy().catch(() => false);
    await nc.close();
  });
  return { names, nc };
}

async function service(): Promise<TowerService & { sli: SliRecorder }> {
  const dir = mkdtempSync(join(tmpdir(), "haetae-natslink-"));
  const sli = new SliRecorder();
  const started = await startTowerService(makeConfig({ data: dir, towerTickMs: 50, statusPort: 0 }), {
    sli,
    identity: { pageId: "abcdefghijkl", componentsCreatedAt: new Map() },
  });
  cleanups.push(async () => {
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...started, sli };
}

async function link(nc: NatsConnection, names: ReturnType<typeof towerNames>) {
  const opened = await NatsTowerLink.open(nc, names);
  cleanups.push(() => opened.close());
  const heard: FeedMessage[] = [];
  opened.onFeed((message) => heard.push(message));
  return { link: opened, heard };
}

describe("the tower's link over NATS", () => {
  it("answers unavailable with retryAfterMs at once while nobody leads", async () => {
    const { nc, names } = await setup();
    const { link: node } = await link(nc, names);
    const started = Date.now();
    const error = await remoteTowerApi(node)
      .listIncidents({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaetaeError);
    expect(error).toMatchObject({ code: "unavailable", retryAfterMs: 2000 });
    expect(Date.now() - started).toBeLessThan(2000); // no responders: no wait for the timeout
  });

  it("carries calls and their error codes, SLI reports, and the feed to a node that joins late or hears a new leader", async () => {
    const { nc, names } = await setup();
    const first = await service();
    const stopFirst = await serveTowerHost(nc, names, { host: first.host, leads: () => true });
    const { link: early, heard: earlyHeard } = await link(nc, names);
    const api = remoteTowerApi(early);
    const { incident } = await api.declare({ title: "Sending fails", components: ["messaging"] }, ACTOR);
    expect(first.tower.getIncident(incident.id).title).toBe("Sending fails");
    await expect(api.getIncident("INC-999")).rejects.toMatchObject({ code: "incident_not_found" });
    // The early node heard the change, with it.
    await eventually(() => expect(earlyHeard.some((m) => m.change !== undefined)).toBe(true));

    // SLI events reach the leader's recorder.
    const taken: unknown[] = [];
    first.sli.subscribe((event) => taken.push(event));
    const event = { sli: "send" as const, ok: false, source: "traffic" as const, at: Date.now() };
    early.reportSli([event, { sli: "nonsense" } as never]);
    await eventually(() => expect(taken).toEqual([event])); // the malformed one is dropped

    // A node that joins after the change starts from the state, which has the incident, without a change.
    const { heard: lateHeard } = await link(nc, names);
    await eventually(() => expect(lateHeard.length).toBeGreaterThan(0));
    expect(lateHeard[0]?.change).toBeUndefined();
    expect(lateHeard[0]?.snapshot.incidents.map((i) => i.id)).toEqual([incident.id]);

    // A new leader (another tower) takes over: every node hears its state.
    await stopFirst();
    const second = await service();
    const count = lateHeard.length;
    const stopSecond = await serveTowerHost(nc, names, { host: second.host, leads: () => true });
    cleanups.push(stopSecond);
    await eventually(() => {
      const fresh = lateHeard.slice(count);
      expect(fresh.some((m) => m.change === undefined && m.snapshot.incidents.length === 0)).toBe(true);
    });
    expect((await remoteTowerApi(early).listIncidents({})).map((i) => i.id)).toEqual([]);
  });

  it("compresses payloads more than tenfold on a snapshot of repeated words, and restores them exactly", () => {
    const big = {
      snapshot: {
        incidents: Array.from({ length: 4000 }, (_, i) => ({
          id: `INC-${i}`,
          name: "Some messages are failing to send",
          updates: ["We are investigating reports of failed sends.", "A fix is being rolled out."],
        })),
      },
    };
    const json = JSON.stringify(big).length;
    const packed = pack(big);
    expect(json).toBeGreaterThan(400_000);
    expect(packed.length).toBeLessThan(json / 10);
    expect(unpack(packed)).toEqual(big);
  });
});
