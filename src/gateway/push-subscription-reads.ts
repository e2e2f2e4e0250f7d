/**
 * @module The push subscriptions of a message's recipients, read for every job that asks in the
 * same turn of the event loop in one statement. Every message a node stores is offered for push,
 * and each offer read its recipients' subscriptions on its own: at a thousand sends a second that
 * was a thousand reads a second on the store's read pool, nearly all of them finding nothing.
 */
import type { PushSubscriptionRecord } from "../store/store.js";

interface Waiting {
  userIds: readonly string[];
  resolve: (found: PushSubscriptionRecord[]) => void;
  reject: (error: unknown) => void;
}

export class PushSubscriptionReads {
  private waiting: Waiting[] = [];

  /** `read` gives the subscriptions of the users named (the store's `pushSubscriptions`, as of now). */
  constructor(private readonly read: (userIds: readonly string[]) => Promise<PushSubscriptionRecord[]>) {}

  /** The subscriptions of `userIds`, user by user in their order; read together with the other asks of this turn. */
  of(userIds: readonly string[]): Promise<PushSubscriptionRecord[]> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ userIds, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const asked = this.waiting;
    this.waiting = [];
    try {
      const found = await this.read([...new Set(asked.flatMap((a) => a.userIds))]);
      const byUser = new Map<string, PushSubscriptionRecord[]>();
      for (const subscription of found) {
        const of = byUser.get(subscription.userId) ?? [];
        of.push(subscription);
        byUser.set(subscription.userId, of);
      }
      for (const a of asked) a.resolve([...new Set(a.userIds)].flatMap((userId) => byUser.get(userId) ?? []));
    } catch (error) {
      for (const a of asked) a.reject(error);
    }
  }
}
