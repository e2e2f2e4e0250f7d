/**
 * @module The conductor's side of the load generators: planning the conversations, dealing them
 * to generator processes (`bench/load-generator.ts`), starting those and reading their replies,
 * and judging from their own figures whether a run was generator-bound.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "../test/child-server.js";
import { clientsFor, type ServerHandle } from "./bench-server.js";
import type { FromWorker, PlanMessage, PlannedClient, PlannedConversation, ReportMessage } from "./load-shared.js";

/** Above this share of one core a generator is likely the bottleneck. */
const GENERATOR_CPU_LIMIT = 0.7;

/**
 * The conversations: groups of `groupSize` for `groupShare` of the `clients`, pairs for the
 * rest; returns them and how many clients they use.
 */
export function planConversations(
  clients: number,
  groupSize: number,
  groupShare: number,
): { conversations: PlannedConversation[]; clients: number } {
  const groups = Math.floor((clients * groupShare) / groupSize);
  const pairs = Math.floor((clients - groups * groupSize) / 2);
  const conversations: PlannedConversation[] = [];
  let next = 0;
  const take = (n: number) => Array.from({ length: n }, () => next++);
  // Interleave so each generator gets a similar mix.
  for (let g = 0, p = 0; g < groups || p < pairs; ) {
    if (g < groups) {
      conversations.push({ index: conversations.length, kind: "group", members: take(groupSize) });
      g++;
    }
    for (let k = 0; k < Math.ceil(pairs / Math.max(1, groups)) && p < pairs; k++, p++) {
      conversations.push({ index: conversations.length, kind: "direct", members: take(2) });
    }
  }
  return { conversations, clients: next };
}

/** One generator's part of a run: its conversations and those members' clients. */
export interface Share {
  conversations: PlannedConversation[];
  clients: PlannedClient[];
}

/**
 * Whole conversations per generator, so members share a process and a clock; groups and pairs
 * each dealt round-robin, so every generator carries the same mix of sends and fan-out.
 */
export function dealShares(conversations: PlannedConversation[], clients: PlannedClient[], workers: number): Share[] {
  const shares: Share[] = Array.from({ length: workers }, () => ({ conversations: [], clients: [] }));
  for (const kind of ["group", "direct"] as const) {
    conversations
      .filter((c) => c.kind === kind)
      .forEach((conversation, i) => {
        (shares[i % shares.length] as Share).conversations.push(conversation);
      });
  }
  for (const share of shares) {
    const members = new Set(share.conversations.flatMap((c) => c.members));
    share.clients = clients.filter((c) => members.has(c.index));
  }
  return shares;
}

/** A generator process and the next message it sends back. */
export interface Worker {
  child: ChildProcess;
  next(): Promise<FromWorker>;
}

/** Start one generator process; `next()` rejects on a `fail` message or an exit. */
export function spawnWorker(): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/load-generator.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const queue: FromWorker[] = [];
  const waiters: ((m: FromWorker) => void)[] = [];
  child.on("message", (m: FromWorker) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  });
  const next = async () => {
    const m =
      queue.shift() ??
      (await new Promise<FromWorker>((resolve, reject) => {
        waiters.push(resolve);
        child.once("exit", (code) => reject(new Error(`generator exited with ${code}`)));
      }));
    if (m.type === "fail") throw new Error(`generator failed: ${m.error}`);
    return m;
  };
  return { child, next };
}

/** How the clients of a run are grouped. */
export interface Population {
  clients: number;
  groupSize: number;
  groupShare: number;
}

/** The part of a generator's plan that is about time and rate; `part` is its share of the clients. */
export type Schedule = (part: number) => Omit<PlanMessage, "type" | "target" | "url" | "clients" | "conversations">;

/**
 * Plan the conversations, register their users (Haetae, ejabberd), give each generator its share
 * with `schedule`, and wait until every generator has connected its clients; prints how long it
 * took. Resolves with the number of clients.
 */
export async function connectWorkers(
  workers: Worker[],
  server: ServerHandle,
  population: Population,
  schedule: Schedule,
): Promise<number> {
  const { conversations, clients: count } = planConversations(
    population.clients,
    population.groupSize,
    population.groupShare,
  );
  const clients = await clientsFor(server, count);
  const shares = dealShares(conversations, clients, workers.length);
  workers.forEach((worker, w) => {
    const share = shares[w] as Share;
    const plan: PlanMessage = {
      type: "plan",
      target: server.target,
      url: server.url,
      clients: share.clients,
      conversations: share.conversations,
      ...schedule(share.clients.length / count),
    };
    worker.child.send(plan);
  });
  const ready = await Promise.all(workers.map((w) => w.next()));
  const connectMs = Math.max(...ready.map((r) => (r.type === "ready" ? r.connectMs : 0)));
  const groups = conversations.filter((c) => c.kind === "group").length;
  console.log(
    `  ${count} clients connected in ${connectMs.toFixed(0)} ms (${groups} groups of ${population.groupSize}, ${conversations.length - groups} direct pairs) over ${workers.length} generator processes`,
  );
  return count;
}

/** Sums of the generators' counts. */
export interface Totals {
  accepted: number;
  refused: number;
  failed: number;
  unanswered: number;
  delivered: number;
  expectedDeliveries: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  censored: number;
}

/** The generators' counts added up. */
export function sumTotals(reports: ReportMessage[]): Totals {
  const sum = (key: keyof Totals) => reports.reduce((s, r) => s + r[key], 0);
  return {
    accepted: sum("accepted"),
    refused: sum("refused"),
    failed: sum("failed"),
    unanswered: sum("unanswered"),
    delivered: sum("delivered"),
    expectedDeliveries: sum("expectedDeliveries"),
    lost: sum("lost"),
    duplicated: sum("duplicated"),
    outOfOrder: sum("outOfOrder"),
    censored: sum("censored"),
  };
}

/** A generator's own figures over the window: its CPU, how well it kept its schedule. */
export interface GeneratorFigures {
  cpu: number;
  sentShare: number;
  loopP99Ms: number;
  maxBehindMs: number;
}

/** Each generator's figures, and the reasons (if any) to call the run generator-bound. */
export function judgeGenerators(reports: ReportMessage[]): { generators: GeneratorFigures[]; bound: string[] } {
  const generators = reports.map((r) => ({
    cpu: r.cpuMs / r.windowMs,
    sentShare: r.due > 0 ? r.sent / r.due : 1,
    loopP99Ms: r.loopP99Ms,
    maxBehindMs: r.maxBehindMs,
  }));
  const bound: string[] = [];
  generators.forEach((g, i) => {
    if (g.cpu > GENERATOR_CPU_LIMIT) bound.push(`generator ${i} used ${(g.cpu * 100).toFixed(0)} % of a core`);
    if (g.sentShare < 0.95) bound.push(`generator ${i} sent only ${(g.sentShare * 100).toFixed(0)} % of its schedule`);
    if (g.maxBehindMs > 250)
      bound.push(`generator ${i} fell ${g.maxBehindMs.toFixed(0)} ms behind its schedule at worst`);
    if (g.loopP99Ms > 50)
      bound.push(`generator ${i}'s own event loop was ${g.loopP99Ms.toFixed(0)} ms late at p99 (adds to latencies)`);
  });
  return { generators, bound };
}
