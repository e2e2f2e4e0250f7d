/** @module Pending group invitations: loaded from the server, kept current by the invitee's feed events. */
import type { FeedEvent, Invitation } from "../../../src/protocol/index.js";
import type { Call } from "./directory.js";

/**
 * The invitations waiting for my answer, newest first. `invitation.new` adds one; an
 * `invitation.updated` (my answer, on this or another device) removes it; an expired one is
 * dropped when read.
 */
export class Invitations {
  private readonly pending = new Map<string, Invitation>();

  constructor(
    private readonly call: Call,
    private readonly onChange: () => void,
  ) {}

  /** Ask the server for the list (on every connect), which replaces what this client had. */
  async load(): Promise<void> {
    const reply = await this.call("invitation.list", {}, true);
    if (!reply) return;
    this.pending.clear();
    for (const invitation of reply.invitations) this.pending.set(invitation.id, invitation);
    this.onChange();
  }

  /** Accept (I join; the group reaches the list by its event) or decline. */
  async answer(invitationId: string, accept: boolean): Promise<boolean> {
    const reply = await this.call(accept ? "invitation.accept" : "invitation.decline", { invitationId });
    // Refused too (expired, answered elsewhere): it is no longer one to answer either way.
    this.pending.delete(invitationId);
    this.onChange();
    return reply !== undefined;
  }

  /** Apply a feed event; true when it was an invitation event (nothing else in the app is about it). */
  apply(event: FeedEvent): boolean {
    if (event.type !== "invitation.new" && event.type !== "invitation.updated") return false;
    if (event.invitation.status === "pending") this.pending.set(event.invitation.id, event.invitation);
    else this.pending.delete(event.invitation.id);
    return true;
  }

  /** Pending and unexpired, newest first. */
  list(now = new Date().toISOString()): Invitation[] {
    return [...this.pending.values()]
      .filter((i) => i.expiresAt > now)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }
}
