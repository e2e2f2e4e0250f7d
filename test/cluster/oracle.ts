/**
 * @module The client-side oracle of the chaos tests: senders that keep sending through an outage
 * and record every ack and every refusal, and the checks every such test ends with (each ack
 * stored once at its seq, no seq gap, every member's device holding the whole history).
 */
import { expect } from "vitest";
import type { Message } from "../../src/protocol/index.js";
import type { HaetaeRequestError } from "../../src/sdk/index.js";
import { eventually, fullHistory, type RecordingClient } from "./cluster.js";

/** A send the server refused (or that got no answer), as the client saw it. */
export interface Refusal {
  code: string;
  retryAfterMs: number | undefined;
  at: number;
  sender: string;
}

/** An ack, and when it arrived. */
export interface Ack {
  message: Message;
  at: number;
}

/** One sender: a client, the conversations it writes to in turn, and the tag its clientMsgIds start with. */
export interface Sender {
  rc: RecordingClient;
  conversations: string[];
  tag: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each sender sends one message at a time, a new one every `everyMs`, through the raw
 * `message.send` request (not the SDK's outbox) so that every refusal is seen: a refused send is
 * retried with the same clientMsgId after the server's `retryAfterMs` until it is acked.
 */
export class SteadySenders {
  readonly acked = new Map<string, Ack>();
  readonly refusals: Refusal[] = [];
  /** clientMsgIds of every send started. */
  readonly started = new Set<string>();
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(senders: Sender[], everyMs: number) {
    this.loops = senders.map((sender) => this.run(sender, everyMs));
  }

  private async run({ rc, conversations, tag }: Sender, everyMs: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const conversationId = conversations[i % conversations.length] as string;
      const clientMsgId = `${tag}-${i}`;
      this.started.add(clientMsgId);
      for (;;) {
        try {
          const reply = await rc.client.request("message.send", { conversationId, clientMsgId, text: `${tag} ${i}` });
          this.acked.set(clientMsgId, { message: reply.message, at: Date.now() });
          break;
        } catch (error) {
          const { code, retryAfterMs } = error as HaetaeRequestError;
          this.refusals.push({ code, retryAfterMs, at: Date.now(), sender: tag });
          await sleep(Math.max(50, retryAfterMs ?? 200));
        }
      }
      await sleep(everyMs);
    }
  }

  /** Start no new send; resolves when every started send is acked. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** The first ack that arrived after `time`, of any sender. */
  firstAckAfter(time: number): number | undefined {
    let first: number | undefined;
    for (const { at } of this.acked.values()) if (at > time && (first === undefined || at < first)) first = at;
    return first;
  }
}

async function isMember(rc: RecordingClient, conversationId: string): Promise<boolean> {
  try {
    await rc.client.request("conversation.get", { conversationId });
    return true;
  } catch {
    return false;
  }
}

/**
 * The checks every chaos test ends with: in each conversation, seqs are 1..n without a gap,
 * no clientMsgId is stored twice, every ack is stored at its seq with its id, and every member's
 * client has been delivered exactly the stored seqs, in order (live or by `sync`).
 */
export async function expectConverged(
  acked: Map<string, Message>,
  clients: RecordingClient[],
  conversations: string[],
  timeoutMs = 20_000,
): Promise<void> {
  for (const conversationId of conversations) {
    const members: RecordingClient[] = [];
    for (const rc of clients) if (await isMember(rc, conversationId)) members.push(rc);
    const history = await fullHistory((members[0] as RecordingClient).client, conversationId);
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1)); // no gap
    const ids = history.map((m) => m.clientMsgId);
    expect(new Set(ids).size).toBe(ids.length); // nothing doubled
    for (const message of acked.values()) {
      if (message.conversationId !== conversationId) continue;
      const stored = history[message.seq - 1];
      expect([stored?.clientMsgId, stored?.id]).toEqual([message.clientMsgId, message.id]); // every ack stored, at its seq
    }
    await eventually(async () => {
      for (const rc of members) expect(rc.seqs(conversationId)).toEqual(history.map((m) => m.seq));
    }, timeoutMs);
  }
}
