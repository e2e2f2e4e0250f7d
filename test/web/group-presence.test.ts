/**
 * @module Presence in a group's member list, in a real browser: on a PC (English) and a phone
 * (Korean), each member who lists the viewer as a contact shows online, last seen at a time, or
 * "last seen recently" when they hide it; a member who blocked the viewer, or who has not added
 * them, shows nothing; a member going offline turns "last seen" live. Reached by the keyboard,
 * and every screen checked with axe-core.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { expectAccessible } from "./a11y.js";
import { launchBrowser, logIn, openApp, openConversation, PASSWORD } from "./browser.js";

let server: TestServer;
let browser: Browser;
let pc: Page;
let phone: Page;
const clients = new Map<string, RawClient>();

async function account(username: string, displayName: string): Promise<AuthReply> {
  return postJson(server.url, "/api/v1/auth/register", { username, password: PASSWORD, displayName }, 201);
}

/** A member's row on the group info page. */
const row = (page: Page, name: string) => page.locator(".member-row", { hasText: name });

/** Open the group info from the chat with the keyboard. */
async function openInfo(page: Page, label: string, heading: RegExp): Promise<void> {
  await page.getByRole("link", { name: label }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: heading }).waitFor();
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const people = {
    minji: await account("gpminji", "Minji"),
    jisu: await account("gpjisu", "지수"),
    hana: await account("gphana", "Hana"),
    dami: await account("gpdami", "Dami"),
    sora: await account("gpsora", "Sora"),
    bora: await account("gpbora", "Bora"),
  };
  for (const [name, auth] of Object.entries(people))
    clients.set(name, await RawClient.connect(server.wsUrl, auth.token));
  const client = (name: string) => clients.get(name) as RawClient;
  const others = ["jisu", "hana", "dami", "sora", "bora"] as const;
  // Each added Minji: she may put them in a group without asking, and sees their presence.
  for (const name of others) await client(name).ok("contact.add", { userId: people.minji.user.id });
  // All but Minji added Jisu too: Jisu sees theirs, and nothing of Minji's, though they share the group.
  for (const name of ["hana", "dami", "sora", "bora"] as const)
    await client(name).ok("contact.add", { userId: people.jisu.user.id });
  await client("minji").ok("conversation.create", {
    kind: "group",
    title: "동아리",
    memberIds: others.map((name) => people[name].user.id),
  });
  await client("sora").ok("account.update", { hidePresence: true });
  // Bora blocked Minji: Minji learns nothing of her presence (Jisu still does).
  await client("bora").ok("block.add", { userId: people.minji.user.id });
  // Dami was here and left: last seen a moment ago.
  await client("dami").close();
  clients.delete("dami");
  await client("minji").close();
  await client("jisu").close();

  pc = (await openApp(browser, server.url)).page;
  phone = (await openApp(browser, server.url, { size: "phone", locale: "ko-KR" })).page;
  for (const page of [pc, phone]) page.setDefaultTimeout(10_000);
  await logIn(pc, "gpminji");
  await phone.getByLabel(/^아이디/).fill("gpjisu");
  await phone.getByLabel(/^비밀번호/).fill(PASSWORD);
  await phone.getByRole("button", { name: /^로그인$/ }).click();
  await phone.getByRole("navigation").waitFor();
  await openConversation(pc, /동아리/);
  await openConversation(phone, /동아리/);
}, 90_000);

afterAll(async () => {
  await Promise.all([...clients.values()].map((c) => c.close()));
  await browser?.close();
  await server?.stop();
});

describe("presence in a group's member list", () => {
  it("shows each member's presence on a PC, and nothing of a member who blocked me", async () => {
    await openInfo(pc, "Group info", /group info/);
    await row(pc, "Hana").locator('[data-presence="online"]', { hasText: "Online" }).waitFor();
    await row(pc, "Dami")
      .locator('[data-presence="offline"]', { hasText: /^Last seen / })
      .waitFor();
    await row(pc, "Sora").locator('[data-presence="hidden"]', { hasText: "Last seen recently" }).waitFor();
    await row(pc, "지수").locator('[data-presence="online"]').waitFor();
    // Bora is online, but blocked me: no word of it, not even "offline".
    await expect(row(pc, "Bora").locator("[data-presence]").count()).resolves.toBe(0);
    await expect(row(pc, "Bora").textContent()).resolves.not.toMatch(/Online|Last seen|Offline/);
    await expect(row(pc, "Minji").locator("[data-presence]").count()).resolves.toBe(0);
    await expectAccessible(pc, "group info with presence (PC)");
  });

  it("shows them in Korean on a phone, where the blocked one is someone else's business and a member who has not added me shows nothing", async () => {
    await openInfo(phone, "그룹 정보", /그룹 정보/);
    await row(phone, "Hana").locator('[data-presence="online"]', { hasText: "접속 중" }).waitFor();
    await row(phone, "Bora").locator('[data-presence="online"]', { hasText: "접속 중" }).waitFor();
    await row(phone, "Dami")
      .locator('[data-presence="offline"]', { hasText: /^마지막 접속 / })
      .waitFor();
    await row(phone, "Sora").locator('[data-presence="hidden"]', { hasText: "최근에 접속함" }).waitFor();
    // Minji is online (on the PC), shares the group, and never added Jisu: no word of her presence.
    await expect(row(phone, "Minji").locator("[data-presence]").count()).resolves.toBe(0);
    await expect(row(phone, "Minji").textContent()).resolves.not.toMatch(/접속|Online|Last seen/);
    await expectAccessible(phone, "group info with presence (phone)");
  });

  it("turns a member who goes offline to last seen, live", async () => {
    await (clients.get("hana") as RawClient).close();
    clients.delete("hana");
    await row(pc, "Hana")
      .locator('[data-presence="offline"]', { hasText: /^Last seen / })
      .waitFor();
    await row(phone, "Hana")
      .locator('[data-presence="offline"]', { hasText: /^마지막 접속 / })
      .waitFor();
  });
});
