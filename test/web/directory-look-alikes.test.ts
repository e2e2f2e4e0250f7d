/** @module The web client's directory against a real server: look-alike names the server marks in contacts and members are remembered as colliding. */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AuthReply, Replies, RequestType } from "../../src/protocol/index.js";
import { type Call, Directory } from "../../web/src/state/directory.js";
import { addContactOf, postJson, RawClient, startTestServer, type TestServer } from "../harness.js";

let server: TestServer;
let client: RawClient;
let changes = 0;
let directory: Directory;

async function register(username: string, displayName: string): Promise<AuthReply> {
  return postJson(server.url, "/api/v1/auth/register", { username, password: "correct horse", displayName }, 201);
}

beforeAll(async () => {
  server = await startTestServer();
  const me = await register("dir_viewer", "Viewer");
  client = await RawClient.connect(server.wsUrl, me.token);
  // The directory's calls go over a real connection to a real server.
  const call = (async (type: RequestType, params: Record<string, unknown>) =>
    client.ok<Replies[typeof type]>(type, params)) as Call;
  directory = new Directory(call, () => changes++);
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

it("remembers as colliding the contacts and members the server marks, and no one else", async () => {
  const real = await register("dir_real", "Kim Minsu");
  const fake = await register("dir_fake", "K\u0456m M\u0456nsu");
  const other = await register("dir_other", "Lee Jiwoo");
  const boss = await register("dir_boss", "The Boss");
  const bossFake = await register("dir_boss2", "The B\u043Ess"); // Cyrillic о
  for (const { user } of [real, fake, other]) await directory.addContact(user.id);
  expect([...directory.collides].sort()).toEqual([real.user.id, fake.user.id].sort());

  await addContactOf(server, client.session.userId, [boss.user.id, bossFake.user.id, other.user.id]);
  const { conversation } = await client.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "group",
    memberIds: [boss.user.id, bossFake.user.id, other.user.id],
  });
  const before = changes;
  await directory.loadMembers(conversation.id);
  expect(changes).toBeGreaterThan(before);
  expect(directory.collides.has(boss.user.id)).toBe(true);
  expect(directory.collides.has(bossFake.user.id)).toBe(true);
  expect(directory.collides.has(other.user.id)).toBe(false);
  expect(directory.users.get(bossFake.user.id)?.username).toBe("dir_boss2");
});
