/** @module People: the user cache, my contacts and blocks, my devices, and presence subscriptions. */
import type { Device, Presence, Replies, RequestParams, RequestType, User } from "../../../src/protocol/index.js";

/**
 * Sends a request; resolves with its reply, or undefined after telling the user what went wrong
 * (`quiet`: without telling — for background work the user did not ask for).
 */
export type Call = <T extends RequestType>(
  type: T,
  params: RequestParams<T>,
  quiet?: boolean,
) => Promise<Replies[T] | undefined>;

/** The server allows this many presence subscriptions per connection by default. */
const PRESENCE_LIMIT = 500;

/**
 * Who is who. Names are fetched in batches as the UI asks for them (`user.get`), so a list of
 * 100 conversations costs one request, not 100.
 */
export class Directory {
  readonly users = new Map<string, User>();
  readonly presence = new Map<string, Presence>();
  contacts: User[] = [];
  blocked: User[] = [];
  /** The ids of `blocked`: their @mentions and @all do not count as mentions of me (as on the server). */
  blockedIds: ReadonlySet<string> = new Set();
  devices: Device[] = [];
  /**
   * Users the server marked `nameCollides` in a list shown together (my contacts, a group's
   * members): their names look like someone else's there, so the UI adds their @username.
   * Kept for the session: a name that once collided stays disambiguated everywhere.
   */
  readonly collides = new Set<string>();
  /** Conversations whose member profiles were read on this connection. */
  private membersRead = new Set<string>();
  private wanted = new Set<string>();
  /** Known users not yet read on this connection. */
  private readonly stale = new Set<string>();
  private asked = new Set<string>();
  private subscribed = "";

  constructor(
    private readonly call: Call,
    private readonly onChange: () => void,
  ) {}

  /**
   * A user by id; unknown ones, and known ones not read on this connection (their name or photo
   * may have changed while we were away), are fetched soon and the UI re-renders when they arrive.
   */
  user(id: string): User | undefined {
    const user = this.users.get(id);
    if ((!user || this.stale.has(id)) && !this.asked.has(id)) {
      this.wanted.add(id);
      this.asked.add(id);
      if (this.wanted.size === 1) queueMicrotask(() => void this.fetchWanted());
    }
    return user;
  }

  /** Remember users a reply already carried. */
  remember(users: readonly User[]): void {
    for (const user of users) {
      this.users.set(user.id, user);
      this.stale.delete(user.id);
      if (user.nameCollides) this.collides.add(user.id);
    }
  }

  /**
   * On each connection: ask again for every user still unknown (the last attempt may have
   * failed), and read every known one again when next shown (a profile kept from the last run, or
   * from before a cut, may be out of date: a new photo or name). One batched `user.get` per screen.
   */
  retryUnknown(): void {
    for (const id of this.asked) if (!this.users.has(id)) this.asked.delete(id);
    for (const id of this.users.keys()) {
      this.stale.add(id);
      this.asked.delete(id);
    }
    this.membersRead.clear();
  }

  /**
   * A group's members as profiles, once per connection and after each membership change
   * (`forget`): the server marks look-alike names among them.
   */
  async loadMembers(conversationId: string): Promise<void> {
    if (this.membersRead.has(conversationId)) return;
    this.membersRead.add(conversationId);
    const reply = await this.call("conversation.members", { conversationId }, true);
    if (!reply) this.membersRead.delete(conversationId);
    else this.remember(reply.members);
    this.onChange();
  }

  /** The members of this conversation changed: read them again when it is next opened. */
  forgetMembers(conversationId: string): void {
    this.membersRead.delete(conversationId);
  }

  /** Fetch these users again: a profile may have changed (a new name, a deleted account). */
  refresh(ids: readonly string[]): void {
    const first = this.wanted.size === 0;
    for (const id of ids) this.wanted.add(id);
    if (first && this.wanted.size > 0) queueMicrotask(() => void this.fetchWanted());
  }

  private async fetchWanted(): Promise<void> {
    const ids = [...this.wanted].slice(0, 1000);
    for (const id of ids) this.wanted.delete(id);
    if (ids.length === 0) return;
    const reply = await this.call("user.get", { userIds: ids }, true);
    if (reply) this.remember(reply.users);
    if (this.wanted.size > 0) void this.fetchWanted();
    this.onChange();
  }

  async loadContacts(): Promise<void> {
    const [contacts, blocked] = await Promise.all([this.call("contact.list", {}), this.call("block.list", {})]);
    if (contacts) this.setContacts(contacts.contacts);
    if (blocked) this.setBlocked(blocked.blocked);
  }

  /** Find a user by username; undefined when there is none (the caller says so). */
  async find(username: string): Promise<User | undefined> {
    const reply = await this.call("user.find", { username });
    if (reply) this.remember([reply.user]);
    return reply?.user;
  }

  async addContact(userId: string): Promise<void> {
    const reply = await this.call("contact.add", { userId });
    if (reply) this.setContacts(reply.contacts);
  }

  async removeContact(userId: string): Promise<void> {
    const reply = await this.call("contact.remove", { userId });
    if (reply) this.setContacts(reply.contacts);
  }

  async block(userId: string): Promise<void> {
    const reply = await this.call("block.add", { userId });
    if (reply) this.setBlocked(reply.blocked);
  }

  async unblock(userId: string): Promise<void> {
    const reply = await this.call("block.remove", { userId });
    if (reply) this.setBlocked(reply.blocked);
  }

  async loadDevices(): Promise<void> {
    const reply = await this.call("device.list", {});
    if (reply) this.devices = reply.devices;
    this.onChange();
  }

  async revokeDevice(deviceId: string): Promise<void> {
    const reply = await this.call("device.revoke", { deviceId });
    if (reply) this.devices = this.devices.filter((d) => d.id !== deviceId);
    this.onChange();
  }

  /**
   * Follow the presence of these users (the people I chat with and my contacts). The server
   * answers only for those who list me as a contact, and refuses the rest (group members who do
   * not, anyone across a block): what I knew of a refused one is forgotten, so a list never keeps
   * showing the presence of someone who removed me. Subscriptions belong to a connection, so
   * `force` renews them after every reconnect.
   */
  async followPresence(userIds: Iterable<string>, force = false): Promise<void> {
    const ids = [...new Set(userIds)].sort().slice(0, PRESENCE_LIMIT);
    const key = ids.join(",");
    if (!force && key === this.subscribed) return;
    this.subscribed = key;
    if (ids.length === 0) return;
    const reply = await this.call("presence.subscribe", { userIds: ids }, true);
    for (const userId of reply?.refused ?? []) this.presence.delete(userId);
    for (const presence of reply?.presences ?? []) this.presence.set(presence.userId, presence);
    this.onChange();
  }

  /**
   * The presence of those of these users I have none of (not followed: past the subscription
   * limit), once, by `presence.get`; the server leaves out those it shows me nothing of (who do
   * not list me as a contact), and they show no presence at all.
   */
  async lookUpPresence(userIds: Iterable<string>): Promise<void> {
    const missing = [...new Set(userIds)].filter((id) => !this.presence.has(id));
    for (let i = 0; i < missing.length; i += PRESENCE_LIMIT) {
      const reply = await this.call("presence.get", { userIds: missing.slice(i, i + PRESENCE_LIMIT) }, true);
      // A followed user's live event may have come meanwhile: it is newer than this answer.
      for (const presence of reply?.presences ?? [])
        if (!this.presence.has(presence.userId)) this.presence.set(presence.userId, presence);
    }
    if (missing.length > 0) this.onChange();
  }

  /** A presence event. */
  setPresence(presence: Presence): void {
    this.presence.set(presence.userId, presence);
    this.onChange();
  }

  private setContacts(contacts: User[]): void {
    this.contacts = contacts;
    this.remember(contacts);
    this.onChange();
  }

  private setBlocked(blocked: User[]): void {
    this.blocked = blocked;
    this.blockedIds = new Set(blocked.map((u) => u.id));
    this.remember(blocked);
    this.onChange();
  }
}
