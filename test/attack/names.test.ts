/**
 * @module Attack: names and titles that lie. A right-to-left override that turns "exe.txt" into
 * something else, zero-width and filler characters that make two names differ invisibly, and
 * "Haetae Staff" spelled with Cyrillic letters to pose as the real staff member. The server must
 * refuse the first two, refuse a look-alike of a staff name, and mark look-alike names shown
 * together so the client can show the usernames.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nameSkeleton } from "../../src/chat/name-skeleton.js";
import type { AuthReply, User } from "../../src/protocol/index.js";
import { befriend, closeAll, createGroup, expectError, type Person, person } from "../features/helpers.js";
import { addContactOf, postJson, RawClient, startTestServer, type TestServer } from "../harness.js";

let counter = 0;

/** A register reply: the account, or the error. */
type Registered = AuthReply & { error?: { code: string; message: string } };

/** Register with this display name and return the HTTP status and body. */
async function register(server: TestServer, displayName: string): Promise<{ status: number; body: Registered }> {
  counter += 1;
  const res = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: `names${counter}_${process.pid % 10000}`,
      password: "correct horse",
      displayName,
    }),
  });
  return { status: res.status, body: (await res.json()) as Registered };
}

const RLO = "\u202E";

describe("attack: control, bidi and invisible characters in names and titles", () => {
  let server: TestServer;
  let mallory: Person;
  let victim: Person;
  beforeAll(async () => {
    server = await startTestServer();
    mallory = await person(server, "namesmallory");
    victim = await person(server, "namesvictim");
    await befriend(mallory, victim);
  });
  afterAll(async () => {
    await closeAll(mallory.client, victim.client);
    await server.stop();
  });

  it("refuses display names with a bidi override, isolates, zero-width or filler characters, naming the field", async () => {
    const refused: [string, string][] = [
      [`invoice${RLO}fdp.exe`, "U+202E"],
      ["admin\u2066\u2069", "U+2066"],
      ["Ad\u200Bmin", "U+200B"],
      ["Kim\u200DMinsu", "U+200D"],
      ["\u3164", "U+3164"],
      ["\u115F\u1160", "U+115F"],
      ["bo\uFEFFss", "U+FEFF"],
      ["tag\u{E0041}\u{E0042}", "U+E0041"],
      ["a\u0007b", "U+0007"],
      ["a\u0085b", "U+0085"],
      ["\uFE0Fsolo selector", "U+FE0F"],
    ];
    for (const [name, codePoint] of refused) {
      const { status, body } = await register(server, name);
      expect({ name, status, code: body.error?.code }).toEqual({ name, status: 400, code: "invalid_request" });
      expect(body.error?.message).toContain("displayName");
      expect(body.error?.message).toContain(codePoint);
    }
  });

  it("keeps names that need a joiner or a selector: emoji sequences, flags, Persian", async () => {
    for (const name of ["개발자 👩‍💻", "❤️‍🔥 민지", "🏳️‍🌈 Alex", "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Ewan", "زهره‌ای", "Nguyễn Thị"]) {
      const { status, body } = await register(server, name);
      expect({ name, status }).toEqual({ name, status: 201 });
      expect(body.user.displayName).toBe(name);
    }
  });

  it("refuses group titles with a bidi override or zero-width characters, on create and on rename", async () => {
    for (const title of [`Incidents${RLO}`, `Team ${RLO}txt.exe`, "Inci\u200Bdents", "\u2067staff\u2069", "\u3164"]) {
      const created = await expectError(
        mallory.client,
        "conversation.create",
        { kind: "group", memberIds: [victim.id], title },
        "invalid_request",
      );
      expect(created.message).toMatch(/^title: /);
    }
    const group = await createGroup(mallory.client, [victim.id], "Plain title 🎉");
    const renamed = await expectError(
      mallory.client,
      "conversation.update",
      { conversationId: group.id, title: `Payroll${RLO}` },
      "invalid_request",
    );
    expect(renamed.message).toContain("U+202E");
    const { conversation } = await victim.client.ok<{ conversation: { title: string } }>("conversation.get", {
      conversationId: group.id,
    });
    expect(conversation.title).toBe("Plain title 🎉");
  });
});

describe("attack: look-alike names", () => {
  let server: TestServer;
  let staff: AuthReply;
  let viewer: Person;
  beforeAll(async () => {
    server = await startTestServer();
    staff = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "haetae_staff", password: "correct horse", displayName: "Haetae Staff" },
      201,
    );
    viewer = await person(server, "namesviewer");
  });
  afterAll(async () => {
    await closeAll(viewer.client);
    await server.stop();
  });

  it("refuses a look-alike of a staff member's name once they are staff, and only then", async () => {
    // "Наеtае Ѕtaff": Cyrillic Н, а, е, а, е and Ѕ.
    const cyrillic = "\u041D\u0430\u0435t\u0430\u0435 \u0405taff";
    expect(cyrillic).not.toBe("Haetae Staff");
    // Not staff yet: a name like a plain user's is anyone's to take.
    expect((await register(server, "Haetae Staff")).status).toBe(201);
    await server.app.ctx.store.setRole("haetae_staff", "staff");
    for (const name of [cyrillic, "Haetae Staff", "HAETAE  STAFF", "haetae_staff", "Haetae Sta\uFB00"]) {
      const { status, body } = await register(server, name);
      expect({ name, status, code: body.error?.code }).toEqual({ name, status: 409, code: "display_name_reserved" });
    }
    expect((await register(server, "Haetae Stuff")).status).toBe(201);
    expect(staff.user.role).toBe("user");
  });

  it("marks two contacts and two members whose names look alike, and no one else", async () => {
    // "Kim Minsu" and "Kіm Mіnsu" with Cyrillic і: the same on screen.
    const registered = await Promise.all(
      ["Kim Minsu", "K\u0456m M\u0456nsu", "Lee Jiwoo"].map((name) => register(server, name)),
    );
    const [real, fake, other] = registered.map((r) => r.body as AuthReply) as [AuthReply, AuthReply, AuthReply];
    for (const { user } of [real, fake, other]) await viewer.client.ok("contact.add", { userId: user.id });
    const { contacts } = await viewer.client.ok<{ contacts: User[] }>("contact.list");
    const flags = (list: User[]) => Object.fromEntries(list.map((u) => [u.displayName, u.nameCollides ?? false]));
    expect(flags(contacts)).toEqual({ "Kim Minsu": true, "K\u0456m M\u0456nsu": true, "Lee Jiwoo": false });

    await addContactOf(server, viewer.id, [real.user.id, fake.user.id, other.user.id]);
    const group = await createGroup(viewer.client, [real.user.id, fake.user.id, other.user.id], "lookalikes");
    const { members } = await viewer.client.ok<{ members: User[] }>("conversation.members", {
      conversationId: group.id,
    });
    expect(flags(members)).toMatchObject({ "Kim Minsu": true, "K\u0456m M\u0456nsu": true, "Lee Jiwoo": false });
    // A display name like another member's username is marked too.
    const posing = (await register(server, real.user.username)).body as AuthReply;
    await addContactOf(server, viewer.id, [posing.user.id]);
    await viewer.client.ok("conversation.addMembers", { conversationId: group.id, userIds: [posing.user.id] });
    const after = await viewer.client.ok<{ members: User[] }>("conversation.members", { conversationId: group.id });
    expect(after.members.find((m) => m.id === posing.user.id)?.nameCollides).toBe(true);
    // Someone no longer in the conversation may not list its members.
    await viewer.client.ok("conversation.removeMember", { conversationId: group.id, userId: other.user.id });
    const outsider = await RawClient.connect(server.wsUrl, other.token);
    await expectError(outsider, "conversation.members", { conversationId: group.id }, "forbidden");
    await outsider.close();
  });
});

describe("the confusable skeleton", () => {
  it.each([
    ["Haetae Staff", "\u041D\u0430\u0435t\u0430\u0435 \u0405taff", true], // Cyrillic
    ["Haetae Staff", "HAETAE STAFF", true], // case-blind on purpose
    ["Haetae Staff", "  Haetae \u3000 Staff ", true], // any run of spaces is one
    ["paypal", "\u0440\u0430\u0443\u0440\u0430l", true], // Cyrillic р, а, у
    ["Kim Minsu", "K\u0456m M\u0456nsu", true], // Cyrillic і
    ["boss", "b\u03BFss", true], // Greek omicron
    ["modern", "rnodern", true], // m and rn
    ["Lee", "1ee", true], // digit one and l
    ["O0", "oo", true], // zero and O
    ["Café", "Cafe\u0301", true], // composed and decomposed
    ["Fine", "\uFB01ne", true], // the fi ligature
    ["김민수", "김민수", true],
    ["Kim Minsu", "Kim Minseo", false],
    ["김민수", "김민서", false],
    ["Alice", "Alicia", false],
    ["Haetae Staff", "Haetae Stuff", false],
  ])("%s ~ %s: %s", (a, b, same) => {
    expect(nameSkeleton(a) === nameSkeleton(b)).toBe(same);
  });
});
