/**
 * The fuzzer: for a fixed time (FUZZ_SECONDS, 20 by default), attackers throw generated frames
 * of every request type in the protocol (valid-looking, mutated, wrong-typed, odd Unicode, huge,
 * deeply nested, not JSON, binary, wrong envelopes) and HTTP requests (the auth routes' bodies,
 * wrong methods, odd paths, huge headers, bad content types) at a running server, while a victim
 * talks in a private group. It fails if the server stops answering, grows its memory without
 * bound, answers anything with a code outside the catalogue or `internal`, answers a frame
 * other than exactly once, or lets the attacker read anything of the victim's conversations.
 * A failure prints the seed: FUZZ_SEED=<seed> replays the same inputs.
 */
import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { addContactOf, RawClient, startTestServer, type TestServer } from "../harness.js";
import { dropSchema, freshSchema, postgresUrlWithSchema } from "../services.js";
import { type FuzzFrame, type FuzzHttpRequest, httpRequest, type KnownIds, wsFrame } from "./fuzz-arbitraries.js";
import { throwHttp, WsLane } from "./fuzz-lanes.js";
import type { Secrets } from "./fuzz-oracle.js";

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Large enough that 100,000 levels of `[` fit in a frame, so the parser meets them and not only the size check. */
const MAX_BYTES = 256 * 1024;
const WS_LANES = 3;
/** Bounds on memory: the heap after a full GC may grow this much over the run, and RSS never pass the second. */
const HEAP_GROWTH_MB = 96;
const RSS_LIMIT_MB = 1536;

/** Requests the fuzzer once found a bug with, thrown first in every run. */
const HTTP_REGRESSIONS: FuzzHttpRequest[] = [
  // Headers past Node's 16 KiB limit got an empty `400 Bad Request`, not a catalogue error.
  {
    method: "POST",
    path: "/api/v1/auth/login",
    contentType: "application/json",
    authorization: "none",
    extraHeaders: { "x-fill": "f".repeat(20_000) },
    body: "{}",
  },
  // A method Node's parser does not know got the same empty 400.
  {
    method: "BREW",
    path: "/api/v1/auth/register",
    contentType: undefined,
    authorization: "none",
    extraHeaders: {},
    body: undefined,
  },
];

interface Account {
  username: string;
  password: string;
  token: string;
  userId: string;
  deviceId: string;
}

let server: TestServer;
const schema = freshSchema();
const reported: string[] = [];
const logged: string[] = [];
const originalError = console.error;

/** A passphrase no strength check refuses: random words and random digits. */
function passphrase(): string {
  const words = ["amber", "cobalt", "meadow", "lantern", "harbor", "quartz", "violet", "tundra"];
  const pick = () => words[(randomBytes(1)[0] ?? 0) % words.length];
  return `${pick()}-${pick()}-${pick()}-${pick()}-${randomBytes(6).toString("hex")}`;
}

async function postAuth(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/api/v1/auth/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function account(prefix: string): Promise<Account> {
  const username = `${prefix}_${randomBytes(5).toString("hex")}`;
  const password = passphrase();
  for (let attempt = 0; attempt < 20; attempt++) {
    const { status, json } = await postAuth("register", { username, password });
    if (status === 201) {
      const user = json.user as { id: string };
      return { username, password, token: String(json.token), userId: user.id, deviceId: String(json.deviceId) };
    }
    const wait = (json.error as { retryAfterMs?: number } | undefined)?.retryAfterMs;
    if (wait === undefined) throw new Error(`register ${username}: ${status} ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 1000)));
  }
  throw new Error(`register ${username}: still refused`);
}

/**
 * Working attacker tokens. The fuzz logs its own sessions out now and then, and may itself have
 * set off the login limits of the attacker's account by the time it needs a new token: tokens
 * are logged in before the run, and only when they run out is it a new login, or a new
 * attacker account when logins are refused.
 */
async function tokenSource(attacker: Account, stock: number): Promise<() => Promise<string>> {
  const login = () => postAuth("login", { username: attacker.username, password: attacker.password });
  const pool: string[] = [];
  for (let i = 0; i < stock; i++) {
    const { status, json } = await login();
    if (status !== 200) break;
    pool.push(String(json.token));
  }
  return async () => {
    const stocked = pool.pop();
    if (stocked) return stocked;
    const { status, json } = await login();
    if (status === 200) return String(json.token);
    return (await account("fzx")).token;
  };
}

beforeAll(async () => {
  server = await startTestServer({
    // SQLite in `npm test`; FUZZ_STORE=postgres for a run against the scale-out store.
    ...(process.env.FUZZ_STORE === "postgres" ? { store: postgresUrlWithSchema(schema) } : {}),
    maxFrameBytes: MAX_BYTES,
    maxHttpBodyBytes: MAX_BYTES,
    requestsPerSecond: 100_000,
    requestBurst: 100_000,
  });
  // Anything the server logs as failed is a finding, even when the reply looked fine.
  console.error = (...args: unknown[]) => {
    logged.push(args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" "));
    originalError(...args);
  };
});
afterAll(async () => {
  console.error = originalError;
  await server?.stop();
  if (process.env.FUZZ_STORE === "postgres") await dropSchema(schema);
});

function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

it(`survives ${SECONDS} s of fuzzing with stable codes, one reply per frame, bounded memory and no leak across G7 (seed ${SEED})`, {
  timeout: (SECONDS + 90) * 1000,
}, async () => {
  const victim = await account("fzvictim");
  const friend = await account("fzfriend");
  const attacker = await account("fzattacker");
  const marker = `SECRET-${randomBytes(8).toString("hex")}`;
  // The victim's friend and the attacker have the victim as a contact, so its groups take them directly.
  await addContactOf(server, victim.userId, [friend.userId, attacker.userId]);
  const v = await RawClient.connect(server.wsUrl, victim.token);
  const group = (
    await v.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "group",
      memberIds: [friend.userId],
      title: `plans ${marker}`,
    })
  ).conversation.id;
  const direct = (
    await v.ok<{ conversation: { id: string } }>("conversation.create", { kind: "direct", memberIds: [friend.userId] })
  ).conversation.id;
  await v.ok("message.send", { conversationId: direct, clientMsgId: "d1", text: `between us: ${marker}` });
  const a = await RawClient.connect(server.wsUrl, attacker.token);
  const own = (await a.ok<{ conversation: { id: string } }>("conversation.create", { kind: "group", memberIds: [] }))
    .conversation.id;
  // A group the attacker was in and was removed from: it knows the id, and what is said after is not its to read.
  const left = (
    await v.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "group",
      memberIds: [friend.userId, attacker.userId],
    })
  ).conversation.id;
  await a.ok("message.send", { conversationId: left, clientMsgId: "before-removal", text: "hello all" });
  await v.ok("conversation.removeMember", { conversationId: left, userId: attacker.userId });
  await a.close();

  const secrets: Secrets = {
    never: [marker, direct, victim.token, friend.token],
    guessed: [group, victim.deviceId],
  };
  const known: KnownIds = {
    userIds: [victim.userId, friend.userId, attacker.userId, "00000000-0000-0000-0000-000000000000"],
    conversationIds: [own, left],
    guessedConversationIds: [group],
    deviceIds: [victim.deviceId],
    usernames: [victim.username, friend.username, attacker.username],
  };

  const tokens = await tokenSource(attacker, 40);
  const heapBefore = heapAfterGc();
  let rssPeak = process.memoryUsage().rss;
  const deadline = Date.now() + SECONDS * 1000;
  let healthChecks = 0;
  const health = (async () => {
    while (Date.now() < deadline) {
      const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
      if (res instanceof Error || res.status !== 200) {
        reported.push(`healthz: ${res instanceof Error ? res.message : res.status}`);
      }
      healthChecks += 1;
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();

  // The victim keeps talking; every message it was told is stored must be there at the end.
  const acked: string[] = [];
  let talked = 0;
  const talk = (async () => {
    for (let i = 0; Date.now() < deadline; i++) {
      const reply = await v.request("message.send", {
        conversationId: i % 2 === 0 ? group : left,
        clientMsgId: `v${i}`,
        text: `meet at 9, ${marker}`,
      });
      if (reply.type === "ok") {
        talked += 1;
        if (i % 2 === 0) acked.push(`v${i}`);
      } else if (reply.code !== "rate_limited" && reply.code !== "overloaded")
        reported.push(`victim send: ${reply.code}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  /** Run one attacker's property until the deadline; its first failure is reported with what it threw. */
  const run = async (
    name: string,
    seed: number,
    check: (value: unknown) => Promise<void>,
    arbitrary: fc.Arbitrary<unknown>,
    examples: unknown[] = [],
  ) => {
    let failure: Error | undefined;
    let current: Promise<void> = Promise.resolve();
    const property = fc.asyncProperty(arbitrary, async (value) => {
      if (Date.now() > deadline) return;
      current = check(value).catch((error: Error) => {
        failure ??= error;
        throw error;
      });
      await current;
    });
    try {
      await fc.assert(property, {
        seed,
        numRuns: 10_000_000,
        endOnFailure: true,
        examples: examples.map((example) => [example]),
        plugins: [fc.interruptAfterTimeLimit(Math.max(0, deadline - Date.now()))],
      });
    } catch (error) {
      // fast-check's own report prints the whole counterexample; the check's message says it shortly.
      const where = /\{ seed: [^}]*\}/.exec((error as Error).message)?.[0] ?? "";
      reported.push(`${name} ${where} (replay with FUZZ_SEED=${SEED}): ${(failure ?? (error as Error)).stack}`);
      return;
    }
    // The time limit does not stop a run under way: its outcome still counts.
    await current.catch(() => undefined);
    if (failure) reported.push(`${name} (replay with FUZZ_SEED=${SEED}): ${failure.stack}`);
  };
  const lanes = Array.from(
    { length: WS_LANES },
    (_, i) => new WsLane(`ws${i + 1}`, server.wsUrl, MAX_BYTES, secrets, tokens, (p) => reported.push(p)),
  );
  let httpToken = await tokens();
  let httpRequests = 0;
  const batches = fc.array(wsFrame(known, MAX_BYTES), { minLength: 1, maxLength: 8 });
  await Promise.all([
    ...lanes.map((lane, i) =>
      run(`ws lane ${i + 1}`, SEED + i, (frames) => lane.batch(frames as FuzzFrame[]), batches),
    ),
    run(
      "http",
      SEED + WS_LANES,
      async (value) => {
        const req = value as FuzzHttpRequest;
        httpRequests += 1;
        const answer = await throwHttp(server.url, req, httpToken, secrets, MAX_BYTES);
        // A logout with its own token ended it: the next requests get a new one.
        if (answer?.status === 200 && /logout/i.test(req.path) && req.authorization === "own") {
          httpToken = await tokens();
        }
      },
      httpRequest(known, MAX_BYTES),
      HTTP_REGRESSIONS,
    ),
  ]);
  await Promise.all([health, talk]);
  await Promise.all(lanes.map((lane) => lane.close()));

  const heapGrowthMb = (heapAfterGc() - heapBefore) / 2 ** 20;
  const frames = lanes.reduce((n, lane) => n + lane.frames, 0);
  const summary = `seed ${SEED}: ${frames} frames answered in ${lanes.reduce((n, l) => n + l.batches, 0)} batches, ${httpRequests} HTTP requests, ${healthChecks} health checks, heap +${heapGrowthMb.toFixed(1)} MiB, RSS peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB`;
  const answers = new Map<string, number>();
  for (const lane of lanes) for (const [k, n] of lane.answers) answers.set(k, (answers.get(k) ?? 0) + n);
  console.log(`fuzz: ${summary}\nanswers: ${[...answers].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  expect(reported, `replay with FUZZ_SEED=${SEED}`).toEqual([]);
  expect(logged, `the server logged failures (replay with FUZZ_SEED=${SEED})`).toEqual([]);

  // After the storm: alive, ready, every victim message stored, the victim's group untouched.
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  expect(v.closeCode).toBeUndefined();
  const stored: string[] = [];
  for (let beforeSeq: number | undefined; ; ) {
    const page = await v.ok<{ messages: { clientMsgId: string; seq: number }[]; hasMore: boolean }>("history", {
      conversationId: group,
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
    });
    stored.push(...page.messages.map((m) => m.clientMsgId));
    if (!page.hasMore || page.messages.length === 0) break;
    beforeSeq = page.messages[0]?.seq;
  }
  expect(stored).toEqual(expect.arrayContaining(acked));
  expect(talked, "the victim kept talking").toBeGreaterThan(SECONDS / 2);
  const got = await v.ok<{ conversation: { memberIds: string[]; title?: string } }>("conversation.get", {
    conversationId: group,
  });
  expect([...got.conversation.memberIds].sort()).toEqual([victim.userId, friend.userId].sort());
  expect(got.conversation.title).toBe(`plans ${marker}`);
  await v.close();

  expect(heapGrowthMb, summary).toBeLessThan(HEAP_GROWTH_MB);
  expect(rssPeak / 2 ** 20, summary).toBeLessThan(RSS_LIMIT_MB);
  // The run threw enough to mean something, even on a machine busy with the rest of the suite.
  expect(frames, summary).toBeGreaterThan(Math.max(50, SECONDS * 3));
  expect(healthChecks, summary).toBeGreaterThan(SECONDS / 2);
});
