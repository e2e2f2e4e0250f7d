/** @module The "unread by" count shown beside a message: how many others have not read it yet. */
import type { Message } from "../protocol/index.js";

/**
 * How many members other than the sender have a read cursor below `message.seq`: the "1" a
 * messenger shows beside a message until everybody has read it. `readSeqs` maps every member's
 * userId to its readSeq, as `history` replies and `receipt` events give them.
 */
export function unreadByCount(readSeqs: Record<string, number>, message: Message): number {
  let count = 0;
  for (const [userId, readSeq] of Object.entries(readSeqs)) {
    if (userId !== message.senderId && readSeq < message.seq) count += 1;
  }
  return count;
}
