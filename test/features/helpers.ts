/** @module Shared steps for the feature suites: users with connected clients, chats, sends and error checks. */
import { expect } from "vitest";
import type { AuthReply, Conversation, FeedEvent, Message, ServerEvent } from "../../src/protocol/index.js";
import { RawClient, registerUser, type TestServer } from "../harness.js";

/** A registered user with one open connection. */
export interface Person {
  auth: AuthReply;
  id: string;
  username: string;
  client: RawClient;
}

/** Register a user and open a socket for them. */
export async function person(server: TestServer, prefix: string): Promise<Person> {
  const auth = await registerUser(server.url, prefix);
  const client = await RawClient.connect(server.wsUrl, auth.token);
  return { auth, id: auth.user.id, username: auth.user.username, client };
}

/** Close every client given; already closed ones are fine. */
export async function closeAll(...clients: RawClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
}

/** The reply of a request that must fail: asserts the error code and returns the frame. */
export async function expectError(
  client: RawClient,
  type: string,
  params: Record<string, unknown>,
  code: string,
): Promise<Record<string, unknown>> {
  const reply = await client.request(type, params);
  expect({ type, reply }).toMatchObject({ type, reply: { type: "error", code } });
  return reply;
}

export async function createDirect(client: RawClient, otherId: string): Promise<Conversation> {
  return (
    await client.ok<{ conversation: Conversation }>("conversation.create", { kind: "direct", memberIds: [otherId] })
  ).conversation;
}

/**
 * Make everyone given a contact of everyone else, so that any of them may put the others in a
 * group directly (a non-contact is only invited: chat/actions/invitations.ts).
 */
export async function acquaint(...people: Person[]): Promise<void> {
  for (const who of people) {
    for (const other of people) if (other !== who) await who.client.ok("contact.add", { userId: other.id });
  }
}

/** Each of `members` adds `inviter` as a contact: `inviter` may then put them in a group directly. */
export async function befriend(inviter: Person, ...members: Person[]): Promise<void> {
  for (const member of members) await member.client.ok("contact.add", { userId: inviter.id });
}

export async function createGroup(client: RawClient, memberIds: string[], title?: string): Promise<Conversation> {
  const params: Record<string, unknown> = { kind: "group", memberIds };
  if (title !== undefined) params.title = title;
  return (await client.ok<{ conversation: Conversation }>("conversation.create", params)).conversation;
}

let clientMsgCounter = 0;

/** Send a message with a fresh clientMsgId and return the stored message. */
export async function send(
  client: RawClient,
  conversationId: string,
  text: string,
  extra: Record<string, unknown> = {},
): Promise<Message> {
  clientMsgCounter += 1;
  const reply = await client.ok<{ message: Message }>("message.send", {
    conversationId,
    clientMsgId: `feat-${clientMsgCounter}`,
    text,
    ...extra,
  });
  return reply.message;
}

/**
 * A barrier: once the ping's reply is back, every frame the server queued for this connection
 * before it has arrived too, so "this event did not come" can be asserted without sleeping.
 */
export async function settle(...clients: RawClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.ok("ping")));
}

/** Wait for the first event matching `predicate` and return it. */
export async function nextEvent<T extends ServerEvent["type"]>(
  client: RawClient,
  type: T,
  predicate: (event: Extract<ServerEvent, { type: T }>) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<Extract<ServerEvent, { type: T }>> {
  const find = () => client.eventsOf(type).find(predicate);
  await client.until(() => find() !== undefined, timeoutMs);
  return find() as Extract<ServerEvent, { type: T }>;
}

type SyncReply = { events: FeedEvent[]; cursor: string; hasMore: boolean };

/** Sync from `cursor` (the beginning when undefined) until `hasMore` is false. */
export async function syncAll(
  client: RawClient,
  cursor?: string,
  limit?: number,
): Promise<{ events: FeedEvent[]; cursor: string; pages: number }> {
  const events: FeedEvent[] = [];
  let pages = 0;
  let at = cursor;
  for (;;) {
    const params: Record<string, unknown> = {};
    if (at !== undefined) params.cursor = at;
    if (limit !== undefined) params.limit = limit;
    const page = await client.ok<SyncReply>("sync", params);
    events.push(...page.events);
    at = page.cursor;
    pages += 1;
    if (!page.hasMore) return { events, cursor: page.cursor, pages };
    if (pages > 10_000) throw new Error("sync never ended");
  }
}

/** Feed events (those with an eventId) this client received live. */
export function liveFeed(client: RawClient): FeedEvent[] {
  return client.events.filter((e): e is FeedEvent => "eventId" in e);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
