/**
 * @module Group settings, profiles and the composer's limit in a real browser: an owner on a PC
 * (English) and a member on a phone (Korean) rename, add, promote, hand over and remove, each
 * change a system line on both; profile change and account deletion; the character counter and
 * keep-all. Driven by the keyboard, and every screen checked with axe-core.
 */
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthReply, Conversation } from "../../src/protocol/index.js";
import { postJson, RawClient, startTestServer, type TestServer } from "../harness.js";
import { expectAccessible } from "./a11y.js";
import { launchBrowser, logIn, openApp, openConversation, PASSWORD } from "./browser.js";

let server: TestServer;
let browser: Browser;
let pc: Page;
let phone: Page;
const clients: RawClient[] = [];
let hanaId = "";

async function account(username: string, displayName: string): Promise<AuthReply> {
  return postJson(server.url, "/api/v1/auth/register", { username, password: PASSWORD, displayName }, 201);
}

/** A system line with this text in the open chat. */
const line = (page: Page, text: string | RegExp) => page.getByRole("log").locator(".system-line", { hasText: text });

/** Activate a control from the keyboard: focus it, then Enter (links, buttons) or Space (checkboxes). */
async function press(page: Page, locator: ReturnType<Page["locator"]>, key = "Enter"): Promise<void> {
  await locator.focus();
  await page.keyboard.press(key);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const [minji, jisu, hana] = [
    await account("minji", "Minji"),
    await account("jisu", "지수"),
    await account("hana", "Hana"),
  ];
  hanaId = hana.user.id;
  for (const auth of [minji, jisu, hana]) clients.push(await RawClient.connect(server.wsUrl, auth.token));
  const [m, j, h] = clients as [RawClient, RawClient, RawClient];
  // Jisu and Hana added Minji: she may put them in a group without asking; she has them as contacts.
  await j.ok("contact.add", { userId: minji.user.id });
  await h.ok("contact.add", { userId: minji.user.id });
  await m.ok("contact.add", { userId: jisu.user.id });
  await m.ok("contact.add", { userId: hana.user.id });
  await m.ok<{ conversation: Conversation }>("conversation.create", {
    kind: "group",
    title: "산악회",
    memberIds: [jisu.user.id],
  });
  pc = (await openApp(browser, server.url)).page;
  phone = (await openApp(browser, server.url, { size: "phone", locale: "ko-KR" })).page;
  // A step that cannot happen fails in 10 s with its locator named, not at the test's timeout.
  for (const page of [pc, phone]) page.setDefaultTimeout(10_000);
  pc.on("dialog", (dialog) => void dialog.accept());
  phone.on("dialog", (dialog) => void dialog.accept());
  await logIn(pc, "minji");
  await phone.getByLabel(/^아이디/).fill("jisu");
  await phone.getByLabel(/^비밀번호/).fill(PASSWORD);
  await phone.getByRole("button", { name: /^로그인$/ }).click();
  await phone.getByRole("navigation").waitFor();
  await openConversation(pc, /산악회/);
  await openConversation(phone, /산악회/);
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await browser?.close();
  await server?.stop();
});

describe("group settings", () => {
  it("renames the group from its info screen; both see the system line in their language", async () => {
    await expectAccessible(pc, "chat (PC)");
    await press(pc, pc.getByRole("link", { name: "Group info" }));
    await pc.getByRole("heading", { name: /group info/ }).waitFor();
    await expectAccessible(pc, "group info (PC)");
    const name = pc.getByLabel("Group name");
    await name.focus();
    await pc.keyboard.press("Control+A");
    await pc.keyboard.type("등산 모임");
    await pc.keyboard.press("Enter");
    await press(pc, pc.getByRole("link", { name: "Back to the chat" }));
    await line(pc, "Minji renamed the group to “등산 모임”.").waitFor();
    await line(phone, "Minji 님이 그룹 이름을 “등산 모임”(으)로 바꿨습니다.").waitFor();
    await expectAccessible(phone, "chat (phone)");
  });

  it("adds a contact, makes a member an admin and hands the group over", async () => {
    await press(pc, pc.getByRole("link", { name: "Group info" }));
    await press(pc, pc.getByRole("checkbox", { name: /Hana/ }), "Space");
    await press(pc, pc.getByRole("button", { name: "Add", exact: true }));
    await pc.locator(".member-row", { hasText: "Hana" }).waitFor();
    await press(pc, pc.getByRole("button", { name: "Make 지수 an admin" }));
    await pc.locator(".member-row", { hasText: "지수" }).getByText("Admin").waitFor();
    await press(pc, pc.getByRole("button", { name: "Make 지수 the owner" }));
    await pc.locator(".member-row", { hasText: "지수" }).getByText("Owner").waitFor();
    // Minji stays as an admin and may no longer change roles.
    await pc.locator(".member-row", { hasText: "Minji" }).getByText("Admin").waitFor();
    expect(await pc.getByRole("button", { name: /Make .* an admin/ }).count()).toBe(0);
    await expectAccessible(pc, "group info as admin (PC)");
    for (const text of [
      "Minji 님이 Hana 님을 초대했습니다.",
      "Minji 님이 지수 님을 관리자로 지정했습니다.",
      "Minji 님이 지수 님에게 방장을 넘겼습니다.",
    ]) {
      await line(phone, text).waitFor();
    }
  });

  it("lets the new owner remove a member on the phone; the PC sees it", async () => {
    await press(phone, phone.getByRole("link", { name: "그룹 정보" }));
    await phone.getByRole("heading", { name: /그룹 정보/ }).waitFor();
    await expectAccessible(phone, "group info (phone)");
    await press(phone, phone.getByRole("button", { name: "Hana 님 내보내기" }));
    await phone.locator(".member-row", { hasText: "Hana" }).waitFor({ state: "detached" });
    await press(pc, pc.getByRole("link", { name: "Back to the chat" }));
    await line(pc, "지수 removed Hana.").waitFor();
    const [, , hana] = clients as [RawClient, RawClient, RawClient];
    await expect
      .poll(async () => (await hana.ok<{ conversations: unknown[] }>("conversation.list")).conversations.length)
      .toBe(0);
    expect(hanaId).not.toBe("");
  });
});

describe("the composer and Korean text", () => {
  it("counts down near the limit and says why a too-long message cannot be sent", async () => {
    const box = pc.getByRole("textbox", { name: /^message$/i });
    await box.fill("가".repeat(3700));
    await expect.poll(() => pc.getByTestId("text-counter").textContent()).toBe("3700 / 4000 characters");
    await box.fill("나".repeat(4100));
    await pc.getByRole("alert").filter({ hasText: "100 characters over the limit of 4000" }).waitFor();
    expect(await pc.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await box.press("Enter");
    expect(await pc.locator("li.msg[data-seq]").count()).toBe(0);
    await expectAccessible(pc, "composer over the limit (PC)");
    await box.fill("");
  });

  it("breaks Korean lines between words (keep-all)", async () => {
    const style = await phone.evaluate("getComputedStyle(document.body).wordBreak");
    expect(style).toBe("keep-all");
  });
});

describe("account", () => {
  it("changes the name and status line in Settings; the others see the new name", async () => {
    // On a phone the chat covers the list: back to it, where the navigation is.
    await press(phone, phone.getByRole("link", { name: "대화로 돌아가기" }));
    await press(phone, phone.getByRole("link", { name: "뒤로" }));
    await press(phone, phone.getByRole("link", { name: "설정" }));
    await expectAccessible(phone, "settings (phone)");
    await phone.getByLabel("다른 사람에게 보이는 이름").fill("지수 킴");
    await phone.getByLabel("상태 메시지").fill("산에 있어요");
    await press(phone, phone.getByRole("button", { name: "프로필 저장" }));
    await phone.getByText("프로필을 저장했습니다.").waitFor();
    const [minji] = clients as [RawClient];
    await expect
      .poll(async () => {
        const { contacts } = await minji.ok<{ contacts: { displayName: string; statusText?: string }[] }>(
          "contact.list",
        );
        return contacts.map((c) => [c.displayName, c.statusText ?? ""]);
      })
      .toContainEqual(["지수 킴", "산에 있어요"]);
  });

  it("downloads my data as JSON from Settings", async () => {
    const downloading = phone.waitForEvent("download");
    await press(phone, phone.getByRole("button", { name: "내 데이터 내려받기" }));
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("haetae-export.json");
    const path = await download.path();
    const data = JSON.parse(readFileSync(path, "utf8")) as { user: { displayName: string }; messages: unknown[] };
    expect(data.user.displayName).toBe("지수 킴");
    expect(Array.isArray(data.messages)).toBe(true);
  });

  it("deletes the account with its password: the phone is logged out, the group keeps its lines", async () => {
    await phone.getByRole("form", { name: "계정 삭제" }).getByLabel("현재 비밀번호").fill(PASSWORD);
    await press(phone, phone.getByRole("button", { name: "계정 삭제" }));
    await phone.getByRole("button", { name: /^로그인$/ }).waitFor();
    await line(pc, "Deleted account left.").waitFor();
    await line(pc, "Deleted account removed Hana.").waitFor();
    await expectAccessible(pc, "chat after a deletion (PC)");
  });
});
