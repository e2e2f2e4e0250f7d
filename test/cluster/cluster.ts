/** @module Test helpers for the scale-out path: several real `haetae serve` processes on one PostgreSQL and one NATS. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import type { Message, MessageNewEvent } from "../../src/protocol/index.js";
import { HaetaeClient, type HaetaeClientOptions } from "../../src/sdk/index.js";
import { type ChildServer, freePort, startChildServer } from "../child-server.js";
import { dropSchema, freshSchema, NATS_URL, postgresUrlWithSchema } from "../services.js";

export interface Cluster {
  nodes: ChildServer[];
  ports: number[];
  storeUrl: string;
  busUrl: string;
  /** Start (or restart) node `i` with its own store and bus URLs. */
  startNode(i: number, overrides?: NodeOverrides): Promise<ChildServer>;
  stop(): Promise<void>;
}

/** What one node runs with instead of the cluster's own: its store and bus URLs, and more `serve` flags. */
export interface NodeOverrides {
  store?: string;
  bus?: string;
  flags?: string[];
}

/**
 * `url` with `key=value` added unless it has the key: a proxy's URL still names the cluster's
 * schema and prefix. By hand, not by `URL`, which refuses a list of hosts (`h1:p1,h2:p2`).
 */
function withParam(url: string, key: string, value: string): string {
  const [base = "", query = ""] = url.split("?", 2) as [string, string?];
  const params = new URLSearchParams(query);
  if (!params.has(key)) params.set(key, value);
  return `${base}?${params.toString()}`;
}

const FAST = ["--requests-per-second", "10000", "--request-burst", "10000", "--shutdown-timeout-ms", "2000"];

/** `n` nodes on a fresh schema and a NATS prefix of their own. */
export async function startCluster(n: number, overrides: NodeOverrides[] = []): Promise<Cluster> {
  const schema = freshSchema();
  const storeUrl = postgresUrlWithSchema(schema);
  const busUrl = `${NATS_URL}?prefix=${schema}`;
  const dataDir = mkdtempSync(join(tmpdir(), "haetae-cluster-"));
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const nodes: ChildServer[] = [];
  const cluster: Cluster = {
    nodes,
    ports,
    storeUrl,
    busUrl,
    async startNode(i, o = {}) {
      const node = await startChildServer(ports[i] as number, join(dataDir, `node${i}`), [
        "--store",
        withParam(o.store ?? storeUrl, "schema", schema),
        "--bus",
        withParam(o.bus ?? busUrl, "prefix", schema),
        ...FAST,
        ...(o.flags ?? []),
      ]);
      nodes[i] = node;
      return node;
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()));
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // The first node migrates the schema; the others start beside it.
  try {
    await cluster.startNode(0, overrides[0]);
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => cluster.startNode(i + 1, overrides[i + 1])));
  } catch (error) {
    // The nodes that did start would outlive the failed test.
    await cluster.stop();
    throw error;
  }
  return cluster;
}

let counter = 0;

/** Register a user through node `url`; returns its token and id. */
export async function registerOn(
  url: string,
  prefix: string,
): Promise<{ token: string; userId: string; username: string }> {
  counter += 1;
  const username = `${prefix}${counter}_${process.pid % 10000}`;
  const res = await fetch(`${url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "cluster password" }),
  });
  const body = (await res.json()) as { token: string; user: { id: string } };
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(body)}`);
  return { token: body.token, userId: body.user.id, username };
}

/** A second device of the same user. */
export async function loginOn(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "cluster password", deviceName: "second" }),
  });
  return ((await res.json()) as { token: string }).token;
}

/** An SDK client that records every message it delivers, per conversation, in delivery order. */
export class RecordingClient {
  readonly client: HaetaeClient;
  readonly delivered = new Map<string, Message[]>();
  readonly eventIds = new Set<number>();
  readonly states: string[] = [];

  /** `options` replace the quick test backoff, e.g. with the SDK's own defaults where a test measures what users get. */
  constructor(urls: string[], token: string, options: Partial<HaetaeClientOptions> = {}) {
    this.client = new HaetaeClient({
      url: urls,
      token,
      WebSocket: WebSocket as never,
      baseMs: 100,
      maxMs: 1000,
      requestTimeoutMs: 5000,
      ...options,
    });
    this.client.on("message.new", (event: MessageNewEvent) => {
      const list = this.delivered.get(event.conversationId) ?? [];
      list.push(event.message);
      this.delivered.set(event.conversationId, list);
    });
    this.client.on("feed", (event) => this.eventIds.add(event.eventId));
    this.client.on("state", (change) => this.states.push(change.state));
  }

  seqs(conversationId: string): number[] {
    return (this.delivered.get(conversationId) ?? []).map((m) => m.seq);
  }
}

/** Every message of a conversation, from the server, in seq order. */
export async function fullHistory(client: HaetaeClient, conversationId: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (let more = true; more; ) {
    const page = await client.request("history", { conversationId, afterSeq: messages.at(-1)?.seq ?? 0 });
    messages.push(...page.messages);
    more = page.hasMore;
  }
  return messages;
}

/** Poll `check` until it holds or `timeoutMs` passes; the last failure explains itself. */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
