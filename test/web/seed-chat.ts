/** @module Seeds a long direct chat through the real server's protocol: a writer's many messages, some replies, and the reader's read cursor. */
import type { AuthReply } from "../../src/protocol/index.js";
import { RawClient, registerUser } from "../harness.js";

/** Server settings that let one connection send a long history quickly (the per-connection limit is 50/s by default). */
export const SEED_LIMITS = { requestsPerSecond: 100_000, requestBurst: 100_000 };

export interface SeededChat {
  writer: AuthReply;
  reader: AuthReply;
  conversationId: string;
}

/** The text of message `seq` (1-based): every seventh is long, so rows differ in height. */
export function seededText(seq: number): string {
  const base = `Message ${seq}`;
  return seq % 7 === 0 ? `${base} — ${"a longer line that wraps across the bubble ".repeat(4)}` : base;
}

/**
 * A direct chat of `count` messages from the writer, `unread` of them after the reader's read
 * cursor; message `r` replies to `r - replyGap` for each r in `replies`.
 */
export async function seedChat(
  server: { url: string; wsUrl: string },
  options: { count: number; unread: number; replies?: number[]; replyGap?: number; prefix?: string },
): Promise<SeededChat> {
  const prefix = options.prefix ?? "long";
  const writer = await registerUser(server.url, `${prefix}w`, "Writer Kim");
  const reader = await registerUser(server.url, `${prefix}r`, "Reader Lee");
  const [w, r] = await Promise.all([
    RawClient.connect(server.wsUrl, writer.token),
    RawClient.connect(server.wsUrl, reader.token),
  ]);
  try {
    const created = await w.ok<{ conversation: { id: string } }>("conversation.create", {
      kind: "direct",
      memberIds: [reader.user.id],
    });
    const conversationId = created.conversation.id;
    const replies = new Set(options.replies ?? []);
    const gap = options.replyGap ?? 300;
    const BATCH = 400;
    let lastSeq = 0;
    for (let from = 1; from <= options.count; from += BATCH) {
      const sends: Promise<{ message: { seq: number } }>[] = [];
      for (let seq = from; seq < Math.min(from + BATCH, options.count + 1); seq++) {
        sends.push(
          w.ok("message.send", {
            conversationId,
            clientMsgId: `seed-${seq}`,
            text: seededText(seq),
            ...(replies.has(seq) ? { replyToSeq: seq - gap } : {}),
          }),
        );
      }
      for (const reply of await Promise.all(sends)) lastSeq = Math.max(lastSeq, reply.message.seq);
    }
    // From the seqs the server gave (a batch's sends may be stored in any order among themselves).
    const readUpTo = lastSeq - options.unread;
    if (readUpTo > 0) await r.ok("read", { conversationId, seq: readUpTo });
    return { writer, reader, conversationId };
  } finally {
    w.ws.close();
    r.ws.close();
  }
}
