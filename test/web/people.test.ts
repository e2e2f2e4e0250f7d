/**
 * @module People in a real browser: presence in the chat header (online, last seen, and "last
 * seen recently" for one who hides it), profile and group photos in the list, the header, the
 * member list and the profile (initials until then), and group invite links — an owner on a PC
 * (English) creates, copies and revokes one; a stranger on a phone (Korean) opens it, joins, and
 * meets a clear message once it is revoked. Every screen is checked with axe-core.
 */
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply, Conversation, GroupLink } from "../../src/protocol/index.js";
import { uploadFile } from "../../src/sdk/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { expectAccessible } from "./a11y.js";
import { launchBrowser, logIn, openApp, openConversation, PASSWORD } from "./browser.js";

let server: TestServer;
let browser: Browser;
let pc: Page;
let phone: Page;
let minji: AuthReply;
let jisu: AuthReply;
let hana: AuthReply;
let m: RawClient;
let j: RawClient | undefined;
let group: Conversation;

async function account(username: string, displayName: string): Promise<AuthReply> {
  return postJson(server.url, "/api/v1/auth/register", { username, password: PASSWORD, displayName }, 201);
}

async function image(background: string): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({ create: { width: 200, height: 200, channels: 3, background } })
      .png()
      .toBuffer(),
  );
}

/** True once the avatar inside `scope` shows a loaded photo, not initials. */
async function showsPhoto(page: Page, scope: string): Promise<void> {
  const img = page.locator(`${scope} .avatar img.avatar-photo`).first();
  await img.waitFor();
  await expect.poll(() => img.evaluate((el) => (el as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ heartbeatMs: 1000 }), launchBrowser()]);
  minji = await account("minjip", "Minji");
  jisu = await account("jisup", "지수");
  hana = await account("hanap", "Hana");
  m = await RawClient.connect(server.wsUrl, minji.token);
  j = await RawClient.connect(server.wsUrl, jisu.token);
  await j.ok("contact.add", { userId: minji.user.id });
  await m.ok("conversation.create", { kind: "direct", memberIds: [jisu.user.id] });
  group = (
    await m.ok<{ conversation: Conversation }>("conversation.create", {
      kind: "group",
      title: "사진반",
      memberIds: [jisu.user.id],
    })
  ).conversation;
  pc = (await openApp(browser, server.url)).page;
  phone = (await openApp(browser, server.url, { size: "phone", locale: "ko-KR" })).page;
  for (const page of [pc, phone]) page.setDefaultTimeout(10_000);
  pc.on("dialog", (dialog) => void dialog.accept());
  phone.on("dialog", (dialog) => void dialog.accept());
  await logIn(pc, "minjip");
  await phone.getByLabel(/^아이디/).fill("hanap");
  await phone.getByLabel(/^비밀번호/).fill(PASSWORD);
  await phone.getByRole("button", { name: /^로그인$/ }).click();
  await phone.getByRole("navigation").waitFor();
}, 90_000);

afterAll(async () => {
  await Promise.all([m, j].map((c) => c?.close()));
  await browser?.close();
  await server?.stop();
});

const subtitle = (page: Page) => page.locator(".chat-head .chat-title [data-presence]");

describe("presence in the chat header", () => {
  it("shows online, then last seen when the last connection closes, then last seen recently when hidden", async () => {
    await openConversation(pc, /^지수/);
    await expect.poll(() => subtitle(pc).textContent()).toBe("Online");
    await j?.close();
    j = undefined;
    await expect.poll(() => subtitle(pc).textContent()).toMatch(/^Last seen /);
    await expectAccessible(pc, "chat with last seen (PC)");
    const back = await RawClient.connect(server.wsUrl, jisu.token);
    await expect.poll(() => subtitle(pc).textContent()).toBe("Online");
    await back.ok("account.update", { hidePresence: true });
    await expect.poll(() => subtitle(pc).textContent()).toBe("Last seen recently");
    await back.ok("account.update", { hidePresence: false });
    await expect.poll(() => subtitle(pc).textContent()).toBe("Online");
    j = back;
  });

  it("lets me hide my own presence from the settings, on every device", async () => {
    await phone.goto("/settings");
    const box = phone.getByRole("checkbox", { name: "접속 중 여부와 마지막 접속 시간 숨기기" });
    await box.click();
    await expect.poll(() => box.isChecked()).toBe(true);
    await expectAccessible(phone, "settings with privacy (phone)");
    // Another device of Hana's hears it through account.updated.
    const other = await RawClient.connect(
      server.wsUrl,
      (await postJson<AuthReply>(server.url, "/api/v1/auth/login", { username: "hanap", password: PASSWORD }, 200))
        .token,
    );
    const { user } = await other.ok<{ user: { hidePresence?: true } }>("account.update", { statusText: "안녕" });
    expect(user.hidePresence).toBe(true);
    await box.click();
    await expect.poll(() => box.isChecked()).toBe(false);
    await other.close();
  });
});

describe("profile and group photos", () => {
  it("draws initials until a photo is set, then the photo in the list, header, member list and profile", async () => {
    await openConversation(pc, /^지수/);
    const head = pc.locator(".chat-head .avatar");
    expect(await head.textContent()).toContain("지");
    expect(await head.locator("img").count()).toBe(0);
    const jisuPhoto = await uploadFile(server.url, jisu.token, await image("#c33"), "me.png");
    await j?.ok("account.update", { avatarFileId: jisuPhoto.id });
    const groupPhoto = await uploadFile(server.url, minji.token, await image("#36c"), "group.png");
    await m.ok("conversation.update", { conversationId: group.id, photoFileId: groupPhoto.id });
    // Profiles are read when the page asks again: a reload shows the new photo.
    await pc.reload();
    await openConversation(pc, /^지수/);
    await showsPhoto(pc, ".chat-head");
    await showsPhoto(pc, `[data-conversation="${group.id}"]`);
    await expectAccessible(pc, "chat list and header with photos (PC)");
    await pc.goto(`/c/${group.id}/info`);
    await showsPhoto(pc, ".member-row:has-text('지수')");
    expect(await pc.locator(".member-row:has-text('Minji') .avatar img").count()).toBe(0);
    await expectAccessible(pc, "group info with photos (PC)");
  });

  it("shows my own photo in my profile on the phone", async () => {
    const photo = await uploadFile(server.url, hana.token, await image("#393"), "hana.png");
    const h = await RawClient.connect(server.wsUrl, hana.token);
    await h.ok("account.update", { avatarFileId: photo.id });
    await h.close();
    await phone.goto("/settings");
    await showsPhoto(phone, ".profile-photo");
    await expectAccessible(phone, "profile with photo (phone)");
  });
});

describe("on a phone", () => {
  it("shows the other person's photo and presence in the chat header", async () => {
    const h = await RawClient.connect(server.wsUrl, hana.token);
    // Jisu lists Hana as a contact: presence is shown to one's contacts only.
    await j?.ok("contact.add", { userId: hana.user.id });
    await j?.ok("conversation.create", { kind: "direct", memberIds: [hana.user.id] });
    await phone.goto("/");
    await openConversation(phone, /^지수/);
    await showsPhoto(phone, ".chat-head");
    await expect.poll(() => subtitle(phone).textContent()).toBe("접속 중");
    await j?.ok("account.update", { hidePresence: true });
    await expect.poll(() => subtitle(phone).textContent()).toBe("최근에 접속함");
    await j?.ok("account.update", { hidePresence: false });
    await j?.close();
    j = undefined;
    await expect.poll(() => subtitle(phone).textContent()).toMatch(/^마지막 접속 /);
    await expectAccessible(phone, "chat header with photo and last seen (phone)");
    await h.close();
  });
});

describe("group invite links", () => {
  let token = "";

  it("lets the owner create and list a link in group info (PC)", async () => {
    await pc.goto(`/c/${group.id}/info`);
    await pc.getByRole("heading", { name: "Invite links" }).waitFor();
    await pc.getByLabel("Number of uses").selectOption("10");
    await pc.getByRole("button", { name: "Create link" }).click();
    const field = pc.getByRole("textbox", { name: "Link" }).first();
    await field.waitFor();
    const url = await field.inputValue();
    expect(url).toMatch(new RegExp(`^${server.url}/join/[A-Za-z0-9_-]{24}$`));
    token = url.split("/join/")[1] as string;
    await pc.getByText("Used 0 of 10 times").waitFor();
    await expectAccessible(pc, "group info with invite links (PC)");
  });

  it("opens the link on a phone, shows the group and joins it", async () => {
    await phone.goto(`/join/${token}`);
    await phone.getByRole("heading", { name: "사진반" }).waitFor();
    await phone.getByText("멤버 2명").waitFor();
    await expectAccessible(phone, "join page (phone)");
    await phone.getByRole("button", { name: "그룹 참여" }).click();
    await phone.waitForURL(`**/c/${group.id}`);
    await phone.getByRole("log").locator(".system-line", { hasText: "Hana" }).waitFor();
    const { links } = await m.ok<{ links: GroupLink[] }>("groupLink.list", { conversationId: group.id });
    expect(links[0]?.uses).toBe(1);
  });

  it("revokes the link; opening it then says so in words", async () => {
    await pc.goto(`/c/${group.id}/info`);
    await pc.getByRole("button", { name: "Revoke link" }).click();
    await pc.getByText("Revoked").waitFor();
    const stranger = await account("sorap", "Sora");
    // Opened signed out, as a link from another app is: the page asks to log in, then shows the
    // link's page (on a phone, in place of the list and its navigation).
    const { page } = await openApp(browser, server.url, { size: "phone" });
    page.setDefaultTimeout(10_000);
    await page.goto(`/join/${token}`);
    await page.getByLabel(/^username/i).fill("sorap");
    await page.getByLabel(/^password/i).fill(PASSWORD);
    await page.getByRole("button", { name: /^log in$/i }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "This invite link was revoked. Ask a group admin for a new one." })
      .waitFor();
    await expectAccessible(page, "revoked link (phone)");
    expect(stranger.user.id).not.toBe("");
    await page.context().close();
  });
});
