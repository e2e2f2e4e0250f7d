/** @module In the browser: two group members whose names look alike are shown with their @usernames; an unrelated one is not. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { addContactOf, postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { launchBrowser, message, openApp, openConversation, signUp } from "./browser.js";

let server: TestServer;
let browser: Browser;
let viewer: Page;

async function register(username: string, displayName: string): Promise<AuthReply> {
  return postJson(server.url, "/api/v1/auth/register", { username, password: "correct horse", displayName }, 201);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  viewer = (await openApp(browser, server.url)).page;
  await signUp(viewer, "seoyeon", "Seoyeon");
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it("shows @username beside look-alike names in a group, and nothing beside the others", async () => {
  const real = await register("minsu_real", "Kim Minsu");
  // Cyrillic і twice: the same on screen.
  const fake = await register("minsu_fake", "K\u0456m M\u0456nsu");
  const other = await register("jiwoo", "Lee Jiwoo");
  const owner = await RawClient.connect(server.wsUrl, real.token);
  const found = await owner.ok<{ user: { id: string } }>("user.find", { username: "seoyeon" });
  // Everyone has the owner as a contact, so the group takes them directly (strangers are invited).
  await addContactOf(server, real.user.id, [found.user.id, fake.user.id, other.user.id]);
  const { conversation } = await owner.ok<{ conversation: { id: string } }>("conversation.create", {
    kind: "group",
    memberIds: [found.user.id, fake.user.id, other.user.id],
    title: "Team",
  });
  const says: [AuthReply, string][] = [
    [real, "from the real one"],
    [fake, "from the fake one"],
    [other, "from someone else"],
  ];
  for (const [auth, text] of says) {
    const client = await RawClient.connect(server.wsUrl, auth.token);
    await client.ok("message.send", { conversationId: conversation.id, clientMsgId: text, text });
    await client.close();
  }
  await owner.close();

  await openConversation(viewer, /Team/);
  const sender = (text: string) => message(viewer, text).locator(".sender");
  await expect.poll(() => sender("from the real one").textContent()).toBe("Kim Minsu (@minsu_real)");
  await expect.poll(() => sender("from the fake one").textContent()).toBe("K\u0456m M\u0456nsu (@minsu_fake)");
  await expect.poll(() => sender("from someone else").textContent()).toBe("Lee Jiwoo");
}, 60_000);
